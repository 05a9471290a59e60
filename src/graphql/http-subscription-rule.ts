import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Refuses subscription operations sent over HTTP (GRAPHQL_VALIDATION_FAILED, status 400): they are
 * served over graphql-ws on the same path. Executed over HTTP, their resolvers would run once
 * without an event and fail as an internal error.
 */
export const subscriptionsOverWebSocketOnly: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== 'subscription') return;
    context.reportError(
      new GraphQLError('Subscriptions are served over graphql-ws (the same URL with ws:// or wss://), not over HTTP', { nodes: [node] }),
    );
  },
});
