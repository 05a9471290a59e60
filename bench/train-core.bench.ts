/**
 * Training-core benchmark: mlplane's trainer (src/ml/trainer.ts) against plain `model.fit` doing
 * the same training in the same process, on each available backend.
 *
 * - seed model: Dense 10 relu -> Dense 1 sigmoid, Adam 0.001, binary cross-entropy, batch 32;
 * - MLP 8-256-256-1, same optimizer and loss, batch 256;
 * on 100,000 x 8 synthetic rows (seeded). Prints seconds per epoch and trainer / plain.
 *
 * Environment: BENCH_EPOCHS (default 10), BENCH_SLOW_EPOCHS (default 2: epochs for the MLP on the
 * pure-JS cpu backend, where one epoch takes over a minute), BENCH_ROWS (default 100000),
 * BENCH_BACKENDS (default: every available one, e.g. "cpu,tensorflow").
 */
import { buildModel, type Architecture } from '../src/ml/model-builder';
import { availableBackends, tf as loadTf, useBackend } from '../src/ml/tf-backend';
import type { Matrix, Tf } from '../src/ml/tf-types';
import { trainModel } from '../src/ml/trainer';
import { syntheticBinaryData } from './support/synthetic-binary';

const FEATURES = 8;

interface Case {
  name: string;
  architecture: Architecture;
  batchSize: number;
  slowOnCpu: boolean;
}

const CASES: Case[] = [
  { name: 'seed model 8-10-1, batch 32', architecture: { layers: [{ units: 10, activation: 'relu' }] }, batchSize: 32, slowOnCpu: false },
  {
    name: 'MLP 8-256-256-1, batch 256',
    architecture: { layers: [{ units: 256, activation: 'relu' }, { units: 256, activation: 'relu' }] },
    batchSize: 256,
    slowOnCpu: true,
  },
];

async function timePlainFit(tf: Tf, spec: Case, data: { x: Matrix; y: Matrix }, epochs: number): Promise<number> {
  const model = buildModel({ tf, architecture: spec.architecture, task: 'BINARY_CLASSIFICATION', inputWidth: FEATURES, seed: 1 });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d(data.x.data, [data.x.rows, data.x.cols]);
  const y = tf.tensor2d(data.y.data, [data.y.rows, data.y.cols]);
  const started = performance.now();
  await model.fit(x, y, { epochs, batchSize: spec.batchSize, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x, y]);
  model.dispose();
  return seconds / epochs;
}

async function timeTrainer(tf: Tf, spec: Case, data: { x: Matrix; y: Matrix }, epochs: number): Promise<number> {
  const model = buildModel({ tf, architecture: spec.architecture, task: 'BINARY_CLASSIFICATION', inputWidth: FEATURES, seed: 1 });
  const started = performance.now();
  await trainModel({
    tf,
    model,
    task: 'BINARY_CLASSIFICATION',
    x: data.x,
    y: data.y,
    hyperparameters: { epochs, batchSize: spec.batchSize, optimizer: 'ADAM', learningRate: 0.001 },
    seed: 1,
  });
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  return seconds / epochs;
}

async function main(): Promise<void> {
  const tf = loadTf();
  const epochs = Number(process.env.BENCH_EPOCHS ?? 10);
  const slowEpochs = Number(process.env.BENCH_SLOW_EPOCHS ?? 2);
  const rows = Number(process.env.BENCH_ROWS ?? 100_000);
  const available = availableBackends();
  const backends = available.filter((name) => process.env.BENCH_BACKENDS?.split(',').includes(name) ?? true);
  const data = syntheticBinaryData(rows, FEATURES, 42);
  const warmup = syntheticBinaryData(2_000, FEATURES, 7);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`train-core bench: ${rows} x ${FEATURES} rows, tfjs ${tf.version.tfjs}, node ${process.version}`);
  print('| backend | case | epochs | plain model.fit s/epoch | trainer s/epoch | trainer / plain |');
  print('|---|---|---|---|---|---|');
  for (const backend of backends) {
    await useBackend(backend);
    for (const spec of CASES) {
      const n = backend === 'cpu' && spec.slowOnCpu ? slowEpochs : epochs;
      await timePlainFit(tf, spec, warmup, 1);
      await timeTrainer(tf, spec, warmup, 1);
      const plain = await timePlainFit(tf, spec, data, n);
      const trainer = await timeTrainer(tf, spec, data, n);
      print(`| ${backend} | ${spec.name} | ${n} | ${plain.toFixed(3)} | ${trainer.toFixed(3)} | ${(trainer / plain).toFixed(3)} |`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
