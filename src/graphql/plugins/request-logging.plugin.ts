import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../context';

/** One log line per HTTP GraphQL request: operation, duration, error count, under the request's id. */
export function requestLoggingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, operationName, operation, errors, response }) {
          contextValue.logger.info(
            {
              operationName: operationName ?? undefined,
              operationType: operation?.operation,
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
              errors: errors?.length ?? 0,
              status: response.http.status ?? 200,
            },
            'graphql request',
          );
        },
      };
    },
  };
}
