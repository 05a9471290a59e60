import { z } from 'zod';
import { ValidationError } from '../errors';
import { parseInput } from './input-schema';
import { integerFrom } from './input-fields';
import { isUuid } from './uuid';

/**
 * Relay-style pagination: `first`/`after` pages forward through a list in its order, `last`/`before`
 * backward. Neither size given: the first {@link DEFAULT_PAGE_SIZE}.
 */
export interface PageRequest {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  /** In the list's order, whichever way the page was read. */
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
  cursorOf(item: T): string;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** A checked page request: how many items, which way, from which cursor (decoded by the caller's keys). */
export interface PageWindow {
  size: number;
  direction: 'forward' | 'backward';
  cursor: string | null;
  /** The argument the cursor came in, for errors. */
  cursorField: 'after' | 'before';
}

/**
 * The shape of a page request: sizes from 1 to {@link MAX_PAGE_SIZE}, `first` or `last` (not both),
 * and each cursor with its own direction (`after` with `first`, `before` with `last`).
 */
export const pageRequestSchema = z
  .object({
    first: integerFrom(1, MAX_PAGE_SIZE).nullish(),
    after: z.string().nullish(),
    last: integerFrom(1, MAX_PAGE_SIZE).nullish(),
    before: z.string().nullish(),
  })
  .superRefine(({ first, after, last, before }, context) => {
    if (first != null && last != null) {
      context.addIssue({ code: 'custom', path: ['last'], message: 'goes without first: give first or last, not both' });
    } else if (last != null || (first == null && before != null)) {
      if (after != null) context.addIssue({ code: 'custom', path: ['after'], message: 'pages forward: use it with first, not with last' });
    } else if (before != null) {
      context.addIssue({ code: 'custom', path: ['before'], message: 'pages backward: use it with last, not with first' });
    }
  });

/**
 * @throws ValidationError naming every argument at fault ({@link pageRequestSchema}): a size outside
 *   1..MAX_PAGE_SIZE, `first` with `last`, or a cursor of the other direction.
 */
export function pageWindow(request: PageRequest): PageWindow {
  const { first, after, last, before } = parseInput(pageRequestSchema, request, '');
  if (last != null || (first == null && before != null)) {
    return { size: last ?? DEFAULT_PAGE_SIZE, direction: 'backward', cursor: before ?? null, cursorField: 'before' };
  }
  return { size: first ?? DEFAULT_PAGE_SIZE, direction: 'forward', cursor: after ?? null, cursorField: 'after' };
}

/** How one column of a list's order is written in a cursor. */
/** `text` keys must not contain `|` (e.g. alias names, which match `ALIAS_PATTERN`). */
export type CursorKeyKind = 'date' | 'uuid' | 'int' | 'text';
export type CursorKeyValue = Date | string | number;

/** Opaque cursor: base64url of the order's key values joined by `|` (dates in ISO 8601). */
export function encodeCursor(values: readonly CursorKeyValue[]): string {
  return Buffer.from(values.map((value) => (value instanceof Date ? value.toISOString() : String(value))).join('|')).toString('base64url');
}

function decodeKey(text: string, kind: CursorKeyKind): CursorKeyValue | null {
  switch (kind) {
    case 'date': {
      const date = new Date(text);
      return Number.isNaN(date.getTime()) ? null : date;
    }
    case 'uuid':
      return isUuid(text) ? text : null;
    case 'int':
      return /^-?\d{1,15}$/.test(text) ? Number(text) : null;
    case 'text':
      return text.length > 0 && text.length <= 200 ? text : null;
  }
}

/** @throws ValidationError (field `field`) for a cursor this API did not issue for these keys. */
export function decodeCursor(cursor: string, kinds: readonly CursorKeyKind[], field: string): CursorKeyValue[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const values = parts.length === kinds.length ? parts.map((part, index) => decodeKey(part, kinds[index])) : [];
  if (values.length === 0 || values.some((value) => value === null)) {
    throw new ValidationError(`"${cursor}" is not a valid cursor`, { field });
  }
  return values as CursorKeyValue[];
}

/** The same page with each item mapped (a row to its domain or API form); cursors stay the row's. */
export function mapPage<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  const sources = new Map<U, T>();
  const items = page.items.map((item) => {
    const mapped = map(item);
    sources.set(mapped, item);
    return mapped;
  });
  return { ...page, items, cursorOf: (item) => page.cursorOf(sources.get(item) as T) };
}
