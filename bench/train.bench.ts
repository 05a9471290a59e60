/**
 * Issues 3 and 13 benchmark: training through mlplane against the same training in a plain tfjs
 * script and in Keras, in one run of this file.
 *
 * mlplane side: an API server (this process) and `mlplane worker` (a child process, as `npm start`
 * runs it) on one database. Wall time is from the `startTrainingRun` mutation to the SUCCEEDED event
 * on a graphql-ws `runProgress` subscription, so it includes queueing, data loading, preprocessing,
 * backend choice, training, artifact storage, the test evaluation and permutation importance.
 * Epoch latency is from the epoch's row being written by the worker to its receipt by the subscriber.
 *
 * Each case measures mlplane, Keras and (eager cases) plain tfjs in turn through the harness
 * (bench/support/harness.ts): one warm-up run of each, then 10 rounds of one run of each, so Keras
 * is timed exactly as many times as mlplane; it prints each side's median and spread and the ratios
 * per round and of the medians. Keras runs in a virtualenv with tensorflow-cpu 2.21 and keras from
 * the local pip index (support/keras-python.ts), on the same libtensorflow as mlplane.
 * Cases (100,000 x 8 synthetic rows, split 0.8/0.1/0.1, adam 0.001, BENCH_EPOCHS epochs, default 10):
 * the seed model Dense(10, relu) -> Dense(1, sigmoid) with batch 32, and an 8-256-256-1 MLP with
 * batch 256, each on the native backend eagerly (TENSORFLOW) and compiled (TENSORFLOW_COMPILED),
 * and the seed model on the pure-JS backend (CPU).
 * Environment: DATABASE_URL (else embedded PostgreSQL), BENCH_EPOCHS, BENCH_CASES, BENCH_REPETITIONS,
 * BENCH_WARMUP, BENCH_PYTHON (a Python with keras instead of the virtualenv).
 * Run: npm run bench:train
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApiProcess } from '../src/app/api-process';
import { loadConfig } from '../src/config/config';
import { graphqlHttp, type GraphQLRequest } from '../src/demo/graphql-http';
import { logger } from '../src/infra/logger';
import { tf as loadTf, useBackend } from '../src/ml/tf-backend';
import { openBenchDatabase } from './support/bench-database';
import { BenchReport, formatMeasured, formatNumber, formatRatio, measureRoundRobin, percentile, runBenchmark, runOptions, type Side } from './support/harness';
import { kerasPython, runKerasScript } from './support/keras-python';
import { syntheticBinaryData } from './support/synthetic-binary';
import { SILENT } from './support/tfjs-fit';
import { startWorkerProcess, stopWorkerProcess } from './support/worker-process';

const ROWS = 100_000;
const FEATURES = 8;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);
const SPLIT = { train: 0.8, validation: 0.1, test: 0.1 };

interface Case {
  name: string;
  layers: number[];
  batchSize: number;
  /** The run's `backend` hyperparameter. */
  request: 'TENSORFLOW' | 'TENSORFLOW_COMPILED' | 'CPU';
  /** Whether plain tfjs `model.fit` is measured beside mlplane (the tfjs baseline). */
  plainTfjs: boolean;
}

const SEED = { name: 'seed 8-10-1, batch 32', layers: [10], batchSize: 32 };
const MLP = { name: 'MLP 8-256-256-1, batch 256', layers: [256, 256], batchSize: 256 };
const ALL_CASES: Case[] = [
  { ...SEED, request: 'TENSORFLOW', plainTfjs: true },
  { ...SEED, request: 'CPU', plainTfjs: true },
  { ...MLP, request: 'TENSORFLOW', plainTfjs: true },
  { ...SEED, request: 'TENSORFLOW_COMPILED', plainTfjs: false },
  { ...MLP, request: 'TENSORFLOW_COMPILED', plainTfjs: false },
];
/** BENCH_CASES=3,4 runs a subset (indices into the list above). */
const CASES = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',').map((i) => ALL_CASES[Number(i)]) : ALL_CASES;

function toCsv(x: Float32Array, y: Float32Array): string {
  const lines = [[...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',')];
  for (let r = 0; r < ROWS; r++) {
    const cells = Array.from(x.subarray(r * FEATURES, (r + 1) * FEATURES), (v) => v.toString());
    cells.push(String(y[r]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The same training in plain TensorFlow.js: model.fit on the same row counts with per-epoch validation. */
async function plainTfjs(spec: Case, x: Float32Array, y: Float32Array): Promise<number> {
  const tf = loadTf();
  await useBackend(spec.request === 'CPU' ? 'cpu' : 'tensorflow');
  const trainRows = Math.round(ROWS * SPLIT.train);
  const validationRows = Math.round(ROWS * SPLIT.validation);
  const start = Date.now();
  const model = tf.sequential();
  spec.layers.forEach((units, i) => model.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [FEATURES] } : {}) })));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const xs = tf.tensor2d(x.subarray(0, trainRows * FEATURES), [trainRows, FEATURES]);
  const ys = tf.tensor2d(y.subarray(0, trainRows), [trainRows, 1]);
  const xv = tf.tensor2d(x.subarray(trainRows * FEATURES, (trainRows + validationRows) * FEATURES), [validationRows, FEATURES]);
  const yv = tf.tensor2d(y.subarray(trainRows, trainRows + validationRows), [validationRows, 1]);
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: spec.batchSize, validationData: [xv, yv], shuffle: true, verbose: SILENT });
  const seconds = (Date.now() - start) / 1000;
  tf.dispose([xs, ys, xv, yv]);
  model.dispose();
  return seconds;
}

/** The same training in Keras (see support/keras-python.ts for which Python). */
function keras(python: string, spec: Case, dir: string): number {
  // The clock starts before the model is built, as mlplane's starts before the run is queued.
  return runKerasScript(
    python,
    dir,
    FEATURES,
    spec.layers,
    `t, v = int(round(len(x) * ${SPLIT.train})), int(round(len(x) * ${SPLIT.validation}))
start = time.perf_counter()
model = build()
model.fit(x[:t], y[:t], epochs=${EPOCHS}, batch_size=${spec.batchSize}, validation_data=(x[t:t+v], y[t:t+v]), verbose=0)
print(time.perf_counter() - start)`,
  );
}

interface RunProgress {
  type: string;
  status: string;
  epoch: { recordedAt: string } | null;
}

/** The next `runProgress` result of a subscription, or a rejection when none comes within `timeoutMs`. */
async function nextProgress(iterator: AsyncIterator<{ data?: { runProgress?: RunProgress } | null }>, timeoutMs: number): Promise<RunProgress> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no runProgress within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    const progress = result.done ? undefined : result.value.data?.runProgress;
    if (!progress) throw new Error(`runProgress ended early: ${JSON.stringify(result.value)}`);
    return progress;
  } finally {
    clearTimeout(timer);
  }
}

/** One training run through the API: wall seconds from the mutation to SUCCEEDED; `onRun` hears its timings and where it trained. */
async function timeMlplaneRun(
  gql: GraphQLRequest,
  ws: Client,
  modelId: string,
  versionId: string,
  spec: Case,
  latencies: number[],
  onRun: (line: string) => void,
): Promise<number> {
  const started = Date.now();
  const run = await gql<{ startTrainingRun: { id: string } }>('mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', {
    input: {
      modelId,
      datasetVersionId: versionId,
      hyperparameters: { epochs: EPOCHS, batchSize: spec.batchSize, optimizer: 'ADAM', learningRate: 0.001, split: SPLIT, seed: 1, backend: spec.request },
    },
  });
  const runId = run.startTrainingRun.id;
  const progress = ws.iterate<{ runProgress: RunProgress }>({
    query: 'subscription($id: ID!) { runProgress(runId: $id) { type status epoch { recordedAt } } }',
    variables: { id: runId },
  });
  let wall: number;
  try {
    for (;;) {
      const value = await nextProgress(progress, 30 * 60_000);
      if (value.type === 'EPOCH' && value.epoch) latencies.push(Date.now() - new Date(value.epoch.recordedAt).getTime());
      if (value.type === 'STATUS' && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(value.status)) {
        if (value.status !== 'SUCCEEDED') throw new Error(`run ended ${value.status}`);
        wall = (Date.now() - started) / 1000;
        break;
      }
    }
  } finally {
    await progress.return?.();
  }
  const { run: done } = await gql<{ run: { summary: { timingsMs: Record<string, number> }; environment: { backend: string; stepEngine: string } } }>(
    'query($id: ID!) { run(id: $id) { summary environment { backend stepEngine } } }',
    { id: runId },
  );
  const timings = Object.entries(done.summary.timingsMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
  onRun(`  (${spec.name}, ${spec.request}: ${wall.toFixed(1)} s; ${done.environment.backend} ${done.environment.stepEngine}; ${timings.join(', ')})`);
  return wall;
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
}

async function main(): Promise<void> {
  logger.level = 'warn';
  const options = runOptions();
  const python = kerasPython((line) => process.stdout.write(`${line}\n`));
  if (!python) throw new Error('no Python with keras and tensorflow (BENCH_PYTHON or the cached virtualenv): the Keras baseline cannot run');
  const db = await openBenchDatabase();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mlplane-train-bench-'));
  // Rate limits off: this measures training, not how many runs one client may start; the 100,000-row
  // CSV (about 11 MB) goes in one createDataset mutation, so the JSON body limit is raised for it.
  const api = await startApiProcess(
    loadConfig({
      ...process.env,
      PORT: '0',
      DATABASE_URL: db.url,
      MLPLANE_RATE_LIMIT_PER_MINUTE: '0',
      MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE: '0',
      MLPLANE_MAX_JSON_BODY_BYTES: String(64 * 1024 * 1024),
    }),
    db.url,
    logger,
  );
  const worker = await startWorkerProcess(db.url);
  const apiKey = (await api.services.apiKeys.createKey({ name: 'bench', role: 'EDITOR' })).token;
  const gql = graphqlHttp({ url: api.url, apiKey });
  const ws = createClient({ url: api.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${apiKey}` } });
  const report = new BenchReport(
    `training benchmark (${db.where}): ${ROWS} x ${FEATURES} rows, ${EPOCHS} epochs, split 0.8/0.1/0.1, adam 0.001; ` +
      `${options.repetitions} rounds after ${options.warmup} warm-up runs per side; load average at start ${loadAverage()}`,
  );
  try {
    const data = syntheticBinaryData(ROWS, FEATURES, 2024);
    const [x, y] = [data.x.data, data.y.data];
    writeFileSync(path.join(scratch, 'x.bin'), Buffer.from(x.buffer));
    writeFileSync(path.join(scratch, 'y.bin'), Buffer.from(y.buffer));
    const created = await gql<{ createDataset: { version: { id: string; datasetId: string } } }>(
      'mutation($csv: String!) { createDataset(input: { name: "bench", csv: $csv, labelColumn: "label" }) { version { id datasetId } } }',
      { csv: toCsv(x, y) },
    );
    const version = created.createDataset.version;
    const latencies: number[] = [];
    for (const [index, spec] of CASES.entries()) {
      const model = await gql<{ createModel: { id: string } }>('mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
        input: { name: `bench-${index}`, datasetId: version.datasetId, layers: spec.layers.map((units) => ({ units, activation: 'RELU' })) },
      });
      const sides: Side[] = [
        {
          name: 'mlplane',
          unit: 's',
          observe: () => timeMlplaneRun(gql, ws, model.createModel.id, version.id, spec, latencies, (line) => process.stdout.write(`${line}\n`)),
        },
        { name: 'Keras', unit: 's', observe: () => keras(python, spec, scratch) },
        ...(spec.plainTfjs ? [{ name: 'plain tfjs', unit: 's', observe: () => plainTfjs(spec, x, y) }] : []),
      ];
      const [mlplane, kerasSide, ...plain] = await measureRoundRobin(sides, options);
      report.print(`${spec.name}, backend ${spec.request}:`);
      for (const measured of [mlplane, kerasSide, ...plain]) report.print(`  ${formatMeasured(measured)}`);
      report.print(`  ${formatRatio(mlplane, kerasSide, 'mlplane / Keras (target <= 1.0)')}`);
      for (const measured of plain) report.print(`  ${formatRatio(mlplane, measured, 'mlplane / plain tfjs')}`);
    }
    report.print(
      `epoch end (row written) -> graphql-ws subscriber: p50 ${formatNumber(percentile(latencies, 0.5))} ms, p99 ${formatNumber(percentile(latencies, 0.99))} ms ` +
        `over ${latencies.length} epochs (target p99 <= 100 ms)`,
    );
    report.print(`load average at end: ${loadAverage()}`);
  } finally {
    await ws.dispose();
    await stopWorkerProcess(worker);
    await api.close();
    await db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`\n${report.lines.join('\n')}\n`);
}

runBenchmark(main);
