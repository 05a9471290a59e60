import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../domain/auth/principal';
import type { GraphQLContext } from '../context';

/**
 * Whose budget an operation spends: the one place that decides what a "client" is for rate limits
 * and caps. An API key is one client wherever it connects from (`key:<id>`); without a key (auth
 * disabled on loopback) the peer address is (`address:127.0.0.1`).
 */
export function clientIdentity(context: Pick<GraphQLContext, 'clientAddress' | 'principal'>): string {
  return principalIdentity(context.principal) ?? `address:${context.clientAddress ?? 'unknown'}`;
}

/** The identity of a graphql-ws socket, known at `connection_init` (see {@link clientIdentity}). */
export function connectionIdentity(principal: Principal, request: Pick<IncomingMessage, 'socket'>): string {
  return principalIdentity(principal) ?? `address:${request.socket.remoteAddress ?? 'unknown'}`;
}

function principalIdentity(principal: Principal): string | null {
  return principal.keyId ? `key:${principal.keyId}` : null;
}
