/**
 * The closed set of errors that domain and service code throws.
 * `src/graphql/errors.ts` alone maps them to GraphQL `extensions.code`.
 */

/** Where in the user's input a problem sits: a field path, or a data row and column. */
export interface ErrorLocation {
  /** Input field path, e.g. `input.layers[2].units`. */
  field?: string;
  /** 1-based data row number (the header is row 0 for CSV input). */
  row?: number;
  /** Column name. */
  column?: string;
  /** 0-based index of an item in a list input (instances, actuals). */
  index?: number;
}

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(
    message: string,
    readonly location: ErrorLocation = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export type DomainErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID_STATE' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE' | 'RATE_LIMITED';

/** Input that can never succeed as given. */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
}

/** A referenced entity does not exist. */
export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly entity: string,
    readonly key: string,
    location: ErrorLocation = {},
  ) {
    super(`${entity} ${key} not found`, location);
  }
}

/** The request collides with existing state (e.g. a unique name). */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT' as const;
}

/** The entity is in a state that does not allow the operation (e.g. cancelling a finished run). */
export class InvalidStateError extends DomainError {
  readonly code = 'INVALID_STATE' as const;
}

/** A dependency (the database) is unavailable for now: the same request may succeed when retried. */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE' as const;
}

/** No credentials, or credentials that are not a valid key (unknown, revoked, expired). */
export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED' as const;
}

/** A valid key whose role (or deployment list) does not allow the operation; the message names what is needed. */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN' as const;
}

/** The caller is at a quota (e.g. runs queued or running at once); it may succeed later. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED' as const;
}

/** A value a client sent, as an error message shows it: primitives as String() prints them, objects and arrays as JSON. */
export function shownValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  if (typeof value === 'function' || typeof value === 'symbol') return typeof value;
  return String(value);
}
