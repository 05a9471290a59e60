import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { forEvent, type GraphQLContext } from './context';

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Maps an async iterable without an async generator: a generator parked at `await source.next()`
 * cannot be returned until the next event arrives, so a client that unsubscribes from a quiet
 * topic would leave the source subscribed. `return()` here reaches the source at once.
 */
function mapAsyncIterable<T, U>(iterable: AsyncIterable<T>, map: (value: T) => Promise<U>): AsyncIterableIterator<U> {
  const source = iterable[Symbol.asyncIterator]();
  const closeSource = async () => {
    await source.return?.();
  };
  const mapped = async (result: IteratorResult<T>): Promise<IteratorResult<U>> => {
    if (result.done) return { done: true, value: undefined };
    try {
      return { done: false, value: await map(result.value) };
    } catch (error) {
      await closeSource().catch(() => undefined);
      throw error;
    }
  };
  return {
    next: async () => mapped(await source.next()),
    return: async () => {
      await closeSource();
      return { done: true, value: undefined };
    },
    throw: async (error: unknown) => {
      await closeSource();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * graphql-js's `subscribe`, except that each event is executed with a copy of the context holding
 * fresh DataLoaders, so an event never sees entities cached at subscription time or by an earlier event.
 */
export async function subscribeWithFreshLoaders(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!isAsyncIterable(stream)) return stream;
  const context = args.contextValue as GraphQLContext;
  return mapAsyncIterable(
    stream,
    async (event) => execute({ ...args, rootValue: event, contextValue: forEvent(context) }) as Promise<ExecutionResult> | ExecutionResult,
  );
}
