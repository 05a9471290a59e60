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
    code === 0 ? 'contains a NUL character (U+0000)' : `contains a lone UTF-16 surrogate (U+${code.toString(16).toUpperCase()}) that is not valid Unicode`;
  return { offset: match.index, reason };
}

const UNSTORABLE_EVERYWHERE = new RegExp(UNSTORABLE.source, 'g');

/**
 * `text` as a record of what a client sent (an audit row): every character PostgreSQL cannot
 * store written as its escape (`\u0000`, `\uD800`), and at most `maxLength` characters (longer
 * text ends with `…`).
 */
export function storableRecordOf(text: string, maxLength: number): string {
  const escaped = text.replace(UNSTORABLE_EVERYWHERE, (character) => `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  if (escaped.length <= maxLength) return escaped;
  const code = escaped.charCodeAt(maxLength - 2);
  // Never cut between the two halves of a surrogate pair (that would make a lone one).
  return `${escaped.slice(0, code >= 0xd800 && code <= 0xdbff ? maxLength - 2 : maxLength - 1)}…`;
}
