import type { IncomingMessage } from 'node:http';
import type { GraphQLContext } from '../context';

/**
 * Whose budget an operation spends: the one place that decides what a "client" is for rate limits
 * and caps. Today it is the peer address of the connection (`address:127.0.0.1`); once principals
 * carry their API key, point both functions at the key id (`key:<id>`), so each key has its own
 * buckets wherever it connects from.
 */
export function clientIdentity(context: Pick<GraphQLContext, 'clientAddress'>): string {
  return `address:${context.clientAddress ?? 'unknown'}`;
}

/** The identity of a graphql-ws socket, known at `connection_init` (see {@link clientIdentity}). */
export function connectionIdentity(request: Pick<IncomingMessage, 'socket'>, _connectionParams?: Readonly<Record<string, unknown>>): string {
  return `address:${request.socket.remoteAddress ?? 'unknown'}`;
}
