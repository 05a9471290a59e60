import { decodeCursor, encodeCursor, pageWindow, type CursorKeyKind, type Page, type PageRequest } from '../domain/common/pagination';

/**
 * Keyset pagination over a database list, the one implementation every list uses: a list is
 * ordered by unique keys (e.g. `createdAt` then `id`, newest first); a cursor holds the keys of an
 * item, and a page is the rows strictly after it (`first`/`after`) or before it (`last`/`before`)
 * in that order, read through an index with no OFFSET. `hasPreviousPage` (forward) and
 * `hasNextPage` (backward) cost one more indexed one-row read, made only when a cursor was given.
 */

/** The columns a list is ordered by, in order, and which way: `desc` lists the greatest keys first. */
export interface ListOrder<Row, K extends keyof Row & string> {
  keys: readonly { column: K; kind: CursorKeyKind }[];
  direction: 'asc' | 'desc';
}

type Comparison<V> = V | { lt: V } | { gt: V } | { lte: V } | { gte: V };

/** A Prisma `where` selecting the rows on one side of a cursor (an OR of key prefixes). */
export interface Seek<Row, K extends keyof Row> {
  OR: { [P in K]?: Comparison<Row[P]> }[];
}

/** A Prisma `orderBy` for the list's keys. */
export type OrderBy<K extends string> = Partial<Record<K, 'asc' | 'desc'>>[];

export interface KeysetList<Row, K extends keyof Row & string> {
  order: ListOrder<Row, K>;
  /**
   * The list's rows (its base filter) that also match `seek` when given, ordered by `orderBy`,
   * at most `take`: typically `prisma.x.findMany({ where: { AND: [where, ...(seek ? [seek] : [])] }, orderBy, take })`.
   */
  rows(seek: Seek<Row, K> | null, orderBy: OrderBy<K>, take: number): Promise<Row[]>;
  /** Rows of the list (its base filter), for `totalCount`. */
  count(): Promise<number>;
}

type Side = 'lt' | 'gt';

/** Rows strictly on one side of `cursor` (in key order), or on it too when `inclusive`. */
function seekOf<Row, K extends keyof Row & string>(order: ListOrder<Row, K>, cursor: readonly unknown[], side: Side, inclusive: boolean): Seek<Row, K> {
  const terms = order.keys.map((_, index) => {
    const term: Record<string, unknown> = {};
    for (let prefix = 0; prefix < index; prefix++) term[order.keys[prefix].column] = cursor[prefix];
    const last = index === order.keys.length - 1;
    term[order.keys[index].column] = { [last && inclusive ? `${side}e` : side]: cursor[index] };
    return term as Seek<Row, K>['OR'][number];
  });
  return { OR: terms };
}

function orderByOf<K extends string>(keys: readonly { column: K }[], direction: 'asc' | 'desc'): OrderBy<K> {
  return keys.map(({ column }) => ({ [column]: direction }) as Partial<Record<K, 'asc' | 'desc'>>);
}

/** One page of `list` as asked by `request`. @throws ValidationError for a bad size or cursor (see `pageWindow`). */
export async function keysetPage<Row, K extends keyof Row & string>(list: KeysetList<Row, K>, request: PageRequest): Promise<Page<Row>> {
  const window = pageWindow(request);
  const { order } = list;
  const cursor = window.cursor === null ? null : decodeCursor(window.cursor, order.keys.map((key) => key.kind), window.cursorField);
  const reverse = order.direction === 'asc' ? 'desc' : 'asc';
  // In list order, "after" the cursor means smaller keys for a descending list.
  const ahead: Side = order.direction === 'desc' ? 'lt' : 'gt';
  const behind: Side = ahead === 'lt' ? 'gt' : 'lt';
  const forward = window.direction === 'forward';
  const [rows, totalCount, beyondCursor] = await Promise.all([
    list.rows(cursor && seekOf(order, cursor, forward ? ahead : behind, false), orderByOf(order.keys, forward ? order.direction : reverse), window.size + 1),
    list.count(),
    cursor ? list.rows(seekOf(order, cursor, forward ? behind : ahead, true), orderByOf(order.keys, forward ? reverse : order.direction), 1) : Promise.resolve([]),
  ]);
  const more = rows.length > window.size;
  const items = rows.slice(0, window.size);
  if (!forward) items.reverse();
  return {
    items,
    hasNextPage: forward ? more : beyondCursor.length > 0,
    hasPreviousPage: forward ? beyondCursor.length > 0 : more,
    totalCount,
    cursorOf: (row) => encodeCursor(order.keys.map(({ column }) => row[column] as Date | string | number)),
  };
}

/** Newest first by creation time, then id: the order of most lists. */
export function newestFirst<Row extends { createdAt: Date; id: string }>(): ListOrder<Row, 'createdAt' | 'id'> {
  return { keys: [{ column: 'createdAt', kind: 'date' }, { column: 'id', kind: 'uuid' }], direction: 'desc' };
}
