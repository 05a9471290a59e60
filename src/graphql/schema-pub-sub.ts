import type { GraphQLSchema } from 'graphql';
import type { PubSub } from 'type-graphql';
import { InvalidStateError } from '../domain/errors';

/**
 * The pub/sub each built schema subscribes with. type-graphql hands a custom `subscribe` function
 * no pub/sub, and the context carries none (resolvers reach services only), so a subscription that
 * must merge live events with a database replay finds it through `info.schema`. Keyed by schema,
 * so two servers in one process (tests) keep their own.
 */
const pubSubs = new WeakMap<GraphQLSchema, PubSub>();

/** Records the pub/sub `schema` was built with (done by `buildMlplaneSchema`). */
export function bindPubSub(schema: GraphQLSchema, pubSub: PubSub): void {
  pubSubs.set(schema, pubSub);
}

/**
 * The pub/sub `schema` was built with.
 * @throws InvalidStateError when the schema was not built by `buildMlplaneSchema`.
 */
export function pubSubOf(schema: GraphQLSchema): PubSub {
  const pubSub = pubSubs.get(schema);
  if (!pubSub) throw new InvalidStateError('this schema has no pub/sub bound: build it with buildMlplaneSchema');
  return pubSub;
}
