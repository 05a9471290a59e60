/**
 * The value, when the code's own logic guarantees it is there (a map entry set just before, a field
 * checked earlier); its absence is a bug, reported as an Error naming what is missing rather than a
 * TypeError further on.
 */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`internal error: ${what} is missing`);
  return value;
}
