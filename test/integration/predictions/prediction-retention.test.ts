import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { PredictionLog, poolLogWriter, type PredictionRecord } from '../../../src/services/predictions/prediction-log';
import { PredictionRetention } from '../../../src/services/predictions/prediction-retention';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

const DAY = 86_400_000;

describe('prediction retention', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pool: Pool;
  let deploymentIds: string[];
  let modelVersionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    pool = new Pool({ connectionString: db.url, max: 2 });
    ({ modelVersionId, deploymentIds } = await createLogParents(prisma, ['one', 'two']));
  });

  afterAll(async () => {
    await pool.end();
    await prisma.$disconnect();
    await db.drop();
  });

  const rows = (deploymentId: string, count: number, createdAt: Date): PredictionRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      deploymentId,
      modelVersionId,
      requestKey: `k${i}`,
      instanceIndex: i,
      inputs: { x: i },
      output: { value: i },
      latencyMs: 1,
      createdAt,
    }));

  it('deletes, in batches, only the predictions older than the retention, of every deployment, while new ones are written', async () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const log = new PredictionLog(poolLogWriter(pool));
    for (const id of deploymentIds) {
      await log.append(rows(id, 23, new Date(now - 8 * DAY)));
      await log.append(rows(id, 5, new Date(now - 6 * DAY)));
    }
    const retention = new PredictionRetention(prisma, { retentionDays: 7, batchRows: 10, now: () => now });
    // Serving goes on during the sweep: its INSERTs are not blocked by the batched DELETEs.
    const [deleted] = await Promise.all([retention.sweep(), log.append(rows(deploymentIds[0], 4, new Date(now)))]);
    expect(deleted).toBe(46);
    expect(await prisma.prediction.count({ where: { createdAt: { lt: new Date(now - 7 * DAY) } } })).toBe(0);
    expect(await prisma.prediction.count()).toBe(14);
    expect(await new PredictionRetention(prisma, { retentionDays: 0, now: () => now + 365 * DAY }).sweep()).toBe(0);
  });
});
