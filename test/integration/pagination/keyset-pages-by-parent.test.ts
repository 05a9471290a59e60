import { randomUUID } from 'node:crypto';
import type { PageRequest } from '../../../src/domain/common/pagination';
import type { AlertDelivery } from '../../../src/generated/prisma/client';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { keysetPagesByParent, type ChildList } from '../../../src/services/keyset-pagination';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

/** One statement reads the same page of many parents' lists (alerts' deliveries here, oldest first). */
describe('keysetPagesByParent against PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let list: ChildList<AlertDelivery, 'createdAt' | 'id'>;
  /** Each alert's delivery ids in list order (computed here from the rows, not by the helper). */
  const expected = new Map<string, string[]>();
  const alertIds: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    const times = [new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), new Date('2026-01-03T00:00:00Z')];
    // Alerts with 0, 4 and 7 deliveries; deliveries share creation times, so the id decides among them.
    for (const [index, count] of [0, 4, 7].entries()) {
      const alert = await prisma.alert.create({ data: { kind: 'LATENCY', severity: 'WARNING', dedupKey: `k${index}`, title: `a${index}`, details: {} } });
      alertIds.push(alert.id);
      const rows = Array.from({ length: count }, (_, i) => ({
        id: randomUUID(),
        alertId: alert.id,
        url: 'https://example.com/hook',
        payload: {},
        signature: 's',
        createdAt: times[i % 3],
      }));
      await prisma.alertDelivery.createMany({ data: rows });
      expected.set(
        alert.id,
        [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)).map((row) => row.id),
      );
    }
    list = {
      order: {
        keys: [
          { column: 'createdAt', kind: 'date' },
          { column: 'id', kind: 'uuid' },
        ],
        direction: 'asc',
      },
      table: 'alert_deliveries',
      parentColumn: 'alert_id',
      columns: { createdAt: 'created_at', id: 'id' },
      rowsByIds: (ids) => prisma.alertDelivery.findMany({ where: { id: { in: ids } } }),
    };
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  const pages = (request: PageRequest) => keysetPagesByParent(prisma, list, alertIds, request);

  it('gives every parent its own first page, total and flags, an empty page for a parent without rows', async () => {
    const first = await pages({ first: 3 });
    expect(alertIds.map((id) => first.get(id)!.items.map((row) => row.id))).toEqual(alertIds.map((id) => expected.get(id)!.slice(0, 3)));
    expect(alertIds.map((id) => first.get(id)!.totalCount)).toEqual([0, 4, 7]);
    expect(alertIds.map((id) => [first.get(id)!.hasPreviousPage, first.get(id)!.hasNextPage])).toEqual([
      [false, false],
      [false, true],
      [false, true],
    ]);
  });

  it('pages forward with first/after through every parent list, ties on the first key included', async () => {
    const longest = alertIds[2];
    const seen: string[] = [];
    const flags: [boolean, boolean][] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await pages({ first: 3, after })).get(longest)!;
      seen.push(...page.items.map((row) => row.id));
      flags.push([page.hasPreviousPage, page.hasNextPage]);
      if (!page.hasNextPage) break;
      after = page.cursorOf(page.items[page.items.length - 1]);
    }
    expect(seen).toEqual(expected.get(longest));
    expect(flags).toEqual([
      [false, true],
      [true, true],
      [true, false],
    ]);
  });

  it('pages backward with last/before, each page in list order', async () => {
    const longest = alertIds[2];
    const read: string[][] = [];
    const flags: [boolean, boolean][] = [];
    let before: string | undefined;
    for (;;) {
      const page = (await pages({ last: 3, before })).get(longest)!;
      read.unshift(page.items.map((row) => row.id));
      flags.push([page.hasPreviousPage, page.hasNextPage]);
      if (!page.hasPreviousPage) break;
      before = page.cursorOf(page.items[0]);
    }
    expect(read.flat()).toEqual(expected.get(longest));
    expect(read.map((items) => items.length)).toEqual([1, 3, 3]);
    expect(flags).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);
  });

  it('applies a cursor to each parent by its keys', async () => {
    const [, four, seven] = alertIds;
    const cursor = (await pages({ first: 2 })).get(seven)!;
    const after = await pages({ first: 100, after: cursor.cursorOf(cursor.items[1]) });
    const boundary = (await prisma.alertDelivery.findUniqueOrThrow({ where: { id: expected.get(seven)![1] } })).createdAt;
    const rowsOfFour = await prisma.alertDelivery.findMany({ where: { id: { in: expected.get(four) } } });
    const laterOfFour = expected.get(four)!.filter((id) => {
      const row = rowsOfFour.find((candidate) => candidate.id === id)!;
      return row.createdAt > boundary || (row.createdAt.getTime() === boundary.getTime() && row.id > expected.get(seven)![1]);
    });
    expect(after.get(seven)!.items.map((row) => row.id)).toEqual(expected.get(seven)!.slice(2));
    expect(after.get(four)!.items.map((row) => row.id)).toEqual(laterOfFour);
    expect(after.get(four)!.totalCount).toBe(4);
  });

  it('refuses a bad size or cursor naming the argument', async () => {
    await expect(pages({ first: 101 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', location: { field: 'first' } });
    await expect(pages({ first: 2, after: 'garbage' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', location: { field: 'after' } });
  });
});
