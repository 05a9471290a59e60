import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { InUseError } from '../../../src/domain/errors';
import { parseTrainingHyperparameters } from '../../../src/domain/runs/training-hyperparameters';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { DeletionService } from '../../../src/services/lifecycle/deletion.service';
import { poolLogWriter } from '../../../src/services/predictions/prediction-log';
import {
  insertPredictions,
  LOCK_PREDICTION_PARENTS,
  MissingPredictionParentError,
  type LogWriter,
  type PredictionRecord,
} from '../../../src/services/predictions/prediction-repository';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';

/**
 * The prediction table has no foreign keys: the log locks a batch's deployment and model version
 * (`FOR KEY SHARE`) and checks they exist, once per batch, and the deletions lock the row
 * `FOR UPDATE` before they look at its predictions. These tests hold a batch between its lock and
 * its COPY while a deletion runs, as two API processes would meet: no prediction is ever left
 * naming a deployment or version that no longer exists.
 */
describe('prediction log parents without foreign keys', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 3);
    pool = new Pool({ connectionString: db.url, max: 2 });
  });

  afterAll(async () => {
    await pool.end();
    await prisma.$disconnect();
    await db.drop();
  });

  function rowsOf(deploymentId: string, modelVersionId: string, count: number): PredictionRecord[] {
    const requestKey = randomUUID();
    return Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      deploymentId,
      modelVersionId,
      requestKey,
      instanceIndex: i,
      inputs: { x: i },
      output: { value: i },
      latencyMs: 1,
      createdAt: new Date(),
    }));
  }

  /** A pool writer whose batches stop after locking their parents until `release` is called. */
  function heldWriter(): { writer: LogWriter; locked: Promise<void>; release: () => void } {
    let release!: () => void;
    let locked!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lockedPromise = new Promise<void>((resolve) => (locked = resolve));
    const pooled = poolLogWriter(pool);
    return {
      writer: {
        transaction: (work) =>
          pooled.transaction((tx) =>
            work({
              query: async (statement, values) => {
                const rows = await tx.query(statement, values);
                if (statement.name === LOCK_PREDICTION_PARENTS.name) {
                  locked();
                  await gate;
                }
                return rows;
              },
              copyFrom: tx.copyFrom ? (sql, data) => tx.copyFrom!(sql, data) : undefined,
            }),
          ),
      },
      locked: lockedPromise,
      release,
    };
  }

  /** Statements of this database waiting for a row lock. */
  async function waitingOnLocks(): Promise<number> {
    const [row] = await prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    return row.n;
  }

  /**
   * Writes `rows` as one batch held between its lock and its COPY, starts `deletion` and waits until
   * it waits on the batch's lock; then lets the batch commit. Resolves, once both ended, with the
   * deletion's promise (settled).
   */
  async function deleteDuringBatch<T>(rows: PredictionRecord[], deletion: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    const held = heldWriter();
    const batch = insertPredictions(held.writer, rows);
    await held.locked;
    const deleting = deletion();
    const settled = Promise.allSettled([deleting]);
    try {
      await waitFor(async () => (await waitingOnLocks()) === 1);
    } finally {
      held.release();
    }
    await batch;
    const [result] = await settled;
    return result;
  }

  it('a deployment deletion waits for a batch that holds its deployment, deletes its rows, and a batch after it is refused', async () => {
    const name = `doomed-${randomUUID().slice(0, 8)}`;
    const {
      modelVersionId,
      deploymentIds: [deploymentId],
    } = await createLogParents(prisma, [name]);
    await prisma.deployment.update({ where: { id: deploymentId }, data: { archivedAt: new Date() } });
    const deletion = await deleteDuringBatch(rowsOf(deploymentId, modelVersionId, 30), () => new DeletionService(prisma).deleteDeployment(name));
    if (deletion.status === 'rejected') throw deletion.reason;
    expect(deletion.value.deleted).toContainEqual({ kind: 'PREDICTION', count: 30 });
    await expect(insertPredictions(poolLogWriter(pool), rowsOf(deploymentId, modelVersionId, 5))).rejects.toThrow(MissingPredictionParentError);
    expect(await prisma.prediction.count({ where: { deploymentId } })).toBe(0);
  });

  it('a version deletion waits for a batch naming the version, then refuses: the version now holds predictions', async () => {
    const name = `rolled-${randomUUID().slice(0, 8)}`;
    const {
      modelVersionId,
      deploymentIds: [deploymentId],
    } = await createLogParents(prisma, [name]);
    // A second version of the model that no deployment serves: only its predictions keep it.
    const served = await prisma.modelVersion.findUniqueOrThrow({ where: { id: modelVersionId } });
    const former = await prisma.modelVersion.create({
      data: {
        modelId: served.modelId,
        version: 2,
        datasetVersionId: served.datasetVersionId,
        datasetContentHash: served.datasetContentHash,
        artifactSha256: 'e'.repeat(64),
        artifactBytes: 0,
        // Valid JSON columns: the deletion reads the version as the domain type.
        preprocessing: {
          version: 1,
          task: 'REGRESSION',
          features: [{ name: 'x', type: 'NUMERIC', offset: 0, mean: 0, scale: 1 }],
          inputWidth: 1,
          label: { kind: 'TARGET', column: 'y', mean: 0, scale: 1 },
          trainRowCount: 10,
        },
        hyperparameters: parseTrainingHyperparameters({}, { task: 'REGRESSION', randomSeed: () => 1 }) as never,
        environment: {},
      },
    });
    const deletion = await deleteDuringBatch(rowsOf(deploymentId, former.id, 10), () => new DeletionService(prisma).deleteModelVersion(former.id));
    expect(deletion.status === 'rejected' && deletion.reason).toBeInstanceOf(InUseError);
    expect(await prisma.prediction.count({ where: { modelVersionId: former.id } })).toBe(10);
    expect(await prisma.modelVersion.count({ where: { id: former.id } })).toBe(1);
  });
});
