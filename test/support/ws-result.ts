import type { Client } from 'graphql-ws/client';
import { within, type GraphQLResponseBody } from './graphql-client';

/**
 * The first result of one operation over graphql-ws, or `{ errors }` when the server refused it with
 * an `error` message (validation, rate limits, caps): the shape an HTTP client would see.
 */
export function wsResult(client: Client, query: string, variables?: Record<string, unknown>, timeoutMs = 5_000): Promise<GraphQLResponseBody> {
  return within(
    new Promise<GraphQLResponseBody>((resolve, reject) => {
      let unsubscribe = (): void => undefined;
      unsubscribe = client.subscribe(
        { query, variables },
        {
          next: (result) => {
            resolve(result as GraphQLResponseBody);
            unsubscribe();
          },
          error: (error) => (Array.isArray(error) ? resolve({ errors: error } as GraphQLResponseBody) : reject(error)),
          complete: () => undefined,
        },
      );
    }),
    timeoutMs,
    `graphql-ws result of ${query.trim().slice(0, 60)}`,
  );
}
