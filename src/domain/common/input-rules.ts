import { ValidationError } from '../errors';
import { findUnstorableCharacter } from './storable-text';

/**
 * The rules every external input passes before it reaches the database or a model, whatever the
 * transport (GraphQL arguments, Open Inference Protocol bodies): strings PostgreSQL stores exactly
 * as sent and at most {@link MAX_INPUT_STRING_LENGTH} characters, finite numbers, and JSON nested
 * at most {@link MAX_INPUT_DEPTH} levels. A violation is a `ValidationError` (BAD_USER_INPUT)
 * naming the field at fault, e.g. `input.instances[3].city` or `inputs[0].data[7]`.
 */

/** Longest string accepted in an input (CSV text excepted: its reader names the row and column). @default 10,000 characters */
export const MAX_INPUT_STRING_LENGTH = 10_000;
/** Deepest nesting of lists and objects accepted in an input. @default 32 */
export const MAX_INPUT_DEPTH = 32;

/** @throws ValidationError naming `field`. */
export function refuseInput(field: string, reason: string): never {
  throw new ValidationError(`${field || 'argument'} ${reason}`, { field });
}

/** A string's length and characters; `what` prefixes the reason (`key ` for an object key). */
export function checkInputString(value: string, field: string, what = ''): void {
  if (value.length > MAX_INPUT_STRING_LENGTH) {
    refuseInput(field, `${what}is ${value.length} characters long, over the limit of ${MAX_INPUT_STRING_LENGTH}`);
  }
  const bad = findUnstorableCharacter(value);
  if (bad) refuseInput(field, `${what}${bad.reason} at character ${bad.offset}`);
}

/** A finite number. */
export function checkInputNumber(value: number, field: string): void {
  if (!Number.isFinite(value)) refuseInput(field, `is ${value}, not a finite number`);
}

/** Every string (keys included), number and nesting level of a parsed JSON value; `depth` is the value's own level. */
export function checkJsonInput(value: unknown, field: string, depth = 1): void {
  if (typeof value === 'string') return checkInputString(value, field);
  if (typeof value === 'number') return checkInputNumber(value, field);
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_INPUT_DEPTH) refuseInput(field, `is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) checkJsonInput(value[index], `${field}[${index}]`, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const path = field ? `${field}.${key}` : key;
    checkInputString(key, path, 'key ');
    checkJsonInput(item, path, depth + 1);
  }
}
