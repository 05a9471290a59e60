import type { EventPayloads, EventPublisher, EventTopic } from '../../services/events/event-publisher';
import { publishEvent, type SqlExecutor } from './pg-pubsub';

/** Publishes service events as NOTIFY on the mlplane channel, so every API process delivers them. */
export class NotifyEventPublisher implements EventPublisher {
  constructor(private readonly db: SqlExecutor) {}

  async publish<T extends EventTopic>(topic: T, payload: EventPayloads[T], scopeId?: string): Promise<void> {
    await publishEvent(this.db, scopeId === undefined ? { topic, payload } : { topic, id: scopeId, payload });
  }
}
