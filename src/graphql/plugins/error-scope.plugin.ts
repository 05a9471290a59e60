import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../infra/logger';
import type { GraphQLContext } from '../context';
import { formatGraphQLError, unscopedErrors, type ErrorScope } from '../errors';
import { graphqlWsUrlOf } from '../http-subscription-rule';

/**
 * Apollo's `formatError` sees no context, yet a masked error must name its request. This plugin
 * remembers which request each error belongs to (Apollo reports errors to `didEncounterErrors`
 * before formatting those same objects), and `formatError` looks it up, with the graphql-ws URL
 * of the host the request reached (named when a subscription is sent over HTTP).
 */
export function createErrorFormatting(
  logger: Logger,
  graphqlPath: string,
): {
  plugin: ApolloServerPlugin<GraphQLContext>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
} {
  const scopes = new WeakMap<object, ErrorScope>();
  return {
    plugin: {
      async requestDidStart() {
        return {
          async didEncounterErrors({ errors, contextValue, request }) {
            if (!contextValue.requestId) return;
            const headers = request.http?.headers;
            const graphqlWsUrl = headers
              ? graphqlWsUrlOf({ host: headers.get('host'), 'x-forwarded-proto': headers.get('x-forwarded-proto') }, graphqlPath)
              : undefined;
            for (const error of errors) scopes.set(error, { requestId: contextValue.requestId, logger: contextValue.logger, graphqlWsUrl });
          },
        };
      },
    },
    formatError: (_formatted, error) => formatGraphQLError(error, (typeof error === 'object' && error !== null && scopes.get(error)) || unscopedErrors(logger)),
  };
}
