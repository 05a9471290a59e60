/**
 * Training-core benchmark: mlplane's trainer (src/ml/trainer.ts) against plain `model.fit` doing
 * the same training in the same process, on each available backend.
 *
 * - seed model: Dense 10 relu -> Dense 1 sigmoid, Adam 0.001, binary cross-entropy, batch 32;
 * - MLP 8-256-256-1, same optimizer and loss, batch 256;
 * on 100,000 x 8 synthetic rows (seeded). One observation is one epoch of a freshly built model;
 * the two sides are measured in turn (bench/support/harness.ts: a warm-up epoch each, then 10
 * rounds), and the figure is trainer / plain, per round and of the medians.
 *
 * Environment: BENCH_ROWS (default 100000), BENCH_BACKENDS (default: every available one, e.g.
 * "cpu,tensorflow"), BENCH_CPU_MLP=1 to include the MLP on the pure-JS cpu backend (over a minute
 * an epoch), BENCH_REPETITIONS, BENCH_WARMUP.
 * Run: npm run bench:train-core
 */
import { buildModel, type Architecture } from '../src/ml/model-builder';
import { availableBackends, tf as loadTf, useBackend } from '../src/ml/tf-backend';
import type { Matrix, Tf } from '../src/ml/tf-types';
import { trainModel } from '../src/ml/trainer';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions } from './support/harness';
import { syntheticBinaryData } from './support/synthetic-binary';
import { SILENT } from './support/tfjs-fit';

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
    architecture: {
      layers: [
        { units: 256, activation: 'relu' },
        { units: 256, activation: 'relu' },
      ],
    },
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
  await model.fit(x, y, { epochs, batchSize: spec.batchSize, shuffle: true, verbose: SILENT });
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
  const options = runOptions();
  const rows = Number(process.env.BENCH_ROWS ?? 100_000);
  const available = availableBackends();
  const backends = available.filter((name) => process.env.BENCH_BACKENDS?.split(',').includes(name) ?? true);
  const data = syntheticBinaryData(rows, FEATURES, 42);
  const report = new BenchReport(
    `train-core bench: ${rows} x ${FEATURES} rows, tfjs ${tf.version.tfjs}, node ${process.version}; one epoch per observation, ${options.repetitions} rounds after ${options.warmup} warm-up epochs per side`,
  );
  for (const backend of backends) {
    await useBackend(backend);
    for (const spec of CASES) {
      if (backend === 'cpu' && spec.slowOnCpu && process.env.BENCH_CPU_MLP !== '1') {
        report.print(`${backend}, ${spec.name}: skipped (BENCH_CPU_MLP=1 includes it)`);
        continue;
      }
      const [plain, trainer] = await measureRoundRobin(
        [
          { name: 'plain model.fit', unit: 's/epoch', observe: () => timePlainFit(tf, spec, data, 1) },
          { name: "mlplane's trainer", unit: 's/epoch', observe: () => timeTrainer(tf, spec, data, 1) },
        ],
        options,
      );
      report.print(`${backend}, ${spec.name}:`);
      report.print(`  ${formatMeasured(plain)}`);
      report.print(`  ${formatMeasured(trainer)}`);
      report.print(`  ${formatRatio(trainer, plain, 'trainer / plain')}`);
    }
  }
}

runBenchmark(main);
