/**
 * The events mlplane pushes to subscribers: each topic and the JSON payload it carries, in one map,
 * so publishers and subscribers are checked against the same shape at compile time. Payloads travel
 * through PostgreSQL NOTIFY (under 8,000 bytes), so they are JSON: dates are ISO strings. Payloads
 * are small ({ id, ... }); subscribers load the rest.
 */
import type { AlertEventPayload } from '../alerts/alert-state-event';
import type { IngestProgressEvent } from '../datasets/ingest-progress';
import type { RunUpdatedPayload } from '../runs/run-state-event';
import type { RunEpochPayload } from '../runs/run-store';

/** `datasetCreated`, `modelCreated`, `apiKeyRevoked`: the id of the new (or revoked) row. */
export interface IdPayload {
  id: string;
}

export interface DatasetVersionCreatedPayload {
  id: string;
  datasetId: string;
}

export interface ModelVersionRegisteredPayload {
  id: string;
  modelId: string;
  /** The run that registered it. */
  runId: string;
}

/** A new DeploymentEvent row (`id`) of a deployment. */
export interface DeploymentChangedPayload {
  id: string;
  deploymentId: string;
  name: string;
}

/** A deployment's serving settings changed (no DeploymentEvent): API processes drop it from their caches. */
export interface DeploymentSettingsChangedPayload {
  deploymentId: string;
  name: string;
}

/** A new drift report (`id`) of a deployment. */
export interface DriftReportedPayload {
  id: string;
  deploymentId: string;
}

/** Every topic and its payload. */
export interface EventPayloads {
  datasetCreated: IdPayload;
  datasetVersionCreated: DatasetVersionCreatedPayload;
  modelCreated: IdPayload;
  runUpdated: RunUpdatedPayload;
  runEpoch: RunEpochPayload;
  modelVersionRegistered: ModelVersionRegisteredPayload;
  deploymentChanged: DeploymentChangedPayload;
  deploymentSettingsChanged: DeploymentSettingsChangedPayload;
  alertRaised: AlertEventPayload;
  alertUpdated: AlertEventPayload;
  driftReported: DriftReportedPayload;
  datasetIngestProgress: IngestProgressEvent;
  apiKeyRevoked: IdPayload;
}

/** Topics of the events mlplane pushes to subscribers. */
export type EventTopic = keyof EventPayloads;

/**
 * A payload of `T` as it arrives from another process (NOTIFY): the topic's field names, their
 * values not checked yet (a process of another version may send another shape).
 */
export type UncheckedPayload<T extends EventTopic> = { [K in keyof EventPayloads[T]]?: unknown };

/** Where services announce what changed, after their transaction commits. */
export interface EventPublisher {
  /**
   * @param scopeId narrows the event to subscribers of one entity (e.g. the run id of `runEpoch`),
   *   while subscribers of the whole topic still receive it.
   */
  publish<T extends EventTopic>(topic: T, payload: EventPayloads[T], scopeId?: string): Promise<void>;
}
