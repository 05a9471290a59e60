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
 * Each case runs mlplane and Keras BENCH_REPEATS times each (default 3), alternately, and prints the
 * median and the range of each side and of their ratio. Plain tfjs (eager cases) is timed before and
 * after each mlplane run. Keras runs in a virtualenv with tensorflow-cpu 2.21 and keras from the
 * local pip index (support/keras-python.ts), on the same libtensorflow as mlplane.
 * Cases (100,000 x 8 synthetic rows, split 0.8/0.1/0.1, adam 0.001, BENCH_EPOCHS epochs, default 10):
 * the seed model Dense(10, relu) -> Dense(1, sigmoid) with batch 32, and an 8-256-256-1 MLP with
 * batch 256, each on the native backend eagerly (TENSORFLOW) and compiled (TENSORFLOW_COMPILED),
 * and the seed model on the pure-JS backend (CPU).
 * Environment: DATABASE_URL (else embedded PostgreSQL), BENCH_EPOCHS, BENCH_REPEATS, BENCH_CASES,
 * BENCH_PYTHON (a Python with keras instead of the virtualenv).
 * Run: npm run bench:train
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApiProcess } from '../src/app/api-process';
import { loadConfig } from '../src/config/config';
import { projectRoot } from '../src/config/paths';
import { logger } from '../src/infra/logger';
import { tf as loadTf, useBackend } from '../src/ml/tf-backend';
import { connectWsClient, postGraphQL, useApiKey } from '../test/support/graphql-client';
import { openBenchDatabase } from './support/bench-database';
import { kerasPython, runKerasScript } from './support/keras-python';
import { syntheticBinaryData } from './support/synthetic-binary';

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
  /** Whether plain tfjs `model.fit` brackets each mlplane run (the tfjs baseline). */
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
/** mlplane and Keras each run this many times per case, alternately. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

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
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: spec.batchSize, validationData: [xv, yv], shuffle: true, verbose: 0 });
  const seconds = (Date.now() - start) / 1000;
  tf.dispose([xs, ys, xv, yv]);
  model.dispose();
  return seconds;
}

/** The same training in Keras (see support/keras-python.ts for which Python); null without one. */
function keras(python: string | null, spec: Case, dir: string): number | null {
  if (!python) return null;
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

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function showSpread(value: Spread): string {
  return `${value.median.toFixed(1)} (${value.min.toFixed(1)}-${value.max.toFixed(1)})`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** One training run through the API: wall seconds from the mutation to SUCCEEDED, its timings and where it trained. */
async function timeMlplaneRun(
  url: string,
  ws: Awaited<ReturnType<typeof connectWsClient>>,
  modelId: string,
  versionId: string,
  spec: Case,
  latencies: number[],
): Promise<{ wall: number; timings: Record<string, number>; environment: string }> {
  const started = Date.now();
  const run = await postGraphQL(url, 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', {
    input: {
      modelId,
      datasetVersionId: versionId,
      hyperparameters: { epochs: EPOCHS, batchSize: spec.batchSize, optimizer: 'ADAM', learningRate: 0.001, split: SPLIT, seed: 1, backend: spec.request },
    },
  });
  if (run.body.errors) throw new Error(JSON.stringify(run.body.errors));
  const runId = run.body.data!.startTrainingRun.id;
  const progress = ws.subscribe('subscription($id: ID!) { runProgress(runId: $id) { type status epoch { epoch recordedAt } } }', { id: runId });
  let wall = 0;
  for (;;) {
    const event = await progress.next(30 * 60_000);
    const value = event?.data?.runProgress;
    if (!value) throw new Error(`runProgress ended early: ${JSON.stringify(event)}`);
    if (value.type === 'EPOCH') latencies.push(Date.now() - new Date(value.epoch.recordedAt).getTime());
    if (value.type === 'STATUS' && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(value.status)) {
      if (value.status !== 'SUCCEEDED') throw new Error(`run ended ${value.status}`);
      wall = (Date.now() - started) / 1000;
      break;
    }
  }
  await progress.stop();
  const summary = await postGraphQL(url, 'query($id: ID!) { run(id: $id) { summary environment { backend stepEngine } } }', { id: runId });
  const { environment } = summary.body.data!.run;
  return { wall, timings: summary.body.data!.run.summary.timingsMs as Record<string, number>, environment: `${environment.backend} ${environment.stepEngine}` };
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mlplane-train-bench-'));
  // Rate limits off: this measures training, not how many runs one client may start.
  const api = await startApiProcess(
    loadConfig({ ...process.env, PORT: '0', DATABASE_URL: db.url, MLPLANE_RATE_LIMIT_PER_MINUTE: '0', MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE: '0' }),
    db.url,
    logger,
  );
  const worker = spawn(process.execPath, [path.join(projectRoot, 'dist/src/main.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  useApiKey(api.url, (await api.services.apiKeys.createKey({ name: 'bench', role: 'EDITOR' })).token);
  const ws = await connectWsClient(api.url);
  const lines: string[] = [];
  try {
    const data = syntheticBinaryData(ROWS, FEATURES, 2024);
    const [x, y] = [data.x.data, data.y.data];
    writeFileSync(path.join(scratch, 'x.bin'), Buffer.from(x.buffer));
    writeFileSync(path.join(scratch, 'y.bin'), Buffer.from(y.buffer));
    const created = await postGraphQL(api.url, 'mutation($csv: String!) { createDataset(input: { name: "bench", csv: $csv, labelColumn: "label" }) { version { id datasetId } } }', {
      csv: toCsv(x, y),
    });
    const version = created.body.data!.createDataset.version;
    const latencies: number[] = [];
    const python = kerasPython((line) => process.stdout.write(`${line}\n`));
    lines.push(`training benchmark (${db.where}): ${ROWS} x ${FEATURES} rows, ${EPOCHS} epochs, split 0.8/0.1/0.1, adam 0.001, ${REPEATS} runs per side`);
    lines.push(`  load average at start: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; times in s as median (min-max)`);
    lines.push('  case                              backend               mlplane s            plain tfjs s   ratio   keras s              mlplane/keras (median; min-max)');
    for (const [index, spec] of CASES.entries()) {
      const model = await postGraphQL(api.url, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
        input: { name: `bench-${index}`, datasetId: version.datasetId, layers: spec.layers.map((units) => ({ units, activation: 'RELU' })) },
      });
      const mlplaneTimes: number[] = [];
      const kerasSeconds: number[] = [];
      const plainTimes: number[] = [];
      // mlplane and Keras alternate, so a change of the machine's load weighs on both sides;
      // plain tfjs (when asked) runs before and after each mlplane run.
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        if (spec.plainTfjs) plainTimes.push(await plainTfjs(spec, x, y));
        const { wall, timings, environment } = await timeMlplaneRun(api.url, ws, model.body.data!.createModel.id, version.id, spec, latencies);
        mlplaneTimes.push(wall);
        process.stdout.write(`  (${spec.name}, ${spec.request} run ${repeat + 1}: ${wall.toFixed(1)} s; ${environment}; ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})\n`);
        if (spec.plainTfjs) plainTimes.push(await plainTfjs(spec, x, y));
        const kerasTime = keras(python, spec, scratch);
        if (kerasTime !== null) kerasSeconds.push(kerasTime);
      }
      const ours = spread(mlplaneTimes);
      const plain = plainTimes.length ? spread(plainTimes) : undefined;
      const theirs = kerasSeconds.length ? spread(kerasSeconds) : undefined;
      const ratios = theirs ? `${(ours.median / theirs.median).toFixed(2)}; ${(ours.min / theirs.max).toFixed(2)}-${(ours.max / theirs.min).toFixed(2)}` : '-';
      lines.push(
        `  ${spec.name.padEnd(33)} ${spec.request.padEnd(21)} ${showSpread(ours).padEnd(20)} ${(plain ? showSpread(plain) : '-').padEnd(14)} ${plain ? (ours.median / plain.median).toFixed(2).padStart(5) : '    -'}` +
          `   ${(theirs ? showSpread(theirs) : '-').padEnd(20)} ${ratios}`,
      );
      process.stdout.write(`${lines[lines.length - 1]}\n`);
    }
    latencies.sort((a, b) => a - b);
    lines.push(`  epoch end (row written) -> graphql-ws subscriber: p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms over ${latencies.length} epochs (target p99 <= 100 ms)`);
    if (!python) lines.push('  keras: no Python with keras and tensorflow (BENCH_PYTHON or the cached virtualenv); skipped');
    lines.push(`  load average at end: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  } finally {
    await ws.close();
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await api.close();
    await db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
