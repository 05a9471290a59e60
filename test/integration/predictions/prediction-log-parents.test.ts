import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { InUseError } from '../../../src/domain/errors';
import { parseTrainingHyperparameters } from '../../../src/domain/runs/training-hyperparameters';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { DeletionService } from '../../../src/services/lifecycle/deletion.service';
import { poolLogWriter } from '../../../src/services/predictions/prediction-log';
import { insertPredictions, MissingPredictionParentError, type PredictionRecord } from '../../../src/services/predictions/prediction-repository';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';

/**
 * The prediction table has no foreign keys: the log locks a batch's deployment and model version
 * (`FOR KEY SHARE`) and checks they exist, once per batch in its statement, and the deletions lock the row
 * `FOR UPDATE` before they look at its predictions. These tests hold a batch's transaction open
 * while a deletion runs, and a deletion's while a batch runs, as two API processes would meet: no
 * prediction is ever left naming a deployment or version that no longer exists.
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

  /**
   * Writes `rows` through the log's statement inside a transaction left open: the batch has locked
   * its parents and written its rows, and holds them until `commit`, as a statement in flight does.
   */
  async function openBatch(rows: PredictionRecord[]): Promise<{ commit: () => Promise<void> }> {
    const client = await pool.connect();
    await client.query('BEGIN');
    await insertPredictions(poolLogWriter(client), rows);
    return {
      commit: async () => {
        await client.query('COMMIT');
        client.release();
      },
    };
  }

  /** A fresh deployment (name starting `prefix`) of a placeholder version. */
  async function deploymentNamed(prefix: string): Promise<{ name: string; deploymentId: string; modelVersionId: string }> {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    const {
      modelVersionId,
      deploymentIds: [deploymentId],
    } = await createLogParents(prisma, [name]);
    return { name, deploymentId, modelVersionId };
  }

  /** Statements of this database waiting for a row lock. */
  async function waitingOnLocks(): Promise<number> {
    const [row] = await prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    return row.n;
  }

  /**
   * Writes `rows` as one batch left uncommitted, starts `deletion` and waits until it waits on the
   * batch's lock; then commits the batch. Resolves, once both ended, with the
   * deletion's promise (settled).
   */
  async function deleteDuringBatch<T>(rows: PredictionRecord[], deletion: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    const batch = await openBatch(rows);
    const settled = Promise.allSettled([deletion()]);
    try {
      await waitFor(async () => (await waitingOnLocks()) === 1);
    } finally {
      await batch.commit();
    }
    const [result] = await settled;
    return result;
  }

  it('a deployment deletion waits for a batch that holds its deployment, deletes its rows, and a batch after it is refused', async () => {
    const { name, deploymentId, modelVersionId } = await deploymentNamed('doomed');
    await prisma.deployment.update({ where: { id: deploymentId }, data: { archivedAt: new Date() } });
    const deletion = await deleteDuringBatch(rowsOf(deploymentId, modelVersionId, 30), () => new DeletionService(prisma).deleteDeployment(name));
    if (deletion.status === 'rejected') throw deletion.reason;
    expect(deletion.value.deleted).toContainEqual({ kind: 'PREDICTION', count: 30 });
    await expect(insertPredictions(poolLogWriter(pool), rowsOf(deploymentId, modelVersionId, 5))).rejects.toThrow(MissingPredictionParentError);
    expect(await prisma.prediction.count({ where: { deploymentId } })).toBe(0);
  });

  it('a version deletion waits for a batch naming the version, then refuses: the version now holds predictions', async () => {
    const { deploymentId, modelVersionId } = await deploymentNamed('rolled');
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

  it('a batch that meets a deletion in progress waits for it, then writes nothing', async () => {
    const { deploymentId, modelVersionId } = await deploymentNamed('racing');
    const deleting = await pool.connect();
    try {
      await deleting.query('BEGIN');
      await deleting.query('SELECT id FROM deployments WHERE id = $1 FOR UPDATE', [deploymentId]);
      const batch = insertPredictions(poolLogWriter(pool), rowsOf(deploymentId, modelVersionId, 5));
      const outcome = Promise.allSettled([batch]);
      await waitFor(async () => (await waitingOnLocks()) === 1);
      await deleting.query('DELETE FROM deployments WHERE id = $1', [deploymentId]);
      await deleting.query('COMMIT');
      const [result] = await outcome;
      expect(result.status === 'rejected' && result.reason).toBeInstanceOf(MissingPredictionParentError);
    } finally {
      deleting.release();
    }
    expect(await prisma.prediction.count({ where: { deploymentId } })).toBe(0);
  });
});
