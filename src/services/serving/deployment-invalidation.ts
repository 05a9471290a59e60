import { logger } from '../../infra/logger';
import type { ServingEvents } from './serving-events';

/** What subscribes to the cross-process event bus (`PgPubSub` fits). */
export interface EventSource {
  subscribe(topic: string): AsyncIterable<unknown>;
}

/** Topics after which a deployment's cached row is stale. */
const TOPICS = ['deploymentChanged', 'deploymentSettingsChanged'] as const;

/**
 * Turns deployment changes announced by any process (NOTIFY) into `deploymentInvalidated` on this
 * process's serving bus. Runs until the source ends (the pub/sub closes).
 */
export function forwardDeploymentChanges(source: EventSource, events: ServingEvents): Promise<void> {
  return Promise.all(
    TOPICS.map(async (topic) => {
      try {
        for await (const payload of source.subscribe(topic)) {
          const name = (payload as { name?: unknown } | null)?.name;
          events.emit('deploymentInvalidated', { name: typeof name === 'string' ? name : null });
        }
      } catch (error) {
        logger.error({ err: error, topic }, 'deployment change forwarding stopped');
      }
    }),
  ).then(() => undefined);
}
