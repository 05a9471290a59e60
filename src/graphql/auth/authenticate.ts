import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import { bearerToken } from '../../domain/auth/api-key-token';
import { OPEN_PRINCIPAL, type Principal } from '../../domain/auth/principal';

/** What the transports need to turn credentials into a principal (the API key service, or auth disabled). */
export interface Authenticator {
  /** MLPLANE_AUTH=disabled (loopback only): every caller is the open principal. */
  readonly disabled: boolean;
  /** The principal of a token; null for an unknown, revoked or expired one. Database errors propagate. */
  authenticate(token: string): Promise<Principal | null>;
  /** Calls `listener` with each revoked key's id (from any process); returns the unsubscribe function. */
  onRevoked(listener: (keyId: string) => void): () => void;
  /** Records an HTTP request refused for its credentials (the audit log keeps refused mutations). */
  refused(attempt: RefusedRequest): Promise<void>;
}

/** An HTTP request that did not authenticate. */
export interface RefusedRequest {
  /** The parsed JSON body (`{ query, operationName }`), as the client sent it. */
  body: unknown;
  requestId: string;
  clientAddress: string | null;
  reason: 'missing' | 'invalid';
}

export type Credentials = { ok: true; principal: Principal; token: string | null } | { ok: false; reason: 'missing' | 'invalid'; message: string };

/**
 * Resolves an `Authorization` value (`Bearer <key>`; a bare key is accepted too, for clients that
 * put it in graphql-ws `connectionParams` as is) to a principal.
 */
export async function resolveCredentials(auth: Authenticator, authorization: unknown): Promise<Credentials> {
  if (auth.disabled) return { ok: true, principal: OPEN_PRINCIPAL, token: null };
  if (authorization === undefined || authorization === null || authorization === '') {
    return { ok: false, reason: 'missing', message: 'An API key is required: send "Authorization: Bearer <key>" (graphql-ws: connectionParams.authorization)' };
  }
  const token = bearerToken(authorization) ?? (typeof authorization === 'string' && !/\s/.test(authorization) ? authorization : undefined);
  const principal = token ? await auth.authenticate(token) : null;
  if (!principal || !token) return { ok: false, reason: 'invalid', message: 'The API key is not valid (unknown, revoked or expired)' };
  return { ok: true, principal, token };
}

/** The HTTP answer to missing or bad credentials: 401 with UNAUTHENTICATED and a Bearer challenge. */
export function unauthenticatedHttpError(message: string): GraphQLError {
  // Apollo reads `http.headers` as a Map (graphql-yoga's type augmentation says a record).
  const http = { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="mlplane"']]) };
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http } as unknown as GraphQLErrorExtensions });
}

/** The `authorization` value of graphql-ws `connectionParams` (either case). */
export function connectionAuthorization(params: Readonly<Record<string, unknown>> | null | undefined): unknown {
  return params?.authorization ?? params?.Authorization;
}
