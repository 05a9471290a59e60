/**
 * What text PostgreSQL stores exactly as sent. A UTF-8 database refuses U+0000 in `text` and
 * `jsonb` (SQLSTATE 22021 / 22P05), and a lone UTF-16 surrogate cannot be encoded at all (the
 * driver would store U+FFFD instead). Inputs are checked with these rules before any write, so a
 * client's bad byte is a BAD_USER_INPUT naming where it is, never a server fault.
 */

/** U+0000, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- U+0000 is one of the characters this pattern exists to find
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why one character of a string cannot be stored. */
export interface UnstorableCharacter {
  /** UTF-16 offset in the string. */
  offset: number;
  reason: string;
}

/** The first character of `text` that PostgreSQL cannot store as sent, if any. */
export function findUnstorableCharacter(text: string): UnstorableCharacter | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const reason =
    code === 0
      ? 'contains a NUL character (U+0000)'
      : `contains a lone UTF-16 surrogate (U+${code.toString(16).toUpperCase()}) that is not valid Unicode`;
  return { offset: match.index, reason };
}
