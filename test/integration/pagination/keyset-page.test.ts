import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '../../../src/domain/common/pagination';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { keysetPage, newestFirst, type ListOrder } from '../../../src/services/keyset-pagination';
import type { Dataset } from '../../../src/generated/prisma/client';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

describe('keysetPage against PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  /** Every dataset, in the order the list gives them (computed here from the rows, not by the helper). */
  let newestFirstIds: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    // Nine datasets over three creation times: three share each time, so the id decides among them.
    const times = [new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), new Date('2026-01-03T00:00:00Z')];
    const rows = Array.from({ length: 9 }, (_, i) => ({
      id: randomUUID(),
      name: `d${i}`,
      labelColumn: 'label',
      task: 'REGRESSION' as const,
      createdAt: times[i % 3],
    }));
    await prisma.dataset.createMany({ data: rows });
    newestFirstIds = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((row) => row.id);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  function page(request: PageRequest, order: ListOrder<Dataset, 'createdAt' | 'id'> = newestFirst<Dataset>()): Promise<Page<Dataset>> {
    return keysetPage(
      { order, rows: (seek, orderBy, take) => prisma.dataset.findMany({ where: seek ?? {}, orderBy, take }), count: () => prisma.dataset.count() },
      request,
    );
  }

  it('pages forward with first/after through ties on the first key, with exact hasNextPage and hasPreviousPage', async () => {
    const seen: string[] = [];
    const flags: [boolean, boolean][] = [];
    let after: string | undefined;
    for (;;) {
      const current = await page({ first: 4, after });
      expect(current.totalCount).toBe(9);
      seen.push(...current.items.map((d) => d.id));
      flags.push([current.hasPreviousPage, current.hasNextPage]);
      if (!current.hasNextPage) break;
      after = current.cursorOf(current.items[current.items.length - 1]);
    }
    expect(seen).toEqual(newestFirstIds);
    expect(flags).toEqual([
      [false, true],
      [true, true],
      [true, false],
    ]);
  });

  it('pages backward with last/before, each page still in list order', async () => {
    const pages: string[][] = [];
    const flags: [boolean, boolean][] = [];
    let before: string | undefined;
    for (;;) {
      const current = await page({ last: 4, before });
      pages.unshift(current.items.map((d) => d.id));
      flags.push([current.hasPreviousPage, current.hasNextPage]);
      if (!current.hasPreviousPage) break;
      before = current.cursorOf(current.items[0]);
    }
    expect(pages.flat()).toEqual(newestFirstIds);
    expect(pages.map((p) => p.length)).toEqual([1, 4, 4]);
    expect(flags).toEqual([
      [true, false],
      [true, true],
      [false, true],
    ]);
  });

  it('reads an ascending list the other way round, and a cursor from one page continues in the other direction', async () => {
    const ascending = await page({ first: 9 }, { ...newestFirst<Dataset>(), direction: 'asc' });
    expect(ascending.items.map((d) => d.id)).toEqual([...newestFirstIds].reverse());
    const middle = await page({ first: 3, after: (await page({ first: 3 })).cursorOf((await page({ first: 3 })).items[2]) });
    const back = await page({ last: 3, before: middle.cursorOf(middle.items[0]) });
    expect(back.items.map((d) => d.id)).toEqual(newestFirstIds.slice(0, 3));
    expect([back.hasPreviousPage, back.hasNextPage]).toEqual([false, true]);
  });

  it.each([
    [{ first: 0 }, 'first', /from 1 to 100/],
    [{ first: 101 }, 'first', /from 1 to 100/],
    [{ last: 0 }, 'last', /from 1 to 100/],
    [{ first: 2, last: 2 }, 'last', /not both/],
    [{ last: 2, after: 'x' }, 'after', /with first/],
    [{ first: 2, before: 'x' }, 'before', /with last/],
    [{ first: 2, after: 'garbage' }, 'after', /not a valid cursor/],
    [{ last: 2, before: Buffer.from('2026-01-01T00:00:00.000Z|not-a-uuid').toString('base64url') }, 'before', /not a valid cursor/],
  ])('refuses %j naming %s', async (request, field, message) => {
    await expect(page(request)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', location: { field }, message: expect.stringMatching(message) });
  });
});
