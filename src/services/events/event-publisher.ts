/** Topics of the events mlplane pushes to subscribers. Payloads are small ({ id, ... }); subscribers load the rest. */
export type EventTopic =
  | 'datasetCreated'
  | 'datasetVersionCreated'
  | 'modelCreated'
  | 'runUpdated'
  | 'runEpoch'
  | 'modelVersionRegistered'
  | 'deploymentChanged'
  /** A deployment's serving settings changed (no DeploymentEvent): API processes drop it from their caches. */
  | 'deploymentSettingsChanged'
  | 'alertRaised'
  | 'alertUpdated'
  | 'driftReported'
  | 'datasetIngestProgress'
  | 'apiKeyRevoked';

/** Where services announce what changed, after their transaction commits. */
export interface EventPublisher {
  /**
   * @param scopeId narrows the event to subscribers of one entity (e.g. the run id of `runEpoch`),
   *   while subscribers of the whole topic still receive it.
   */
  publish(topic: EventTopic, payload: Record<string, unknown>, scopeId?: string): Promise<void>;
}
