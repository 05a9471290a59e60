import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { AuditLog } from '../../../src/services/audit/audit-log';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

/**
 * The stamps an enabled AsyncLocalStorage's promise hook puts on every new promise (Node 20: one
 * `kResourceStore` symbol per enabled storage). Other storages of the process (other tests' in the
 * same worker) may stamp too: a test compares the stamps seen inside a mutation with those before it.
 */
function storeStamps(): symbol[] {
  return Object.getOwnPropertySymbols(Promise.resolve()).filter((symbol) => String(symbol).includes('ResourceStore'));
}

/** The stamps in `now` that were not in `before`: the storages enabled in between. */
function added(before: readonly symbol[], now: readonly symbol[]): symbol[] {
  return now.filter((symbol) => !before.includes(symbol));
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** The audit scope's storage is enabled only while an audited mutation runs: the promises of everything else pay no hook. */
describe('AuditLog scope', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  const entry = (operation: string) => ({ principal: 'admin', role: 'ADMIN' as const, operation, targetIds: [], requestId: `req-${operation}` });
  const outcomes = { resultIds: () => [], failure: () => ({ outcome: 'FAILED' as const, errorCode: 'BOOM' }) };

  it('keeps a running mutation in its scope when another one ends, and leaves no hook behind once both ended', async () => {
    const audit = new AuditLog(prisma);
    const client = audit.auditingClient(prisma);
    const firstMayEnd = gate();
    const secondMayCommit = gate();
    const before = storeStamps();
    const stampsInside: symbol[][] = [];
    const first = audit.audit(
      entry('first'),
      async () => {
        stampsInside.push(storeStamps());
        await firstMayEnd.opened;
        return 'first';
      },
      outcomes,
    );
    const second = audit.audit(
      entry('second'),
      async () => {
        await secondMayCommit.opened;
        // Still in its scope although the first mutation has ended: the row is written inside this transaction...
        await client.$transaction(async (tx) => tx.$queryRaw`SELECT 1`);
        // ... so a failure after the commit is noted on that SUCCEEDED row, not recorded as a FAILED one.
        throw new Error('failed after its commit');
      },
      outcomes,
    );
    firstMayEnd.open();
    await expect(first).resolves.toBe('first');
    secondMayCommit.open();
    await expect(second).rejects.toThrow('failed after its commit');

    const auditScope = added(before, stampsInside[0]);
    expect(auditScope).toHaveLength(1);
    expect(storeStamps()).not.toContain(auditScope[0]);
    const rows = await prisma.auditEvent.findMany({ where: { operation: { in: ['first', 'second'] } }, orderBy: { operation: 'asc' } });
    expect(rows.map(({ operation, outcome, errorCode }) => ({ operation, outcome, errorCode }))).toEqual([
      { operation: 'first', outcome: 'SUCCEEDED', errorCode: null },
      { operation: 'second', outcome: 'SUCCEEDED', errorCode: 'BOOM' },
    ]);
  });

  it('enables the scope again for the next mutation, and disables it after a failed one too', async () => {
    const audit = new AuditLog(prisma);
    const before = storeStamps();
    const first = await audit.audit(entry('first-of-two'), async () => storeStamps(), outcomes);
    const auditScope = added(before, first);
    expect(auditScope).toHaveLength(1);
    expect(storeStamps()).not.toContain(auditScope[0]);
    await expect(audit.audit(entry('failing'), async () => Promise.reject(new Error('no')), outcomes)).rejects.toThrow('no');
    expect(storeStamps()).not.toContain(auditScope[0]);
    const again = await audit.audit(entry('again'), async () => storeStamps(), outcomes);
    expect(again).toContain(auditScope[0]);
    expect(storeStamps()).not.toContain(auditScope[0]);
  });
});
