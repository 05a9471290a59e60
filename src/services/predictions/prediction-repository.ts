/**
 * The persistence of predictions: the only code that reads or writes the `predictions` table. The
 * serving log's group commit writes through {@link insertPredictions} (the one INSERT, over the
 * log's writer: a `pg` pool in API processes); the drift monitor, the performance and traffic
 * services, the serving alerts, actuals, retention, the deletion service and the lifecycle usages
 * read and write through the rest. It returns the domain type of `src/domain/predictions/prediction.ts`
 * ({@link toPrediction} decodes the JSON columns) or the aggregates a caller asked for; no Prisma
 * row leaves it. The rules (windows, bounds, what an actual may be, when to sweep) are the
 * callers': a function here is one read or one write.
 *
 * The statements are those the services issued before they moved here, unchanged: the serving path
 * pays nothing more per request.
 */
import { Prisma, type Prediction as PredictionRow } from '../../generated/prisma/client';
import { isUuid } from '../../domain/common/uuid';
import type { Prediction, PredictionActual } from '../../domain/predictions/prediction';
import { predictionActualOf, predictionOutputOf } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import type { PredictionOutput } from '../../ml/serving/prediction-request';
import { binaryArray, PG_OID } from '../../infra/db/pg-binary';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** One prediction as the serving log writes it. */
export interface PredictionRecord {
  id: string;
  deploymentId: string;
  modelVersionId: string;
  requestKey: string;
  instanceIndex: number;
  /** The inputs as JSON; null when `vector` holds them (the usual case: inputs are stored once). */
  inputs: unknown;
  output: unknown;
  /** The inputs and output as drift vectors (`encodePredictionVector`); absent or null: not stored. */
  vector?: Uint8Array | null;
  latencyMs: number;
  createdAt: Date;
}

/** A statement the log runs, named so that a `pg` connection prepares it once. */
export interface LogStatement {
  name: string;
  text: string;
}

/**
 * How the log's rows reach the database: one statement per batch, its own transaction (all the
 * rows or none). A writer that sends `Buffer` parameters in binary (a `pg` pool, `poolLogWriter`)
 * is given the columns as binary arrays; any other (Prisma) as text arrays.
 */
export interface LogWriter {
  /** Runs one parameterised statement; resolves with how many rows it wrote. */
  query(statement: LogStatement, values: unknown[]): Promise<number>;
  /** Whether `Buffer` parameters reach PostgreSQL in binary. */
  binaryParameters: boolean;
}

/** A log batch names a deployment or model version that does not exist (deleted meanwhile, or never was): nothing of it is written. */
export class MissingPredictionParentError extends Error {
  constructor(
    readonly deploymentIds: readonly string[],
    readonly modelVersionIds: readonly string[],
  ) {
    super(
      `the prediction log's batch names ${deploymentIds.length} deployment(s) and ${modelVersionIds.length} model version(s), ` +
        'and some of them do not exist (deleted while the batch was written?): nothing of it was written',
    );
    this.name = 'MissingPredictionParentError';
  }
}

/** The columns the log writes, in the order of its statements' fields. */
const LOGGED_COLUMNS = 'id, deployment_id, model_version_id, request_key, instance_index, inputs, output, vector, latency_ms, created_at';

/**
 * What a foreign key would check for every row, once per statement: the batch's deployments ($11)
 * and model versions ($12) exist, and stay so until it commits (`FOR KEY SHARE`, the lock a
 * foreign-key check takes: a deletion, which locks the row `FOR UPDATE` first, waits for the
 * batch, and a batch after the deletion finds its parent gone and writes nothing). The table has
 * no foreign keys: checked per row, they doubled the server's CPU per logged row (README,
 * Performance). Evaluated before the first row is written (the plan's outer side).
 */
const WITH_PARENTS_PRESENT = `WITH parents AS MATERIALIZED (
  SELECT (SELECT count(*) FROM (SELECT 1 FROM deployments WHERE id = ANY($11::uuid[]) FOR KEY SHARE) AS d) = cardinality($11::uuid[])
     AND (SELECT count(*) FROM (SELECT 1 FROM model_versions WHERE id = ANY($12::uuid[]) FOR KEY SHARE) AS v) = cardinality($12::uuid[]) AS present)`;

/**
 * The one statement of a group commit over text arrays (Prisma): ten column arrays, whatever the
 * batch size, written only when the parents are present. Timestamps travel as epoch milliseconds
 * (float8).
 */
export const INSERT_PREDICTIONS_SQL = `${WITH_PARENTS_PRESENT}
INSERT INTO predictions (${LOGGED_COLUMNS})
  SELECT id, deployment_id, model_version_id, request_key, instance_index, inputs, output, vector, latency_ms, to_timestamp(created_ms / 1000.0)
  FROM parents, unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[], $8::bytea[], $9::float8[], $10::float8[])
    AS r(id, deployment_id, model_version_id, request_key, instance_index, inputs, output, vector, latency_ms, created_ms)
  WHERE parents.present`;

/**
 * {@link INSERT_PREDICTIONS_SQL} with its arrays bound in binary (timestamps as timestamptz): what
 * the log runs over a `pg` pool, prepared once per connection. One round trip per batch, and per
 * 100-row batch about the server CPU of a binary COPY (bench/prediction-log.bench.ts), which
 * could not check the parents in the same statement.
 */
export const INSERT_PREDICTIONS_BINARY_SQL = `${WITH_PARENTS_PRESENT}
INSERT INTO predictions (${LOGGED_COLUMNS})
  SELECT r.* FROM parents, unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[], $8::bytea[], $9::float8[], $10::timestamptz[]) AS r
  WHERE parents.present`;

const INSERT_PREDICTIONS: LogStatement = { name: 'mlplane_insert_predictions', text: INSERT_PREDICTIONS_SQL };
const INSERT_PREDICTIONS_BINARY: LogStatement = { name: 'mlplane_insert_predictions_binary', text: INSERT_PREDICTIONS_BINARY_SQL };

/**
 * Writes `rows` in one statement through `write` (all or none), their deployments and versions
 * checked and locked in it: binary arrays when the writer can, else text arrays.
 * @throws MissingPredictionParentError when a deployment or version named does not exist
 */
export async function insertPredictions(write: LogWriter, rows: readonly PredictionRecord[]): Promise<void> {
  if (rows.length === 0) return;
  const deploymentIds = [...new Set(rows.map((row) => row.deploymentId))];
  const modelVersionIds = [...new Set(rows.map((row) => row.modelVersionId))];
  const written = write.binaryParameters
    ? await write.query(INSERT_PREDICTIONS_BINARY, [...binaryPredictionArrays(rows), binaryUuids(deploymentIds), binaryUuids(modelVersionIds)])
    : await write.query(INSERT_PREDICTIONS, [...predictionColumnArrays(rows), deploymentIds, modelVersionIds]);
  if (written !== rows.length) throw new MissingPredictionParentError(deploymentIds, modelVersionIds);
}

function binaryUuids(ids: readonly string[]): Buffer {
  return binaryArray(PG_OID.uuid, ids.length, (w, i) => w.uuid(ids[i]), 20);
}

/** The first ten parameters of {@link INSERT_PREDICTIONS_SQL} for `rows` (arrays pg sends as array literals). */
export function predictionColumnArrays(rows: readonly PredictionRecord[]): unknown[] {
  const n = rows.length;
  const ids = new Array<string>(n);
  const deploymentIds = new Array<string>(n);
  const versionIds = new Array<string>(n);
  const requestKeys = new Array<string>(n);
  const indexes = new Array<number>(n);
  const inputs = new Array<string | null>(n);
  const outputs = new Array<string>(n);
  const vectors = new Array<Uint8Array | null>(n);
  const latencies = new Array<number>(n);
  const createdMs = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    ids[i] = row.id;
    deploymentIds[i] = row.deploymentId;
    versionIds[i] = row.modelVersionId;
    requestKeys[i] = row.requestKey;
    indexes[i] = row.instanceIndex;
    inputs[i] = row.inputs === null || row.inputs === undefined ? null : JSON.stringify(row.inputs);
    outputs[i] = JSON.stringify(row.output);
    vectors[i] = row.vector ?? null;
    latencies[i] = row.latencyMs;
    createdMs[i] = row.createdAt.getTime();
  }
  return [ids, deploymentIds, versionIds, requestKeys, indexes, inputs, outputs, vectors, latencies, createdMs];
}

/** The first ten parameters of {@link INSERT_PREDICTIONS_BINARY_SQL} for `rows`, each an array in binary format. */
export function binaryPredictionArrays(rows: readonly PredictionRecord[]): Buffer[] {
  const n = rows.length;
  return [
    binaryArray(PG_OID.uuid, n, (w, i) => w.uuid(rows[i].id), 20),
    binaryArray(PG_OID.uuid, n, (w, i) => w.uuid(rows[i].deploymentId), 20),
    binaryArray(PG_OID.uuid, n, (w, i) => w.uuid(rows[i].modelVersionId), 20),
    binaryArray(PG_OID.text, n, (w, i) => w.text(rows[i].requestKey), 48),
    binaryArray(PG_OID.int4, n, (w, i) => w.int4(rows[i].instanceIndex), 8),
    binaryArray(PG_OID.jsonb, n, (w, i) => {
      const inputs = rows[i].inputs;
      if (inputs === null || inputs === undefined) w.null();
      else w.jsonb(JSON.stringify(inputs));
    }),
    binaryArray(PG_OID.jsonb, n, (w, i) => w.jsonb(JSON.stringify(rows[i].output))),
    binaryArray(
      PG_OID.bytea,
      n,
      (w, i) => {
        const vector = rows[i].vector;
        if (vector) w.bytea(vector);
        else w.null();
      },
      256,
    ),
    binaryArray(PG_OID.float8, n, (w, i) => w.float8(rows[i].latencyMs), 12),
    binaryArray(PG_OID.timestamptz, n, (w, i) => w.timestamptzMs(rows[i].createdAt.getTime()), 12),
  ];
}

/** What recording an actual needs of its prediction. */
export interface ActualTarget {
  id: string;
  requestKey: string;
  modelVersionId: string;
}

/** A labelled prediction, as a performance window scores it. */
export interface LabelledPrediction {
  output: PredictionOutput;
  actual: PredictionActual;
  createdAt: Date;
}

/** Predictions of one time bucket, as counted by {@link PredictionRepository.traffic}. */
export interface TrafficCounts {
  start: Date;
  predictions: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** The predictions of a deployment's stable version in a drift window: logged after `since`, up to `cutoff`. */
export interface DriftWindowRange {
  deploymentId: string;
  modelVersionId: string;
  since: Date;
  cutoff: Date;
}

/** One share of a drift window, as {@link PredictionRepository.readDriftWindowShare} reads it. */
export interface DriftWindowShare {
  size: number;
  start: Date | null;
  /** The share's drift vectors concatenated, base64. */
  vectors: string | null;
  /** `[inputs, output value]` of the rows logged without a vector, as JSON text. */
  legacy: string | null;
}

export class PredictionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<Prediction | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.prediction.findUnique({ where: { id } });
    return row && toPrediction(row);
  }

  /** The deployment's predictions with these ids, and those with these request keys (two reads, in `tx`). */
  async findActualTargets(
    tx: Db,
    deploymentId: string,
    ids: readonly string[],
    requestKeys: readonly string[],
  ): Promise<{ byId: ActualTarget[]; byKey: ActualTarget[] }> {
    const select = { id: true, requestKey: true, modelVersionId: true } as const;
    const [byId, byKey] = await Promise.all([
      ids.length ? tx.prediction.findMany({ where: { deploymentId, id: { in: [...ids] } }, select }) : [],
      requestKeys.length ? tx.prediction.findMany({ where: { deploymentId, requestKey: { in: [...requestKeys] } }, select }) : [],
    ]);
    return { byId, byKey };
  }

  /** Sets the actual of each prediction (replacing an earlier one) in one statement; returns how many rows changed. */
  async recordActuals(tx: Db, actuals: readonly { id: string; actual: PredictionActual }[]): Promise<number> {
    const ids = actuals.map((update) => update.id);
    const values = actuals.map((update) => JSON.stringify(update.actual));
    return tx.$executeRaw`
        UPDATE predictions AS p SET actual = a.actual, actual_recorded_at = now()
        FROM unnest(${ids}::uuid[], ${values}::jsonb[]) AS a(id, actual)
        WHERE p.id = a.id`;
  }

  /** The newest `take` predictions of a version on a deployment that have an actual, newest first. */
  async labelled(deploymentId: string, modelVersionId: string, take: number): Promise<LabelledPrediction[]> {
    const rows = await this.prisma.prediction.findMany({
      where: { deploymentId, modelVersionId, actual: { not: { equals: null } } },
      orderBy: [{ createdAt: 'desc' }, { requestKey: 'desc' }, { instanceIndex: 'desc' }],
      take,
      select: { output: true, actual: true, createdAt: true },
    });
    return rows.map((row) => ({
      output: predictionOutputOf(row.output),
      actual: predictionActualOf(row.actual) ?? missingActual(),
      createdAt: row.createdAt,
    }));
  }

  /** A deployment's predictions logged since `since`, in buckets of `bucketSeconds`, oldest first (empty buckets left out). */
  async traffic(deploymentId: string, since: Date, bucketSeconds: number): Promise<TrafficCounts[]> {
    const rows = await this.prisma.$queryRaw<{ start: Date; predictions: bigint; requests: bigint; p50: number; p99: number }[]>`
      SELECT to_timestamp(floor(extract(epoch FROM created_at) / ${bucketSeconds}::int) * ${bucketSeconds}::int) AS start,
             count(*) AS predictions,
             count(DISTINCT request_key) AS requests,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
        FROM predictions
       WHERE deployment_id = ${deploymentId}::uuid AND created_at >= ${since}
       GROUP BY 1
       ORDER BY 1`;
    return rows.map((row) => ({
      start: row.start,
      predictions: Number(row.predictions),
      requests: Number(row.requests),
      latencyP50Ms: row.p50,
      latencyP99Ms: row.p99,
    }));
  }

  /**
   * The deployment's requests logged after `since` and the 99th percentile of their latency (null
   * without any). `latency_ms` is the request's time, repeated on each of its instances: one value per request.
   */
  async requestLatency(deploymentId: string, since: Date): Promise<{ requests: number; p99: number | null }> {
    const row = (
      await this.prisma.$queryRaw<{ requests: bigint; p99: number | null }[]>`
      SELECT count(*) AS requests, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency) AS p99
      FROM (SELECT max(latency_ms) AS latency FROM predictions
            WHERE deployment_id = ${deploymentId}::uuid AND created_at > ${since}
            GROUP BY request_key, created_at) AS requests`
    ).at(0);
    return { requests: Number(row?.requests ?? 0), p99: row?.p99 ?? null };
  }

  /** How many predictions a drift window holds, and the time of its oldest (null when empty). */
  async countDriftWindow(range: DriftWindowRange): Promise<{ count: number; oldest: Date | null }> {
    const [{ count, oldest }] = await this.prisma.$queryRaw<{ count: number; oldest: Date | null }[]>`
      SELECT count(*)::int AS count, min(created_at) AS oldest FROM predictions
      WHERE deployment_id = ${range.deploymentId}::uuid AND model_version_id = ${range.modelVersionId}::uuid AND created_at > ${range.since} AND created_at <= ${range.cutoff}`;
    return { count, oldest };
  }

  /**
   * One of `shares` shares (by the last byte of the id) of a drift window: its drift vectors
   * concatenated, and the inputs and output (`outputKey` of it) of its rows logged without a vector.
   * With `newest`, the window is its newest `newest` rows (a backlog beyond the window size);
   * otherwise every row, unsorted.
   */
  async readDriftWindowShare(
    range: DriftWindowRange,
    newest: number | null,
    outputKey: 'value' | 'label',
    share: number,
    shares: number,
  ): Promise<DriftWindowShare> {
    const where = Prisma.sql`deployment_id = ${range.deploymentId}::uuid AND model_version_id = ${range.modelVersionId}::uuid
      AND created_at > ${range.since} AND created_at <= ${range.cutoff}`;
    const window =
      newest !== null
        ? Prisma.sql`(SELECT id, vector, inputs, output, created_at FROM predictions WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${newest})`
        : Prisma.sql`(SELECT id, vector, inputs, output, created_at FROM predictions WHERE ${where})`;
    const [row] = await this.prisma.$queryRaw<DriftWindowShare[]>`
          SELECT count(*)::int AS size, min(w.created_at) AS start, encode(string_agg(w.vector, ''::bytea), 'base64') AS vectors,
                 (json_agg(json_build_array(w.inputs, w.output -> ${outputKey})) FILTER (WHERE w.vector IS NULL))::text AS legacy
          FROM ${window} AS w WHERE get_byte(uuid_send(w.id), 15) % ${shares} = ${share}`;
    return row;
  }

  /**
   * Deletes at most `limit` of a deployment's predictions logged before `cutoff`, found through the
   * (deployment, created_at) index, in one statement; returns how many.
   */
  async deleteOlderThan(deploymentId: string, cutoff: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
          DELETE FROM predictions WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM predictions WHERE deployment_id = ${deploymentId}::uuid AND created_at < ${cutoff} LIMIT ${limit}))`;
  }
}

/** Deletes every prediction of a deployment in `tx`; returns how many. */
export async function deleteDeploymentPredictions(tx: Db, deploymentId: string): Promise<number> {
  return tx.$executeRaw`DELETE FROM predictions WHERE deployment_id = ${deploymentId}::uuid`;
}

/** Which of `deploymentIds` hold predictions the version `versionId` made, in `tx` (EXISTS stops at each one's first). */
export async function deploymentsHoldingPredictionsOf(tx: Db, versionId: string, deploymentIds: readonly string[]): Promise<Set<string>> {
  if (deploymentIds.length === 0) return new Set();
  const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT d.id FROM unnest(${[...deploymentIds]}::uuid[]) AS d(id)
      WHERE EXISTS (SELECT 1 FROM predictions p WHERE p.deployment_id = d.id AND p.model_version_id = ${versionId}::uuid)`;
  return new Set(rows.map((row) => row.id));
}

/** A `predictions` row as the domain type, its JSON columns decoded. */
export function toPrediction(row: PredictionRow): Prediction {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    modelVersionId: row.modelVersionId,
    requestKey: row.requestKey,
    instanceIndex: row.instanceIndex,
    output: predictionOutputOf(row.output),
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
    actual: predictionActualOf(row.actual),
    actualRecordedAt: row.actualRecordedAt,
  };
}

function missingActual(): never {
  throw new Error('a prediction read for having an actual has none');
}
