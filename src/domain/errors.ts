/**
 * The closed set of errors that domain and service code throws.
 * `src/graphql/errors.ts` alone maps them to GraphQL `extensions.code`.
 */
import { describeUsages, type Usage } from './lifecycle/usage';

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

export type DomainErrorCode =
  'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID_STATE' | 'IN_USE' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE' | 'RATE_LIMITED';

/** One problem with a request's input: what is wrong, and where. */
export interface Violation extends ErrorLocation {
  message: string;
}

/** Most violations one error lists; a request with more reports how many were left out. */
export const MAX_REPORTED_VIOLATIONS = 100;

/**
 * Input that can never succeed as given. Lists every problem found in the request
 * (`violations`, at most {@link MAX_REPORTED_VIOLATIONS}): the first is this error's own message
 * and location, so a client reading only those sees what it always saw.
 */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
  readonly violations: readonly Violation[];
  /** Problems found beyond {@link MAX_REPORTED_VIOLATIONS}. */
  readonly omittedViolations: number;

  /**
   * @param more further violations, after this error's own
   * @param detail `omitted`: problems found past the limit; `ownMessage`: the first violation's message when `message` summarizes several
   */
  constructor(message: string, location: ErrorLocation = {}, more: readonly Violation[] = [], detail: { omitted?: number; ownMessage?: string } = {}) {
    super(message, location);
    this.violations = [{ message: detail.ownMessage ?? message, ...location }, ...more];
    this.omittedViolations = detail.omitted ?? 0;
  }

  /** One error listing `violations` (at least one), its message the first's with a count of the rest. */
  static of(violations: readonly Violation[]): ValidationError {
    const kept = violations.slice(0, MAX_REPORTED_VIOLATIONS);
    const [first, ...rest] = kept;
    const { message, ...location } = first;
    const others = violations.length - 1;
    const summary = others === 0 ? message : `${message} (and ${others} more problem${others === 1 ? '' : 's'}: see extensions.errors)`;
    return new ValidationError(summary, location, rest, { omitted: violations.length - kept.length, ownMessage: message });
  }
}

/**
 * Gathers the problems of one request so that all of them are reported, not only the first:
 * `check` runs a validation and keeps the ValidationErrors it throws (every violation of each),
 * `add` records one directly, and `throwIfAny` throws them as one {@link ValidationError}.
 */
export class Violations {
  private readonly found: Violation[] = [];

  add(message: string, location: ErrorLocation = {}): void {
    this.found.push({ message, ...location });
  }

  /** Runs `validate`; a ValidationError it throws is recorded, anything else propagates. Returns its result, or undefined when it failed. */
  check<T>(validate: () => T): T | undefined {
    try {
      return validate();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.found.push(...error.violations);
      return undefined;
    }
  }

  get count(): number {
    return this.found.length;
  }

  /** Whether enough were found that more would not be reported. */
  get full(): boolean {
    return this.found.length >= MAX_REPORTED_VIOLATIONS;
  }

  /**
   * @param locate completes each violation's location (e.g. adds the input path) before it is thrown
   * @param compare orders the violations (a stable sort); found order when omitted
   */
  throwIfAny(locate: (violation: Violation) => Violation = (violation) => violation, compare?: (a: Violation, b: Violation) => number): void {
    if (this.found.length === 0) return;
    const located = this.found.map(locate);
    throw ValidationError.of(compare ? located.sort(compare) : located);
  }
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

/**
 * Deleting (or archiving) the entity would take it from what uses it: `usedBy` names each user
 * (an alias, a deployment, a model, ...) and how it uses it. The message says what to do first.
 */
export class InUseError extends DomainError {
  readonly code = 'IN_USE' as const;
  constructor(
    /** What was refused, e.g. `cannot delete model version 3 of "seed"`. */
    refused: string,
    readonly usedBy: readonly Usage[],
    location: ErrorLocation = {},
  ) {
    super(`${refused}: ${describeUsages(usedBy)}`, location);
  }
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
