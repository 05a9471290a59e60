/**
 * Zod schemas of the numeric settings most inputs share, each reporting one problem with one
 * message (`must be an integer from 1 to 10,000`), however many of its bounds the value breaks.
 */
import { z } from 'zod';

/** `10000` as `10,000`, as messages write limits. */
export function formatLimit(value: number): string {
  return value.toLocaleString('en-US');
}

/** An integer from `min` to `max` (both included). */
export function integerFrom(min: number, max: number): z.ZodNumber {
  const error = `must be an integer from ${formatLimit(min)} to ${formatLimit(max)}`;
  return z.number({ error }).refine((value) => Number.isInteger(value) && value >= min && value <= max, { error });
}

/** An integer of at least `min`. */
export function integerAtLeast(min: number): z.ZodNumber {
  const error = `must be an integer of at least ${formatLimit(min)}`;
  return z.number({ error }).refine((value) => Number.isInteger(value) && value >= min, { error });
}
