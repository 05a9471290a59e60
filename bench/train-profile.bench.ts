/**
 * Where a training step's time goes on the native backend (issue 13's profile), for the MLP
 * 8-256-256-1 at batch 256 and the seed model 8-10-1 at batch 32, binary cross-entropy, Adam:
 *
 * - eager step: mlplane's eager step (tf.tidy, batch tensors from JS arrays, optimizer.minimize),
 *   median over a run of steps; and its parts, each timed alone the same way:
 *   data movement (two batch tensors created from Float32Arrays, plus reading one loss back),
 *   forward pass + loss, forward + gradients (tf.variableGrads), and the optimizer's update
 *   (optimizer.applyGradients on fixed gradients: its kernels and bookkeeping);
 * - kernels launched per eager step (tf.profile over 20 steps; its per-kernel times are left out:
 *   profiling slows every launch);
 * - compiled step: the same step as one graph call (src/ml/compiled), which is the kernels' own
 *   time plus one launch: the floor the eager path could reach without launch overhead, so
 *   eager - compiled is what launching kernels one by one from JavaScript costs;
 * - Keras 3 / TensorFlow 2.21: each step of model.fit timed by a batch callback over one epoch
 *   (after a warm-up epoch), the first BENCH_STEPS of them: as many steps as each mlplane part.
 * Every part is measured through bench/support/harness.ts (5 warm-up steps, then BENCH_STEPS) and
 * printed as median with its IQR.
 *
 * Environment: BENCH_ROWS (default 80000, one epoch's training rows in bench:train), BENCH_STEPS (200).
 * Run: npm run bench:train-profile
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareCompiledTraining } from '../src/ml/compiled/compiled-step';
import { createOptimizer } from '../src/ml/hyperparameters';
import { buildModel, type Architecture } from '../src/ml/model-builder';
import { tf as loadTf, useBackend } from '../src/ml/tf-backend';
import type { Scalar, Tensor, Tf } from '../src/ml/tf-types';
import { createTrainStep, trainableVariables } from '../src/ml/trainer';
import { formatNumber, measure, runBenchmark, summarize, timeMs, type Summary } from './support/harness';
import { kerasPython, runKerasScriptValues } from './support/keras-python';
import { syntheticBinaryData } from './support/synthetic-binary';

const FEATURES = 8;
const ROWS = Number(process.env.BENCH_ROWS ?? 80_000);
const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const PROFILED_CALLS = 20;

interface Case {
  name: string;
  units: number[];
  batch: number;
}
const CASES: Case[] = [
  { name: 'MLP 8-256-256-1, batch 256', units: [256, 256], batch: 256 },
  { name: 'seed 8-10-1, batch 32', units: [10], batch: 32 },
];

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Median and spread of the wall time in ms of `fn` over STEPS calls, after 5 warm-up calls. */
async function stepTimes(fn: () => void): Promise<Summary> {
  return (await measure({ name: 'step', unit: 'ms', observe: timeMs(fn) }, { warmup: 5, repetitions: STEPS })).summary;
}

/** Kernels launched per call of `fn`. */
async function kernelsOf(tf: Tf, fn: () => void): Promise<{ count: number }> {
  const profile = await tf.profile(() => {
    for (let i = 0; i < PROFILED_CALLS; i++) fn();
  });
  return { count: profile.kernels.length / PROFILED_CALLS };
}

/** Keras' step times (ms) of one epoch after a warm-up epoch, the first STEPS of them. */
function kerasStepTimes(python: string, spec: Case, dir: string): Summary {
  const seconds = runKerasScriptValues(
    python,
    dir,
    FEATURES,
    spec.units,
    `class StepTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__(); self.times = []
    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()
    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.started)
model = build()
model.fit(x, y, epochs=1, batch_size=${spec.batch}, verbose=0)
steps = StepTimes()
model.fit(x, y, epochs=1, batch_size=${spec.batch}, verbose=0, callbacks=[steps])
print(",".join(str(t) for t in steps.times[:${STEPS}]))`,
  );
  return summarize(seconds.map((s) => s * 1000));
}

async function profileCase(tf: Tf, spec: Case, data: ReturnType<typeof syntheticBinaryData>, python: string, dir: string): Promise<void> {
  const architecture: Architecture = { layers: spec.units.map((units) => ({ units, activation: 'relu' })) };
  const model = buildModel({ tf, architecture, task: 'BINARY_CLASSIFICATION', inputWidth: FEATURES, seed: 1 });
  const optimizer = createOptimizer(tf, 'ADAM', 0.001);
  const step = createTrainStep(tf, model, 'BINARY_CLASSIFICATION', optimizer);
  const xb = data.x.data.subarray(0, spec.batch * FEATURES);
  const yb = data.y.data.subarray(0, spec.batch);
  const eagerStep = () => {
    const result = tf.tidy(() => step(tf.tensor2d(xb, [spec.batch, FEATURES]), tf.tensor2d(yb, [spec.batch, 1])));
    result.loss.dataSync();
    tf.dispose([result.loss, result.sums]);
  };
  const dataMovement = () => {
    const tensors = [tf.tensor2d(xb, [spec.batch, FEATURES]), tf.tensor2d(yb, [spec.batch, 1])];
    tf.scalar(0).dataSync();
    tf.dispose(tensors);
  };
  const variables = trainableVariables(tf, model);
  const lossOf = (x: Tensor, y: Tensor): Scalar => {
    const p = tf.clipByValue(model.apply(x, { training: true }) as Tensor, 1e-7, 1 - 1e-7);
    return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))) as Scalar;
  };
  const forward = () => tf.tidy(() => lossOf(tf.tensor2d(xb, [spec.batch, FEATURES]), tf.tensor2d(yb, [spec.batch, 1])).dataSync());
  const gradients = () =>
    tf.tidy(() => {
      const { value } = tf.variableGrads(() => lossOf(tf.tensor2d(xb, [spec.batch, FEATURES]), tf.tensor2d(yb, [spec.batch, 1])), variables);
      value.dataSync();
    });
  const fixedGrads = Object.fromEntries(variables.map((v) => [v.name, tf.onesLike(v).mul(1e-3)]));
  const update = () => optimizer.applyGradients(fixedGrads);

  const eager = await stepTimes(eagerStep);
  const movement = await stepTimes(dataMovement);
  const forwardMs = await stepTimes(forward);
  const gradientsMs = await stepTimes(gradients);
  const updateMs = await stepTimes(update);
  const eagerKernels = await kernelsOf(tf, eagerStep);
  const updateKernels = await kernelsOf(tf, update);

  const plan = prepareCompiledTraining({ tf, model, task: 'BINARY_CLASSIFICATION', optimizer: 'ADAM', learningRate: 0.001, rowWeights: false });
  let compiledMs: Summary | undefined;
  if ('training' in plan) {
    compiledMs = await stepTimes(() => plan.training.step(xb, yb, spec.batch));
    plan.training.dispose();
  } else {
    print(`  compiled step unavailable: ${plan.reason}`);
  }
  const keras = kerasStepTimes(python, spec, dir);
  const steps = Math.ceil(ROWS / spec.batch);
  const row = (label: string, ms: Summary | undefined, note = '') => {
    const times = ms ? `${formatNumber(ms.median)} (${formatNumber(ms.q1)}-${formatNumber(ms.q3)})` : '-';
    print(`| ${label} | ${times} | ${ms ? ((ms.median * steps) / 1000).toFixed(2) : '-'} | ${note} |`);
  };
  print(`\n${spec.name}: ${steps} steps per epoch of ${ROWS} rows`);
  print('| part | ms/step, median (IQR) | s/epoch | note |');
  print('|---|---|---|---|');
  row('eager step (whole)', eager, `${eagerKernels.count} kernels`);
  row('  data movement', movement, 'batch tensors from JS arrays + one scalar read back (tfjs-node uploads a tensor at its first kernel)');
  row('  forward + loss', forwardMs, '');
  row('  forward + loss + gradients', gradientsMs, '');
  row('  optimizer update', updateMs, `${updateKernels.count} kernels`);
  row('compiled step (one graph call)', compiledMs, "the same math without per-kernel launches: the kernels' own time");
  if (compiledMs) {
    const overhead = eager.median - compiledMs.median;
    print(
      `| eager overhead (eager - compiled medians) | ${formatNumber(overhead)} | ${((overhead * steps) / 1000).toFixed(2)} | ` +
        `${((overhead / eagerKernels.count) * 1000).toFixed(1)} us per kernel: launches, tape, tidy, tensor tracking |`,
    );
  }
  row('Keras 3 model.fit', keras, `tf.function step, ${keras.n} steps of one epoch after a warm-up epoch`);
  tf.dispose(Object.values(fixedGrads));
  optimizer.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  const tf = loadTf();
  await useBackend('tensorflow');
  const data = syntheticBinaryData(ROWS, FEATURES, 2024);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-profile-'));
  try {
    writeFileSync(path.join(dir, 'x.bin'), Buffer.from(data.x.data.buffer));
    writeFileSync(path.join(dir, 'y.bin'), Buffer.from(data.y.data.buffer));
    const python = kerasPython(print);
    if (!python) throw new Error('no Python with keras and tensorflow (BENCH_PYTHON or the cached virtualenv): the Keras baseline cannot run');
    print(
      `train-profile: load ${os
        .loadavg()
        .map((v) => v.toFixed(1))
        .join(' ')}, ${STEPS} timed steps per part (median)`,
    );
    for (const spec of CASES) await profileCase(tf, spec, data, python, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
