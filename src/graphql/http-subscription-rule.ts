import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError, type ValidationRule } from 'graphql';

/** The WebSocket subprotocol graphql-ws speaks (its `graphql-transport-ws` protocol). */
export const GRAPHQL_WS_PROTOCOL = 'graphql-transport-ws';

/**
 * A subscription operation sent over HTTP. Raised as a validation error (so nothing runs, HTTP
 * 400), and answered with code BAD_REQUEST and a message naming the graphql-ws URL
 * (`src/graphql/errors.ts`): subscriptions are served over graphql-ws on the same path.
 */
export class SubscriptionOverHttpError extends GraphQLError {}

/** Refuses subscription operations over HTTP; executed there, their resolvers would run once without an event. */
export const subscriptionsOverWebSocketOnly: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== 'subscription') return;
    context.reportError(new SubscriptionOverHttpError(subscriptionOverHttpMessage(undefined), { nodes: [node] }));
  },
});

/** What the client is told, with the URL when the request's host is known. */
export function subscriptionOverHttpMessage(graphqlWsUrl: string | undefined): string {
  const where = graphqlWsUrl ?? 'the same URL with ws:// or wss://';
  return `Subscriptions are not served over HTTP: open a WebSocket to ${where} with the ${GRAPHQL_WS_PROTOCOL} protocol (graphql-ws)`;
}

/**
 * The graphql-ws URL of the server an HTTP request reached: `ws://` (or `wss://` behind a TLS proxy
 * that sets `X-Forwarded-Proto: https`), the request's Host (checked against the allowed hosts
 * before GraphQL runs) and the GraphQL path. Undefined without a Host header.
 */
export function graphqlWsUrlOf(headers: Pick<IncomingHttpHeaders, 'host' | 'x-forwarded-proto'>, path: string): string | undefined {
  const host = headers.host;
  if (!host) return undefined;
  const forwarded = headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim().toLowerCase();
  return `${proto === 'https' ? 'wss' : 'ws'}://${host}${path}`;
}
