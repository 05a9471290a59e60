import { z } from 'zod';
import { parseInput } from '../common/input-schema';

/** Aliases name a version for a purpose: lowercase letters, digits, `-` and `_`, e.g. `production`, `staging`, `champion`. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** An alias name: {@link ALIAS_PATTERN}; the message quotes at most 70 characters of what was sent. */
export const ALIAS_NAME_SCHEMA = z.string().regex(ALIAS_PATTERN, {
  error: (issue) => `"${String(issue.input).slice(0, 70)}" must be 1-63 lowercase letters, digits, - or _, starting with a letter`,
});

/** @throws ValidationError naming `field` when `alias` does not match {@link ALIAS_PATTERN}. */
export function checkAliasName(alias: string, field: string): string {
  return parseInput(ALIAS_NAME_SCHEMA, alias, field);
}
