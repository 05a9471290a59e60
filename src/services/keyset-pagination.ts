import { Prisma } from '../generated/prisma/client';
import { decodeCursor, encodeCursor, pageWindow, type CursorKeyKind, type Page, type PageRequest } from '../domain/common/pagination';
import { required } from '../domain/common/required';
import type { PrismaClient } from '../infra/db/prisma-client';

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
  const cursor =
    window.cursor === null
      ? null
      : decodeCursor(
          window.cursor,
          order.keys.map((key) => key.kind),
          window.cursorField,
        );
  const reverse = order.direction === 'asc' ? 'desc' : 'asc';
  // In list order, "after" the cursor means smaller keys for a descending list.
  const ahead: Side = order.direction === 'desc' ? 'lt' : 'gt';
  const behind: Side = ahead === 'lt' ? 'gt' : 'lt';
  const forward = window.direction === 'forward';
  const [rows, totalCount, beyondCursor] = await Promise.all([
    list.rows(cursor && seekOf(order, cursor, forward ? ahead : behind, false), orderByOf(order.keys, forward ? order.direction : reverse), window.size + 1),
    list.count(),
    cursor
      ? list.rows(seekOf(order, cursor, forward ? behind : ahead, true), orderByOf(order.keys, forward ? reverse : order.direction), 1)
      : Promise.resolve([]),
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
  return byCreation('desc');
}

/** Oldest first by creation time, then id: histories (an alert's deliveries, a version's evaluations). */
export function oldestFirst<Row extends { createdAt: Date; id: string }>(): ListOrder<Row, 'createdAt' | 'id'> {
  return byCreation('asc');
}

function byCreation<Row extends { createdAt: Date; id: string }>(direction: 'asc' | 'desc'): ListOrder<Row, 'createdAt' | 'id'> {
  return {
    keys: [
      { column: 'createdAt', kind: 'date' },
      { column: 'id', kind: 'uuid' },
    ],
    direction,
  };
}

/**
 * A list per parent (a model's versions, an alert's deliveries), read for many parents at once:
 * a GraphQL list of models each asking for its versions costs one query for every model's page,
 * not one per model. The table's SQL names are code constants, never input.
 */
export interface ChildList<Row, K extends keyof Row & string> {
  order: ListOrder<Row, K>;
  /** The table and its column naming the parent (a uuid). */
  table: string;
  parentColumn: string;
  /** Each order key's column. */
  columns: Record<K, string>;
  /**
   * How a row belongs to its parent when `parentColumn = parent` does not say it: a condition over
   * the table's columns and `p.parent` (the parent key, of type `parentType`), e.g. two columns
   * matched against the parts of a composite key.
   */
  parentMatch?: Prisma.Sql;
  /** The SQL type of parent keys: `uuid` (default) or `text` (composite keys). */
  parentType?: 'uuid' | 'text';
  /** More conditions on the list's rows (e.g. one alias), over the table's columns. */
  filter?: Prisma.Sql;
  /**
   * For a table without an `id` column: an SQL expression giving each row a unique text key, and
   * the same key of a row read back (e.g. `run_id::text || '/' || epoch` and `${runId}/${epoch}`).
   */
  rowKey?: { sql: string; of: (row: Row) => string };
  /** The rows with these ids (or `rowKey` keys), in any order. */
  rowsByIds(ids: string[]): Promise<Row[]>;
}

/** What runs the page query: the Prisma client or a transaction. */
export type RawQuery = Pick<PrismaClient, '$queryRaw'>;

const CAST: Record<CursorKeyKind, string> = { date: 'timestamptz', uuid: 'uuid', int: 'int', text: 'text' };

interface ChildPageRow {
  parent: string;
  total: number;
  id: string | null;
  beyond: boolean;
}

/**
 * The same page (`request`) of each parent's list, keyed by parent id: one SQL statement reads
 * every parent's page ids, total and (with a cursor) whether rows lie beyond it, each page through
 * the parent's index (a LATERAL join with LIMIT), then one query reads the rows.
 * @throws ValidationError for a bad size or cursor (see `pageWindow`).
 */
export async function keysetPagesByParent<Row extends object, K extends keyof Row & string>(
  db: RawQuery,
  list: ChildList<Row, K>,
  parentIds: readonly string[],
  request: PageRequest,
): Promise<Map<string, Page<Row>>> {
  const window = pageWindow(request);
  const { order } = list;
  const cursor =
    window.cursor === null
      ? null
      : decodeCursor(
          window.cursor,
          order.keys.map((key) => key.kind),
          window.cursorField,
        );
  const forward = window.direction === 'forward';
  const readDirection = forward === (order.direction === 'asc') ? 'ASC' : 'DESC';
  const table = Prisma.raw(list.table);
  const parentColumn = Prisma.raw(list.parentColumn);
  const keyColumns = Prisma.join(order.keys.map(({ column }) => Prisma.raw(list.columns[column])));
  const orderBy = Prisma.join(order.keys.map(({ column }) => Prisma.raw(`${list.columns[column]} ${readDirection}`)));
  const cursorValues = cursor && Prisma.join(order.keys.map(({ kind }, index) => Prisma.sql`${cursor[index]}::${Prisma.raw(CAST[kind])}`));
  // Reading in `readDirection`, the page lies past the cursor and the rows beyond it before it.
  const past = Prisma.raw(readDirection === 'ASC' ? '>' : '<');
  const before = Prisma.raw(readDirection === 'ASC' ? '<=' : '>=');
  const belongs = Prisma.sql`${list.parentMatch ?? Prisma.sql`${parentColumn} = p.parent`}${list.filter ? Prisma.sql` AND (${list.filter})` : Prisma.empty}`;
  const rowKey = Prisma.raw(list.rowKey?.sql ?? 'id::text');
  const keyOf = list.rowKey?.of ?? ((row: Row) => (row as Row & { id: string }).id);
  const rows = await db.$queryRaw<ChildPageRow[]>`
    SELECT p.parent::text AS parent, counted.total, page.id, ${cursorValues ? Prisma.sql`beyond.found` : Prisma.sql`false`} AS beyond
    FROM unnest(${[...new Set(parentIds)]}::${Prisma.raw(list.parentType === 'text' ? 'text' : 'uuid')}[]) AS p(parent)
    CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM ${table} WHERE ${belongs}) AS counted
    LEFT JOIN LATERAL (
      SELECT ${rowKey} AS id, ${Prisma.join(order.keys.map(({ column }, index) => Prisma.raw(`${list.columns[column]} AS k${index}`)))} FROM ${table}
      WHERE ${belongs}${cursorValues ? Prisma.sql` AND (${keyColumns}) ${past} (${cursorValues})` : Prisma.empty}
      ORDER BY ${orderBy} LIMIT ${window.size + 1}
    ) AS page ON true
    ${cursorValues ? Prisma.sql`CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM ${table} WHERE ${belongs} AND (${keyColumns}) ${before} (${cursorValues})) AS found) AS beyond` : Prisma.empty}
    ORDER BY p.parent, ${Prisma.join(order.keys.map((_, index) => Prisma.raw(`page.k${index} ${readDirection}`)))}`;
  const ids = rows.flatMap((row) => (row.id === null ? [] : [row.id]));
  const byId = new Map((ids.length ? await list.rowsByIds(ids) : []).map((row) => [keyOf(row), row]));
  const cursorOf = (row: Row) => encodeCursor(order.keys.map(({ column }) => row[column] as Date | string | number));
  const pages = new Map<string, Page<Row>>();
  for (const parentId of parentIds) pages.set(parentId, { items: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0, cursorOf });
  const read = new Map<Page<Row>, Row[]>();
  for (const row of rows) {
    const page = required(pages.get(row.parent), `page of parent ${row.parent}`);
    page.totalCount = row.total;
    if (forward) page.hasPreviousPage = row.beyond;
    else page.hasNextPage = row.beyond;
    const item = row.id === null ? undefined : byId.get(row.id);
    if (item) read.set(page, [...(read.get(page) ?? []), item]);
  }
  for (const [page, items] of read) {
    const more = items.length > window.size;
    page.items = items.slice(0, window.size);
    if (!forward) page.items.reverse();
    if (forward) page.hasNextPage = more;
    else page.hasPreviousPage = more;
  }
  return pages;
}
