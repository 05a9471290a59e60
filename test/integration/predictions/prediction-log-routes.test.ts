import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { poolLogWriter, prismaLogWriter } from '../../../src/services/predictions/prediction-log';
import {
  binaryPredictionArrays,
  INSERT_PREDICTIONS_BINARY_SQL,
  INSERT_PREDICTIONS_SQL,
  insertPredictions,
  MissingPredictionParentError,
  predictionColumnArrays,
  type LogWriter,
  type PredictionRecord,
} from '../../../src/services/predictions/prediction-repository';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

/**
 * The routes of the prediction log's statement (its arrays bound in binary over a pg pool, in text
 * over Prisma) store exactly what the text `unnest` INSERT sent by hand stores: the same rows
 * written through each, with their own ids, read back column by column in their text forms.
 */
describe('prediction log statement routes', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pool: Pool;
  let deploymentId: string;
  let modelVersionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    pool = new Pool({ connectionString: db.url, max: 2 });
    ({
      modelVersionId,
      deploymentIds: [deploymentId],
    } = await createLogParents(prisma, ['routes']));
  });

  afterAll(async () => {
    await pool.end();
    await prisma.$disconnect();
    await db.drop();
  });

  /** The text statement sent by hand over the pool, its parents given as the batch's. */
  const textRoute = (rows: PredictionRecord[]) =>
    pool.query({
      name: 'test_insert_predictions',
      text: INSERT_PREDICTIONS_SQL,
      values: [...predictionColumnArrays(rows), [...new Set(rows.map((r) => r.deploymentId))], [...new Set(rows.map((r) => r.modelVersionId))]],
    });

  /** Rows covering every column's kinds of values: null and non-null inputs and vectors, awkward text and numbers. */
  function variedRows(requestKey: string): PredictionRecord[] {
    const vector = new Float64Array([1.5, -0, Number.MIN_VALUE, 1e308, -123.456, 0.1 + 0.2]);
    return [
      {
        id: randomUUID(),
        deploymentId,
        modelVersionId,
        requestKey,
        instanceIndex: 0,
        inputs: null,
        output: { label: '1', probabilities: { '0': 0.1, '1': 0.9 } },
        vector: new Uint8Array(vector.buffer),
        latencyMs: 2.718281828459045,
        createdAt: new Date('2026-12-07T09:00:00.123Z'),
      },
      {
        id: randomUUID(),
        deploymentId,
        modelVersionId,
        requestKey,
        instanceIndex: 2_147_483_647,
        inputs: { x: 1.25, text: 'naïve "quoted" \\ value ✓ \n\t', nested: [null, true, { k: -1e-7 }] },
        output: { value: 0.30000000000000004 },
        vector: null,
        latencyMs: 0,
        createdAt: new Date('1999-12-31T23:59:59.999Z'),
      },
      {
        id: randomUUID(),
        deploymentId,
        modelVersionId,
        requestKey,
        instanceIndex: 7,
        inputs: { empty: '', zero: 0 },
        output: { label: 'ünïcødé', probabilities: {} },
        vector: new Uint8Array(0),
        latencyMs: 1e-9,
        createdAt: new Date('2026-01-02T03:04:05.678Z'),
      },
      {
        id: randomUUID(),
        deploymentId,
        modelVersionId,
        requestKey,
        instanceIndex: -3,
        // Larger than the encoders' first guess of a row's size: their buffers grow mid-row.
        inputs: { long: 'é🔑'.repeat(2000) },
        output: { label: null, note: 'x'.repeat(700) },
        latencyMs: 123456.789,
        createdAt: new Date(0),
      },
    ];
  }

  /** Every column but the id, in text form, of the rows of `requestKey`, by instance index. */
  async function stored(requestKey: string): Promise<unknown[]> {
    const { rows } = await pool.query(
      `SELECT deployment_id::text, model_version_id::text, request_key, instance_index, inputs::text AS inputs, output::text AS output,
              encode(vector, 'hex') AS vector, vector IS NULL AS vector_null, latency_ms::text AS latency, created_at,
              (extract(epoch FROM created_at) * 1000)::text AS created_ms, actual, actual_recorded_at
         FROM predictions WHERE request_key = $1 ORDER BY instance_index`,
      [requestKey],
    );
    return rows;
  }

  // What the prediction log runs: over a pg pool (API processes: binary arrays), and over Prisma (text arrays).
  const logPoolRoute = (rows: PredictionRecord[]) => insertPredictions(poolLogWriter(pool), rows);
  const logPrismaRoute = (rows: PredictionRecord[]) => insertPredictions(prismaLogWriter(prisma), rows);

  it.each([
    ['insertPredictions over a pg pool', logPoolRoute],
    ['insertPredictions over Prisma', logPrismaRoute],
  ])('%s stores exactly what the text unnest INSERT stores, every column', async (_name, route) => {
    const reference = variedRows(`text-${randomUUID()}`);
    await textRoute(reference);
    const key = `route-${randomUUID()}`;
    const rows = reference.map((row) => ({ ...row, id: randomUUID(), requestKey: key }));
    await route(rows);
    const expected = (await stored(reference[0].requestKey)).map((row) => ({ ...(row as object), request_key: key }));
    expect(await stored(key)).toEqual(expected);
    expect(expected).toHaveLength(4);
    const ids = await prisma.prediction.findMany({ where: { requestKey: key }, orderBy: { instanceIndex: 'asc' }, select: { id: true } });
    expect(ids.map((row) => row.id)).toEqual([...rows].sort((a, b) => a.instanceIndex - b.instanceIndex).map((row) => row.id));
  });

  it.each([
    ['text unnest', textRoute],
    ['insertPredictions over a pg pool', logPoolRoute],
    ['insertPredictions over Prisma', logPrismaRoute],
  ])('%s writes all the rows of a statement or none: a duplicate id in the middle writes nothing', async (_name, route) => {
    const key = `atomic-${randomUUID()}`;
    const rows = Array.from({ length: 50 }, (_, i) => ({ ...variedRows(key)[i % 4], id: randomUUID(), instanceIndex: i }));
    const valid = [...rows];
    rows[25] = { ...rows[25], id: rows[10].id };
    await expect(route(rows)).rejects.toThrow(/duplicate key/);
    expect(await prisma.prediction.count({ where: { requestKey: key } })).toBe(0);
    // The connection is usable afterwards.
    await route(valid);
    expect(await prisma.prediction.count({ where: { requestKey: key } })).toBe(50);
  });

  it.each([
    ['a pg pool', logPoolRoute],
    ['Prisma', logPrismaRoute],
  ])('insertPredictions over %s refuses a batch naming a deployment or version that does not exist, writing nothing of it', async (_name, route) => {
    const key = `orphan-${randomUUID()}`;
    const rows = Array.from({ length: 20 }, (_, i) => ({ ...variedRows(key)[i % 4], id: randomUUID(), instanceIndex: i }));
    for (const broken of [{ deploymentId: randomUUID() }, { modelVersionId: randomUUID() }]) {
      const batch = rows.map((row, i) => (i === 7 ? { ...row, ...broken } : row));
      await expect(route(batch)).rejects.toThrow(MissingPredictionParentError);
      expect(await prisma.prediction.count({ where: { requestKey: key } })).toBe(0);
    }
    await route(rows);
    expect(await prisma.prediction.count({ where: { requestKey: key } })).toBe(20);
  });

  it('insertPredictions binds binary arrays when the writer can, else text arrays', async () => {
    const calls: string[] = [];
    const recording = (writer: LogWriter): LogWriter => ({
      binaryParameters: writer.binaryParameters,
      query: (statement, values) => (calls.push(statement.text), writer.query(statement, values)),
    });
    const [row] = variedRows(`dispatch-${randomUUID()}`);
    await insertPredictions(recording(poolLogWriter(pool)), [row]);
    await insertPredictions(recording(prismaLogWriter(prisma)), [{ ...row, id: randomUUID() }]);
    expect(calls).toEqual([INSERT_PREDICTIONS_BINARY_SQL, INSERT_PREDICTIONS_SQL]);
    expect(await prisma.prediction.count({ where: { requestKey: row.requestKey } })).toBe(2);
  });

  it('rejects a duplicate id on every route, writing nothing of the statement', async () => {
    const key = `dup-${randomUUID()}`;
    const [first] = variedRows(key);
    await textRoute([first]);
    for (const route of [textRoute, logPoolRoute, logPrismaRoute]) {
      await expect(route([{ ...first, id: randomUUID(), instanceIndex: 1 }, first])).rejects.toThrow(/duplicate key/);
    }
    expect(await prisma.prediction.count({ where: { requestKey: key } })).toBe(1);
  });

  it('rejects what the text route rejects before anything is sent: a malformed uuid, a non-integer index, an invalid date', async () => {
    const [row] = variedRows(`bad-${randomUUID()}`);
    const bad: PredictionRecord[] = [
      { ...row, id: 'not-a-uuid' },
      { ...row, instanceIndex: 1.5 },
      { ...row, createdAt: new Date(Number.NaN) },
    ];
    for (const record of bad) {
      await expect(textRoute([record])).rejects.toThrow();
      expect(() => binaryPredictionArrays([record])).toThrow();
    }
  });

  it('writes a batch of megabytes whole', async () => {
    const key = `large-${randomUUID()}`;
    const [template] = variedRows(key);
    const rows = Array.from({ length: 6000 }, (_, i) => ({ ...template, id: randomUUID(), instanceIndex: i, vector: new Uint8Array(248).fill(i % 256) }));
    expect(binaryPredictionArrays(rows)[7].length).toBeGreaterThan(1024 * 1024);
    await logPoolRoute(rows);
    const { rows: stored } = await pool.query<{ count: number; bytes: number }>(
      'SELECT count(*)::int AS count, sum(length(vector))::int AS bytes FROM predictions WHERE request_key = $1',
      [key],
    );
    expect(stored[0]).toEqual({ count: 6000, bytes: 6000 * 248 });
  });

  it('writes an empty batch as nothing on every route', async () => {
    const before = await prisma.prediction.count();
    await textRoute([]);
    await logPoolRoute([]);
    await logPrismaRoute([]);
    expect(await prisma.prediction.count()).toBe(before);
    expect(INSERT_PREDICTIONS_SQL).toContain('unnest');
  });
});
