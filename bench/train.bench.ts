/**
 * Issue 3 benchmark: training through mlplane against the same training in a plain tfjs script
 * (and in Keras when Python can import TensorFlow), in one run of this file.
 *
 * mlplane side: an API server (this process) and `mlplane worker` (a child process, as `npm start`
 * runs it) on one database. Wall time is from the `startTrainingRun` mutation to the SUCCEEDED event
 * on a graphql-ws `runProgress` subscription, so it includes queueing, data loading, preprocessing,
 * backend choice, training, artifact storage, the test evaluation and permutation importance.
 * Epoch latency is from the epoch's row being written by the worker to its receipt by the subscriber.
 *
 * Plain tfjs is timed before and after each mlplane run and the mean is the baseline.
 * Cases (100,000 x 8 synthetic rows, split 0.8/0.1/0.1, adam 0.001, BENCH_EPOCHS epochs, default 10):
 * the seed model Dense(10, relu) -> Dense(1, sigmoid) with batch 32, and an 8-256-256-1 MLP with batch 256.
 * Environment: DATABASE_URL (else embedded PostgreSQL), BENCH_EPOCHS, BENCH_PYTHON (default python3).
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
import { tf as loadTf, useBackend, type BackendName } from '../src/ml/tf-backend';
import { connectWsClient, postGraphQL, useApiKey } from '../test/support/graphql-client';
import { openBenchDatabase } from './support/bench-database';
import { syntheticBinaryData } from './support/synthetic-binary';

const ROWS = 100_000;
const FEATURES = 8;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);
const SPLIT = { train: 0.8, validation: 0.1, test: 0.1 };

interface Case {
  name: string;
  layers: number[];
  batchSize: number;
  backend: BackendName;
}

const ALL_CASES: Case[] = [
  { name: 'seed 8-10-1, batch 32', layers: [10], batchSize: 32, backend: 'tensorflow' },
  { name: 'seed 8-10-1, batch 32', layers: [10], batchSize: 32, backend: 'cpu' },
  { name: 'MLP 8-256-256-1, batch 256', layers: [256, 256], batchSize: 256, backend: 'tensorflow' },
];
/** BENCH_CASES=0,2 runs a subset (indices into the list above). */
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
  await useBackend(spec.backend);
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

const python = process.env.BENCH_PYTHON ?? 'python3';
const kerasAvailable = spawnSync(python, ['-c', 'import tensorflow'], { stdio: 'ignore' }).status === 0;

/** The same training in Keras, when `BENCH_PYTHON` can import TensorFlow; null otherwise. */
function keras(spec: Case, dir: string): number | null {
  if (!kerasAvailable) return null;
  const script = path.join(dir, 'keras_bench.py');
  writeFileSync(
    script,
    `import os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np, keras
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, ${FEATURES}); y = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, 1)
t, v = int(round(len(x) * ${SPLIT.train})), int(round(len(x) * ${SPLIT.validation}))
start = time.perf_counter()
model = keras.Sequential([keras.Input((${FEATURES},))] + [keras.layers.Dense(u, activation="relu") for u in [${spec.layers.join(',')}]] + [keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x[:t], y[:t], epochs=${EPOCHS}, batch_size=${spec.batchSize}, validation_data=(x[t:t+v], y[t:t+v]), verbose=0)
print(time.perf_counter() - start)
`,
  );
  const result = spawnSync(python, [script, path.join(dir, 'x.bin'), path.join(dir, 'y.bin')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`keras benchmark failed: ${result.stderr}`);
  return Number(result.stdout.trim().split('\n').pop());
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
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
    const kerasTimes = new Map<string, number | null>();
    lines.push(`training benchmark (${db.where}): ${ROWS} x ${FEATURES} rows, ${EPOCHS} epochs, split 0.8/0.1/0.1, adam 0.001`);
    lines.push('  case                              backend     mlplane s   plain tfjs s   ratio   keras s   mlplane/keras');
    for (const [index, spec] of CASES.entries()) {
      const model = await postGraphQL(api.url, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
        input: { name: `bench-${index}`, datasetId: version.datasetId, layers: spec.layers.map((units) => ({ units, activation: 'RELU' })) },
      });
      // Plain tfjs runs before and after mlplane, so a change of the machine's load during the case
      // weighs on both sides; the ratio uses their mean.
      const plainBefore = await plainTfjs(spec, x, y);
      const started = Date.now();
      const run = await postGraphQL(api.url, 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', {
        input: {
          modelId: model.body.data!.createModel.id,
          datasetVersionId: version.id,
          hyperparameters: { epochs: EPOCHS, batchSize: spec.batchSize, optimizer: 'ADAM', learningRate: 0.001, split: SPLIT, seed: 1, backend: spec.backend === 'tensorflow' ? 'TENSORFLOW' : 'CPU' },
        },
      });
      if (run.body.errors) throw new Error(JSON.stringify(run.body.errors));
      const progress = ws.subscribe('subscription($id: ID!) { runProgress(runId: $id) { type status epoch { epoch recordedAt } } }', { id: run.body.data!.startTrainingRun.id });
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
      const summary = await postGraphQL(api.url, 'query($id: ID!) { run(id: $id) { summary } }', { id: run.body.data!.startTrainingRun.id });
      const timings = summary.body.data!.run.summary.timingsMs as Record<string, number>;
      process.stdout.write(`  (${spec.name}, ${spec.backend}: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})\n`);
      const plain = (plainBefore + (await plainTfjs(spec, x, y))) / 2;
      // Keras runs once per model shape; each mlplane backend is compared with that one time.
      if (!kerasTimes.has(spec.name)) kerasTimes.set(spec.name, keras(spec, scratch));
      const kerasSeconds = kerasTimes.get(spec.name) ?? null;
      lines.push(
        `  ${spec.name.padEnd(33)} ${spec.backend.padEnd(11)} ${wall.toFixed(1).padStart(9)}   ${plain.toFixed(1).padStart(12)}   ${(wall / plain).toFixed(2).padStart(5)}` +
          `   ${kerasSeconds === null ? '      -' : kerasSeconds.toFixed(1).padStart(7)}   ${kerasSeconds === null ? '-' : (wall / kerasSeconds).toFixed(2)}`,
      );
      process.stdout.write(`${lines[lines.length - 1]}\n`);
    }
    latencies.sort((a, b) => a - b);
    lines.push(`  epoch end (row written) -> graphql-ws subscriber: p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms over ${latencies.length} epochs (target p99 <= 100 ms)`);
    if (!kerasAvailable) lines.push('  keras: not importable by BENCH_PYTHON (skipped)');
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
