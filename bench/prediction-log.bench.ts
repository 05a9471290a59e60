/**
 * Issue 11 point 4, "a cheaper durable log": the one statement of a prediction log group commit
 * (`insertPredictions`: the batch's deployment and version locked and checked, then
 * `INSERT ... SELECT FROM unnest(...)`), measured at the database level through its two routes for
 * the same rows, in turn in the same run:
 * - baseline: the ten arrays bound as text (array literals the server parses), as over Prisma;
 * - the ten arrays bound in binary (`array_recv`'s format, built in JS: pg sends a Buffer
 *   parameter in binary), timestamps as timestamptz: what the API processes run.
 * Both are named prepared statements. (A binary COPY, measured here before, cost about the
 * binary INSERT's server CPU per 100-row batch but cannot check the parents in its statement.)
 * Rows are those of 100-row requests of a 30-feature binary classifier as the serving pipeline
 * logs them: inputs null, the drift vector (31 float64, 248 bytes), an output like
 * {"label":"1","probabilities":{"0":0.1,"1":0.9}}, a version 7 uuid per row (as served) and a
 * random request key per request.
 *
 * One observation of a route: BATCHES statements of one 100-row batch each, one after the other on
 * the route's own one-connection pool (each its own transaction, committed with the server's
 * synchronous_commit), giving per batch: the wall time (the log's critical path), the server
 * backend's CPU time (from /proc/<backend pid>/schedstat, when the server runs on this machine;
 * it covers parse, bind, execute, the parents' lock, index inserts and commit, not the WAL
 * writer), and this process's CPU time (encoding, the pg client). The routes are measured
 * round-robin through bench/support/harness.ts (warm-up observations discarded, then rounds of
 * one observation each), each figure as median (IQR, min-max, n) over the rounds and each ratio
 * to the baseline as the ratio of medians with the spread of the per-round ratios.
 * Environment: DATABASE_URL (else an embedded PostgreSQL), BENCH_REPETITIONS (rounds, default 15),
 * BENCH_WARMUP (default 2), MLPLANE_BENCH_BATCHES (batches per observation, default 40),
 * MLPLANE_BENCH_ROWS (rows per batch, default 100).
 * Run: npm run bench:prediction-log
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { uuidV7 } from '../src/domain/common/uuid-v7';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { poolLogWriter } from '../src/services/predictions/prediction-log';
import { binaryPredictionArrays, insertPredictions, type PredictionRecord } from '../src/services/predictions/prediction-repository';
import { openBenchDatabase } from './support/bench-database';
import { BenchReport, formatMeasured, formatRatio, measured, recordRoundRobin, runBenchmark, runOptions, type Measured } from './support/harness';

const FEATURES = 30;

function countFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/** One request's rows as the serving pipeline logs them (drift vector, no inputs). */
function requestRows(deploymentId: string, modelVersionId: string, count: number): PredictionRecord[] {
  const requestKey = randomUUID();
  const createdAt = new Date();
  const latencyMs = 2 + Math.random();
  return Array.from({ length: count }, (_, index) => {
    const vector = new Float64Array(FEATURES + 1);
    for (let f = 0; f < FEATURES; f++) vector[f] = Math.random() * 100 - 50;
    const p = Math.random();
    vector[FEATURES] = p;
    return {
      id: uuidV7(createdAt.getTime()),
      deploymentId,
      modelVersionId,
      requestKey,
      instanceIndex: index,
      inputs: null,
      output: { label: p >= 0.5 ? '1' : '0', probabilities: { '0': 1 - p, '1': p } },
      vector: new Uint8Array(vector.buffer),
      latencyMs,
      createdAt,
    };
  });
}

/** CPU time of process `pid` so far, in ms (null when /proc does not show it: a server elsewhere). */
function processCpuMs(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

interface BatchFigures {
  wallMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

interface Route {
  name: string;
  write: (rows: PredictionRecord[]) => Promise<unknown>;
  pool: Pool;
  backendPid: number;
}

async function openRoute(url: string, name: string, write: (pool: Pool) => (rows: PredictionRecord[]) => Promise<unknown>): Promise<Route> {
  const pool = new Pool({ connectionString: url, max: 1 });
  const {
    rows: [{ pid }],
  } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { name, write: write(pool), pool, backendPid: pid };
}

async function main(): Promise<void> {
  const options = runOptions({ warmup: 2, repetitions: 15 });
  const batches = countFromEnv('MLPLANE_BENCH_BATCHES', 40);
  const rowsPerBatch = countFromEnv('MLPLANE_BENCH_ROWS', 100);
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 2);
  const routes: Route[] = [];
  try {
    const suffix = randomBytes(4).toString('hex');
    const dataset = await prisma.dataset.create({ data: { name: `log-${suffix}`, labelColumn: 'y', task: 'BINARY_CLASSIFICATION' } });
    const datasetVersion = await prisma.datasetVersion.create({
      data: { datasetId: dataset.id, version: 1, contentHash: '0'.repeat(64), rowCount: 10, columnCount: 2, sizeBytes: 40, columns: [] },
    });
    const model = await prisma.model.create({
      data: { name: `model-${suffix}`, task: 'BINARY_CLASSIFICATION', datasetId: dataset.id, architecture: { layers: [] } },
    });
    const version = await prisma.modelVersion.create({
      data: {
        modelId: model.id,
        version: 1,
        datasetVersionId: datasetVersion.id,
        datasetContentHash: datasetVersion.contentHash,
        artifactSha256: 'f'.repeat(64),
        artifactBytes: 0,
        preprocessing: {},
        hyperparameters: {},
        environment: {},
      },
    });
    const deployment = await prisma.deployment.create({ data: { name: `log-${suffix}`, modelId: model.id, modelVersionId: version.id } });

    routes.push(
      await openRoute(db.url, 'baseline: INSERT ... unnest, text arrays', (pool) => {
        const binary = poolLogWriter(pool);
        return (rows) => insertPredictions({ ...binary, binaryParameters: false }, rows);
      }),
      await openRoute(db.url, 'INSERT ... unnest, binary arrays', (pool) => (rows) => insertPredictions(poolLogWriter(pool), rows)),
    );
    const serverVisible = routes.every((route) => processCpuMs(route.backendPid) !== null);
    const sample = binaryPredictionArrays(requestRows(deployment.id, version.id, rowsPerBatch)).reduce((sum, array) => sum + array.length, 0);
    const report = new BenchReport(
      `prediction log statement benchmark (${db.where}, server backend CPU ${serverVisible ? 'from /proc' : 'not visible: server elsewhere'}): ` +
        `${rowsPerBatch}-row batches (${FEATURES}-feature drift vectors, inputs null; binary arrays ${(sample / rowsPerBatch).toFixed(0)} bytes/row), ` +
        `${batches} batches per observation, one after the other on a one-connection pool per route; ` +
        `${options.repetitions} rounds after ${options.warmup} warm-up observations per route`,
    );

    const records = await recordRoundRobin<BatchFigures>(
      routes.map((route) => ({
        name: route.name,
        observe: async () => {
          const work = Array.from({ length: batches }, () => requestRows(deployment.id, version.id, rowsPerBatch));
          const server = processCpuMs(route.backendPid) ?? 0;
          const client = process.cpuUsage();
          const started = performance.now();
          for (const rows of work) await route.write(rows);
          const wallMs = performance.now() - started;
          const clientUsage = process.cpuUsage(client);
          return {
            wallMs: wallMs / batches,
            serverCpuMs: ((processCpuMs(route.backendPid) ?? 0) - server) / batches,
            clientCpuMs: (clientUsage.user + clientUsage.system) / 1000 / batches,
          };
        },
      })),
      options,
    );

    const figures: Array<[keyof BatchFigures, string]> = [
      ['wallMs', `wall time per ${rowsPerBatch}-row batch`],
      ['serverCpuMs', `server backend CPU per ${rowsPerBatch}-row batch`],
      ['clientCpuMs', `client (this process) CPU per ${rowsPerBatch}-row batch`],
    ];
    for (const [key, title] of figures) {
      if (key === 'serverCpuMs' && !serverVisible) continue;
      report.print(`${title}:`);
      const sides: Measured[] = routes.map((route, index) =>
        measured(
          route.name,
          'ms',
          records[index].map((record) => record[key]),
        ),
      );
      for (const side of sides) report.print(`  ${formatMeasured(side)}`);
      for (const side of sides.slice(1)) report.print(`  ${formatRatio(side, sides[0], `ratio ${side.name} / baseline`)}`);
    }
    const stored = await prisma.prediction.count();
    const expected = routes.length * (options.warmup + options.repetitions) * batches * rowsPerBatch;
    report.print(`rows stored: ${stored} of ${expected} written${stored === expected ? '' : ' (MISMATCH)'}`);
  } finally {
    for (const route of routes) await route.pool.end();
    await prisma.$disconnect();
    await db.close();
  }
}

runBenchmark(main);
