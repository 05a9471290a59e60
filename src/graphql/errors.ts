import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AuthenticationError, AuthorizationError } from 'type-graphql';
import { DomainError, InUseError, MAX_REPORTED_VIOLATIONS, ValidationError, type DomainErrorCode, type ErrorLocation, type Violation } from '../domain/errors';
import { MAX_USAGES_NAMED } from '../domain/lifecycle/usage';
import { isDatabaseUnavailable } from '../infra/db/connection-errors';
import type { Logger } from '../infra/logger';
import { GRAPHQL_WS_PROTOCOL, SubscriptionOverHttpError, subscriptionOverHttpMessage } from './http-subscription-rule';

/**
 * The one place where an error becomes what a client sees (HTTP and graphql-ws alike).
 *
 * - Domain errors get their code and the location at fault (`field`, `row`, `column`, `index`).
 *   BAD_USER_INPUT also lists every problem of the request in `extensions.errors`
 *   (`[{ message, field?, row?, column?, index? }]`, the first being the top-level one; at most
 *   100, with `errorsOmitted` counting the rest).
 * - type-graphql's auth errors become UNAUTHENTICATED / FORBIDDEN (input validation throws the
 *   domain ValidationError above).
 * - Errors GraphQL or Apollo raise about the request itself keep their codes (parse, validation,
 *   variable coercion, operation resolution, bad request); a subscription sent over HTTP is
 *   BAD_REQUEST naming the graphql-ws URL.
 * - A lost or unreachable database (refused, reset, terminated connection, pool checkout timeout)
 *   becomes SERVICE_UNAVAILABLE: the request may be retried; it is logged at warn, not as a bug.
 * - Anything else is a bug: the client gets INTERNAL_SERVER_ERROR and a message naming the request
 *   id; the log gets the stack under the same id.
 */

/** The codes a client can receive. */
export type PublicErrorCode =
  | DomainErrorCode
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'BAD_REQUEST'
  | 'OPERATION_RESOLUTION_FAILURE'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_NOT_SUPPORTED';

const DOMAIN_CODES: Record<DomainErrorCode, PublicErrorCode> = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_STATE: 'INVALID_STATE',
  IN_USE: 'IN_USE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
};

/** Codes that may pass through when an error already carries one (GraphQL/Apollo request errors, deliberate ones). */
export const PASS_THROUGH_CODES: ReadonlySet<string> = new Set<PublicErrorCode>([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_STATE',
  'IN_USE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Codes that say the server, not the request, failed. */
const SERVER_FAULT_CODES: ReadonlySet<string> = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/** Who asked: masked errors name the request id, and are logged with it. */
export interface ErrorScope {
  requestId: string;
  logger: Logger;
  /** The graphql-ws URL of the server the request reached (HTTP requests with a Host header). */
  graphqlWsUrl?: string;
}

/** The list of `extensions.errors`: each violation with its message and location, at most {@link MAX_REPORTED_VIOLATIONS}. */
function violationList(violations: readonly Violation[], omitted: number): Record<string, unknown> {
  const listed = violations.slice(0, MAX_REPORTED_VIOLATIONS);
  const more = omitted + violations.length - listed.length;
  return {
    errors: listed.map(({ message, ...location }) => ({ message, ...locationExtensions(location) })),
    ...(more > 0 ? { errorsOmitted: more } : {}),
  };
}

/** The innermost cause: what a resolver threw, under graphql-js's and Apollo's wrappers. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10 && current instanceof GraphQLError && current.originalError; depth += 1) {
    current = current.originalError;
  }
  return current;
}

/** Message, locations and path of the outer error, which graphql-js placed in the document. */
function placement(error: unknown): Pick<GraphQLFormattedError, 'locations' | 'path'> {
  if (!(error instanceof GraphQLError)) return {};
  return {
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
  };
}

function locationExtensions(location: ErrorLocation): Record<string, string | number> {
  const extensions: Record<string, string | number> = {};
  if (location.field !== undefined) extensions.field = location.field;
  if (location.row !== undefined) extensions.row = location.row;
  if (location.column !== undefined) extensions.column = location.column;
  if (location.index !== undefined) extensions.index = location.index;
  return extensions;
}

/** IN_USE errors list what uses the entity: `usedBy` (at most {@link MAX_USAGES_NAMED}) and `usedByCount`. */
function usageExtensions(error: DomainError): Record<string, unknown> {
  if (!(error instanceof InUseError)) return {};
  return { usedBy: error.usedBy.slice(0, MAX_USAGES_NAMED).map((usage) => ({ ...usage })), usedByCount: error.usedBy.length };
}

function publicCodeOf(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const code = error.extensions.code;
  return typeof code === 'string' && PASS_THROUGH_CODES.has(code) ? code : undefined;
}

function masked(error: unknown, cause: unknown, scope: ErrorScope): GraphQLFormattedError {
  scope.logger.error(
    { err: cause instanceof Error ? cause : new Error(String(cause)), requestId: scope.requestId, path: placement(error).path },
    'unexpected error in a GraphQL operation',
  );
  return {
    message: `Internal server error (request id ${scope.requestId})`,
    ...placement(error),
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: scope.requestId },
  };
}

function mapError(error: unknown, scope: ErrorScope): GraphQLFormattedError {
  const cause = rootCause(error);
  if (cause instanceof DomainError) {
    return {
      message: cause.message,
      ...placement(error),
      extensions: {
        code: DOMAIN_CODES[cause.code],
        ...locationExtensions(cause.location),
        ...(cause instanceof ValidationError ? violationList(cause.violations, cause.omittedViolations) : {}),
        ...usageExtensions(cause),
      },
    };
  }
  if (cause instanceof SubscriptionOverHttpError) {
    return {
      message: subscriptionOverHttpMessage(scope.graphqlWsUrl),
      ...placement(error),
      extensions: { code: 'BAD_REQUEST', ...(scope.graphqlWsUrl ? { graphqlWsUrl: scope.graphqlWsUrl } : {}), protocol: GRAPHQL_WS_PROTOCOL },
    };
  }
  if (cause instanceof AuthenticationError) {
    return { message: cause.message, ...placement(error), extensions: { code: 'UNAUTHENTICATED' } };
  }
  if (cause instanceof AuthorizationError) {
    return { message: cause.message, ...placement(error), extensions: { code: 'FORBIDDEN' } };
  }
  if (isDatabaseUnavailable(cause)) {
    scope.logger.warn(
      { err: cause instanceof Error ? cause : new Error(String(cause)), requestId: scope.requestId },
      'database unavailable during a GraphQL operation',
    );
    return {
      message: `The database is unavailable; retry shortly (request id ${scope.requestId})`,
      ...placement(error),
      extensions: { code: 'SERVICE_UNAVAILABLE', requestId: scope.requestId },
    };
  }
  // Request errors: the outer error holds the code (Apollo wraps GraphQL's validation errors), or the cause does.
  const carrier = publicCodeOf(error) ? error : publicCodeOf(cause) ? cause : undefined;
  if (carrier instanceof GraphQLError) {
    const { http: _http, ...extensions } = carrier.extensions;
    return { message: carrier.message, ...placement(error), extensions };
  }
  return masked(error, cause, scope);
}

/** The code a client receives for `error`, without logging it (audit rows record it). */
export function errorCodeOf(error: unknown): string {
  const cause = rootCause(error);
  if (cause instanceof DomainError) return DOMAIN_CODES[cause.code];
  if (cause instanceof SubscriptionOverHttpError) return 'BAD_REQUEST';
  return publicCodeOf(error) ?? publicCodeOf(cause) ?? 'INTERNAL_SERVER_ERROR';
}

/**
 * Whether a client receiving `error` would see a server fault (INTERNAL_SERVER_ERROR, or a
 * SERVICE_UNAVAILABLE outage): not a domain error, not a request error with a client code. Only
 * these count toward ERROR_RATE, so bad input can never raise it or roll a deployment back.
 */
export function isServerFault(error: unknown): boolean {
  const cause = rootCause(error);
  if (cause instanceof DomainError) return SERVER_FAULT_CODES.has(cause.code);
  if (cause instanceof AuthenticationError || cause instanceof AuthorizationError) return false;
  const code = publicCodeOf(error) ?? publicCodeOf(cause);
  return code === undefined || SERVER_FAULT_CODES.has(code);
}

/**
 * Formats any error for the client. Never throws: a failure while formatting is itself masked.
 * Logs (with the stack and request id) every error it masks.
 */
export function formatGraphQLError(error: unknown, scope: ErrorScope): GraphQLFormattedError {
  try {
    return mapError(error, scope);
  } catch (formattingError) {
    scope.logger.error({ err: formattingError, requestId: scope.requestId }, 'formatting a GraphQL error failed');
    return {
      message: `Internal server error (request id ${scope.requestId})`,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: scope.requestId },
    };
  }
}

/** A scope for errors raised before a request had an id (e.g. a context factory that failed). */
export function unscopedErrors(logger: Logger): ErrorScope {
  return { requestId: randomUUID(), logger };
}
