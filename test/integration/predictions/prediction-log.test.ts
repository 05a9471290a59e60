import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { Pool } from 'pg';
import { PredictionLog, poolLogWriter, type PredictionRecord } from '../../../src/services/predictions/prediction-log';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

describe('prediction log (group commit)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let deploymentId: string;
  let modelVersionId: string;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    pool = new Pool({ connectionString: db.url, max: 2 });
    ({
      modelVersionId,
      deploymentIds: [deploymentId],
    } = await createLogParents(prisma, ['log']));
  });

  afterAll(async () => {
    await pool.end();
    await prisma.$disconnect();
    await db.drop();
  });

  const rows = (count: number, requestKey: string, deployment = deploymentId): PredictionRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      deploymentId: deployment,
      modelVersionId,
      requestKey,
      instanceIndex: i,
      inputs: { x: i, text: 'naïve "quoted" \\ value' },
      output: { label: 'a', probabilities: { a: 0.75, b: 0.25 } },
      latencyMs: 1.5,
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
    }));

  it('writes what each append gave, exactly, and batches concurrent appends into few INSERTs', async () => {
    const log = new PredictionLog(poolLogWriter(pool), { maxInFlight: 1 });
    const batches = Array.from({ length: 100 }, (_, i) => rows(3, `r${i}`));
    await Promise.all(batches.map((batch) => log.append(batch)));
    const stats = log.stats();
    expect(stats).toMatchObject({ appends: 100, rows: 300 });
    // The first append goes out alone; the other 99 wait for it and go out together.
    expect(stats.inserts).toBe(2);
    expect(stats.largestBatch).toBe(297);
    const stored = await prisma.prediction.findUniqueOrThrow({ where: { id: batches[42][2].id } });
    expect(stored).toMatchObject({
      deploymentId,
      modelVersionId,
      requestKey: 'r42',
      instanceIndex: 2,
      inputs: batches[42][2].inputs,
      output: batches[42][2].output,
      latencyMs: 1.5,
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      actual: null,
    });
    expect(await prisma.prediction.count({ where: { id: { in: batches.flat().map((row) => row.id) } } })).toBe(300);
  });

  it('keeps each INSERT within maxBatchRows, never splitting an append', async () => {
    const log = new PredictionLog(poolLogWriter(pool), { maxBatchRows: 10, maxInFlight: 1 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => log.append(rows(4, `m${i}`))));
    await log.append(rows(15, 'big'));
    const stats = log.stats();
    expect(stats.rows).toBe(63);
    expect(stats.largestBatch).toBe(15);
    // 1 alone, then the other 11 appends two at a time (8 rows): 6 INSERTs; then the big one.
    expect(stats.inserts).toBe(1 + 6 + 1);
  });

  it('fails only the append whose rows cannot be written', async () => {
    const log = new PredictionLog(poolLogWriter(pool), { maxInFlight: 1 });
    const good = Array.from({ length: 5 }, (_, i) => rows(2, `g${i}`));
    const bad = rows(2, 'bad', randomUUID());
    const results = await Promise.allSettled([log.append(rows(1, 'first')), ...good.map((batch) => log.append(batch)), log.append(bad)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(await prisma.prediction.count({ where: { id: { in: good.flat().map((row) => row.id) } } })).toBe(10);
    expect(await prisma.prediction.count({ where: { requestKey: 'bad' } })).toBe(0);
  });

  it('keeps up to maxInFlight INSERTs running at once, each waiting append joining the next', async () => {
    const log = new PredictionLog(poolLogWriter(pool), { maxInFlight: 2 });
    const batches = Array.from({ length: 50 }, (_, i) => rows(2, `p${i}`));
    await Promise.all(batches.map((batch) => log.append(batch)));
    // The first two appends go out at once, each alone; the other 48 wait and share the next INSERT.
    expect(log.stats()).toMatchObject({ appends: 50, rows: 100, inserts: 3, largestBatch: 96 });
    expect(log.pendingRows()).toBe(0);
    expect(await prisma.prediction.count({ where: { id: { in: batches.flat().map((row) => row.id) } } })).toBe(100);
  });
});
