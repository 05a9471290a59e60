import type { PgPubSub } from '../../src/infra/events/pg-pubsub';
import { waitFor } from './wait-for';

/**
 * Resolves once `pubSub` (a test server's) has at least `count` local subscribers on `topic`
 * (and `id`, for topics routed by one): from then on an event published anywhere reaches them.
 * Subscribing is lazy, so a graphql-ws subscription is live only once this holds.
 */
export async function waitForSubscribers(pubSub: Pick<PgPubSub, 'subscriberCount'>, topic: string, count = 1, id?: string): Promise<void> {
  await waitFor(() => pubSub.subscriberCount(topic, id) >= count, 10_000);
}
