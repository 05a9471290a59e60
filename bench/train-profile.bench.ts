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
 * - Keras 3 / TensorFlow 2.21: seconds per step of model.fit over one epoch (after a warm-up epoch).
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
import { createTrainStep, trainableVariable } from '../src/ml/trainer';
import { kerasPython, runKerasScript } from './support/keras-python';
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

/** Median wall time in ms of `fn` over STEPS calls, after a few warm-up calls. */
function median(fn: () => void): number {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Kernels launched per call of `fn`. */
async function kernelsOf(tf: Tf, fn: () => void): Promise<{ count: number }> {
  const profile = await tf.profile(() => {
    for (let i = 0; i < PROFILED_CALLS; i++) fn();
  });
  return { count: profile.kernels.length / PROFILED_CALLS };
}

function kerasSecondsPerStep(python: string, spec: Case, dir: string): number {
  return runKerasScript(
    python,
    dir,
    FEATURES,
    spec.units,
    `model = build()
model.fit(x, y, epochs=1, batch_size=${spec.batch}, verbose=0)
start = time.perf_counter()
model.fit(x, y, epochs=1, batch_size=${spec.batch}, verbose=0)
print((time.perf_counter() - start) / -(-len(x) // ${spec.batch}))`,
  );
}

async function profileCase(tf: Tf, spec: Case, data: ReturnType<typeof syntheticBinaryData>, python: string | null, dir: string): Promise<void> {
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
  const variables = model.trainableWeights.map((weight) => trainableVariable(tf, weight));
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

  const eager = median(eagerStep);
  const movement = median(dataMovement);
  const forwardMs = median(forward);
  const gradientsMs = median(gradients);
  const updateMs = median(update);
  const eagerKernels = await kernelsOf(tf, eagerStep);
  const updateKernels = await kernelsOf(tf, update);

  const plan = prepareCompiledTraining({
    tf,
    model,
    task: 'BINARY_CLASSIFICATION',
    loss: 'BINARY_CROSSENTROPY',
    optimizer: 'ADAM',
    learningRate: 0.001,
    rowWeights: false,
  });
  let compiledMs = NaN;
  if ('training' in plan) {
    compiledMs = median(() => plan.training.step(xb, yb, spec.batch));
    plan.training.dispose();
  } else {
    print(`  compiled step unavailable: ${plan.reason}`);
  }
  const keras = python ? kerasSecondsPerStep(python, spec, dir) * 1000 : NaN;
  const steps = Math.ceil(ROWS / spec.batch);
  const row = (label: string, ms: number, note = '') => print(`| ${label} | ${ms.toFixed(3)} | ${((ms * steps) / 1000).toFixed(2)} | ${note} |`);
  print(`\n${spec.name}: ${steps} steps per epoch of ${ROWS} rows`);
  print('| part | ms/step | s/epoch | note |');
  print('|---|---|---|---|');
  row('eager step (whole)', eager, `${eagerKernels.count} kernels`);
  row('  data movement', movement, 'batch tensors from JS arrays + one scalar read back (tfjs-node uploads a tensor at its first kernel)');
  row('  forward + loss', forwardMs, '');
  row('  forward + loss + gradients', gradientsMs, '');
  row('  optimizer update', updateMs, `${updateKernels.count} kernels`);
  row('compiled step (one graph call)', compiledMs, "the same math without per-kernel launches: the kernels' own time");
  row(
    '  eager overhead (eager - compiled)',
    eager - compiledMs,
    `${(((eager - compiledMs) / eagerKernels.count) * 1000).toFixed(1)} us per kernel: launches, tape, tidy, tensor tracking`,
  );
  row('Keras 3 model.fit', keras, 'tf.function step, one epoch after a warm-up epoch');
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

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
