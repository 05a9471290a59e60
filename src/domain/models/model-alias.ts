import { ValidationError } from '../errors';

/** Aliases name a version for a purpose: lowercase letters, digits, `-` and `_`, e.g. `production`, `staging`, `champion`. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** @throws ValidationError naming `field` when `alias` does not match {@link ALIAS_PATTERN}. */
export function checkAliasName(alias: string, field: string): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new ValidationError(`alias "${alias.slice(0, 70)}" must be 1-63 lowercase letters, digits, - or _, starting with a letter`, { field });
  }
  return alias;
}
