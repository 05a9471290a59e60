import { OPEN_PRINCIPAL } from '../../../src/domain/auth/principal';
import { createPubSub } from '@graphql-yoga/subscription';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import pino from 'pino';
import { createContextFactory, defineLoader, type GraphQLContext, type Services } from '../../../src/graphql/context';
import { subscribeWithFreshLoaders } from '../../../src/graphql/subscribe-per-event';

/** Loads "versions" of an entity: each batch call returns a new version, as a changing row would. */
let batchCalls = 0;
const entityVersion = defineLoader<string, number>('entityVersion', async (keys) => {
  batchCalls += 1;
  return keys.map(() => batchCalls);
});

const pubSub = createPubSub<{ tick: [string] }>();
let sourceEnded = 0;

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: new GraphQLObjectType({
          name: 'Tick',
          fields: {
            first: { type: GraphQLInt, resolve: (key: string, _args, ctx: GraphQLContext) => ctx.loaders.get(entityVersion).load(key) },
            second: { type: GraphQLInt, resolve: (key: string, _args, ctx: GraphQLContext) => ctx.loaders.get(entityVersion).load(key) },
          },
        }),
        // type-graphql hands graphql-js a Repeater; this one also counts how often it was ended.
        subscribe: () => {
          const source = pubSub.subscribe('tick');
          return {
            [Symbol.asyncIterator]: () => ({
              next: () => source.next(),
              return: () => {
                sourceEnded += 1;
                return source.return();
              },
            }),
          };
        },
        resolve: (key: string) => key,
      },
    },
  }),
});

function contextForTest(): GraphQLContext {
  // The resolvers here use no service: the context factory is what is under test.
  const factory = createContextFactory({} as Services, pino({ level: 'silent' }));
  return factory({ requestId: 'sub-1', transport: 'ws', headers: {}, principal: OPEN_PRINCIPAL, clientAddress: null }) as GraphQLContext;
}

describe('subscribeWithFreshLoaders', () => {
  it('executes every event with its own DataLoaders, shared by the fields of that event', async () => {
    batchCalls = 0;
    const stream = (await subscribeWithFreshLoaders({
      schema,
      document: parse('subscription { tick { first second } }'),
      contextValue: contextForTest(),
    })) as AsyncIterableIterator<ExecutionResult>;
    const first = stream.next();
    await new Promise((resolve) => setImmediate(resolve));
    pubSub.publish('tick', 'a');
    expect((await first).value).toEqual({ data: { tick: { first: 1, second: 1 } } });
    const second = stream.next();
    pubSub.publish('tick', 'a');
    // A loader kept from the first event would answer 1 again from its cache.
    expect((await second).value).toEqual({ data: { tick: { first: 2, second: 2 } } });
    expect(batchCalls).toBe(2);
    await stream.return?.();
  });

  it('ends the source at once when the client unsubscribes from a quiet topic', async () => {
    sourceEnded = 0;
    const stream = (await subscribeWithFreshLoaders({
      schema,
      document: parse('subscription { tick { first } }'),
      contextValue: contextForTest(),
    })) as AsyncIterableIterator<ExecutionResult>;
    const pending = stream.next();
    await new Promise((resolve) => setImmediate(resolve));
    await stream.return?.();
    expect(sourceEnded).toBe(1);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('returns the errors of a subscription that cannot start', async () => {
    const result = await subscribeWithFreshLoaders({
      schema,
      document: parse('subscription { tick { first } }'),
      variableValues: {},
      contextValue: contextForTest(),
      operationName: 'Missing',
    });
    expect((result as ExecutionResult).errors?.[0].message).toMatch(/Unknown operation named "Missing"/);
  });
});
