import { ValidationError } from '../errors';

/** Relay-style forward pagination over a (createdAt desc, id desc) order. */
export interface PageRequest {
  first: number;
  after?: string;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  totalCount: number;
  cursorOf(item: T): string;
}

export interface CreatedCursor {
  createdAt: Date;
  id: string;
}

export const MAX_PAGE_SIZE = 100;

/** Opaque cursor: base64url of `<createdAt ISO>|<id>`. */
export function encodeCursor(position: CreatedCursor): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`).toString('base64url');
}

/** @throws ValidationError (field `after`) for a cursor this API did not issue. */
export function decodeCursor(cursor: string, field = 'after'): CreatedCursor {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  if (!id || Number.isNaN(createdAt.getTime())) {
    throw new ValidationError(`"${cursor}" is not a valid cursor`, { field });
  }
  return { createdAt, id };
}

/** @throws ValidationError (field `first`) when the page size is outside 1..MAX_PAGE_SIZE. */
export function checkPageSize(first: number, field = 'first'): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new ValidationError(`${field} must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${first}`, { field });
  }
  return first;
}
