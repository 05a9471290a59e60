import { logger } from '../../infra/logger';
import type { EventTopic, UncheckedPayload } from '../events/event-publisher';
import type { ServingEvents } from './serving-events';

/** What subscribes to the cross-process event bus (`PgPubSub` fits). */
export interface EventSource {
  subscribe(topic: EventTopic): AsyncIterable<unknown>;
}

/** Topics after which a deployment's cached row is stale. */
const TOPICS = ['deploymentChanged', 'deploymentSettingsChanged'] as const satisfies readonly EventTopic[];

/**
 * Turns deployment changes announced by any process (NOTIFY) into `deploymentInvalidated` on this
 * process's serving bus. Runs until the source ends (the pub/sub closes).
 */
export function forwardDeploymentChanges(source: EventSource, events: ServingEvents): Promise<void> {
  return Promise.all(
    TOPICS.map(async (topic) => {
      try {
        for await (const payload of source.subscribe(topic)) {
          const name = (payload as UncheckedPayload<(typeof TOPICS)[number]> | null)?.name;
          events.emit('deploymentInvalidated', { name: typeof name === 'string' ? name : null });
        }
      } catch (error) {
        logger.error({ err: error, topic }, 'deployment change forwarding stopped');
      }
    }),
  ).then(() => undefined);
}
