/**
 * Hyperparameter optimization studies through mlplane (service, pg-boss queue, coordinator job,
 * trial jobs training tfjs models in `mlplane worker` processes) on examples/data/breast_cancer.csv.
 *
 * 1. Search quality: the best val_loss found by TPE and by RANDOM at equal budgets (same search
 *    space, same trial count, same seed for both strategies in a round, seeds 1, 2, ...), one worker
 *    process, parallelism 1, no pruning. Prints each strategy's median best over the seeds and
 *    TPE / RANDOM paired by seed (below 1: TPE found better hyperparameters with the same trials).
 * 2. Scaling: the wall time of one study (start to SUCCEEDED) with one `mlplane worker` process and
 *    with two, parallelism 2, measured in turn; the baseline is one worker, the figure their ratio.
 * Both parts measure through bench/support/harness.ts (in turn, in the same rounds).
 *
 * Environment: DATABASE_URL (else an embedded PostgreSQL), BENCH_REPETITIONS (default 10: seeds
 * in part 1, rounds in part 2), BENCH_WARMUP (part 2; part 1 has none: a seed is not warmer than another).
 * Run: npm run bench:optimize [-- trials=20 scaleTrials=12]
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { logger } from '../src/infra/logger';
import type { StartOptimizationInput } from '../src/services/optimization/optimization.service';
import { openBenchDatabase } from './support/bench-database';
import { openBenchServices, type BenchServices } from './support/bench-services';
import { exampleCsv } from './support/example-data';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, type Side } from './support/harness';
import { startWorkerProcess, stopWorkerProcess, waitForRunEnd } from './support/worker-process';

const SEARCH_SPACE: StartOptimizationInput['searchSpace'] = [
  { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 0.3 },
  { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD', 'RMSPROP'] },
  { name: 'batchSize', kind: 'CHOICE', values: [16, 32, 64, 128] },
  { name: 'units[0]', kind: 'INT_LOG_UNIFORM', low: 2, high: 64 },
  { name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 0.5 },
];

function arg(name: string, fallback: number): number {
  const given = process.argv.slice(2).find((a) => a.startsWith(`${name}=`));
  return given ? Number(given.slice(name.length + 1)) : fallback;
}

interface StudyTiming {
  best: number;
  ms: number;
  /** Mean time from a trial's claim to its end. */
  meanTrialMs: number;
  /** Most trials RUNNING at one instant. */
  mostRunning: number;
}

async function runStudy(bench: BenchServices, input: StartOptimizationInput): Promise<StudyTiming> {
  const started = process.hrtime.bigint();
  const study = await bench.services.optimization.startOptimization(input, 'bench');
  const { status, summary } = await waitForRunEnd(bench.prisma, study.id);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (status !== 'SUCCEEDED') throw new Error(`study ${study.id} ended ${status}`);
  const trials = await bench.prisma.run.findMany({ where: { parentRunId: study.id }, select: { startedAt: true, finishedAt: true } });
  const spans = trials.flatMap((t) => (t.startedAt && t.finishedAt ? [[t.startedAt.getTime(), t.finishedAt.getTime()] as const] : []));
  const points = spans.flatMap(([from, to]) => [
    { at: from, delta: 1 },
    { at: to, delta: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let mostRunning = 0;
  for (const point of points) mostRunning = Math.max(mostRunning, (running += point.delta));
  const meanTrialMs = spans.reduce((sum, [from, to]) => sum + (to - from), 0) / spans.length;
  return { best: summary.bestValue as number, ms, meanTrialMs, mostRunning };
}

async function main(): Promise<void> {
  logger.level = 'warn';
  const trials = arg('trials', 20);
  const scaleTrials = arg('scaleTrials', 12);
  const database = await openBenchDatabase();
  const bench = await openBenchServices(database.url, { prismaPoolSize: 6 });
  const report = new BenchReport(`optimization benchmark (${database.where}), ${os.cpus().length} CPUs`);
  try {
    const { services } = bench;
    const { version } = await services.datasets.createDataset({ name: 'breast-cancer', csv: exampleCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await services.models.createModel({
      name: 'bc-mlp',
      datasetId: version.datasetId,
      layers: [{ units: 16, activation: 'relu', dropout: 0.1 }],
    });
    const study = (strategy: string, seed: number, maxTrials: number, parallelism: number, epochs: number): StartOptimizationInput => ({
      modelId: model.id,
      datasetVersionId: version.id,
      objective: { metric: 'val_loss', direction: 'MINIMIZE' },
      searchSpace: SEARCH_SPACE,
      strategy,
      maxTrials,
      parallelism,
      pruning: { kind: 'NONE' },
      seed,
      baseHyperparameters: { epochs, seed: 1000 + seed, backend: 'CPU' },
    });

    // Part 1: one worker process; each round runs one RANDOM and one TPE study on the round's seed.
    const quality = runOptions({ warmup: 0 });
    report.print(`breast_cancer.csv, 1 hidden layer, search: learningRate, optimizer, batchSize, units[0], dropout[0]; objective val_loss (minimize)`);
    report.print(`1) search quality: ${trials} trials per study, 5 epochs per trial, seeds 1..${quality.repetitions}, one worker process, parallelism 1`);
    const worker = await startWorkerProcess(database.url);
    try {
      const strategySide = (strategy: 'RANDOM' | 'TPE'): Side => {
        let seed = 0;
        return {
          name: `${strategy} best val_loss`,
          unit: '',
          observe: async () => {
            seed += 1;
            const { best, ms } = await runStudy(bench, study(strategy, seed, trials, 1, 5));
            report.print(`   seed ${seed} ${strategy.padEnd(6)} best val_loss ${best.toFixed(4)}  (${(ms / 1000).toFixed(1)} s)`);
            return best;
          },
        };
      };
      const [random, tpe] = await measureRoundRobin([strategySide('RANDOM'), strategySide('TPE')], quality);
      report.print(`   ${formatMeasured(random)}`);
      report.print(`   ${formatMeasured(tpe)}`);
      report.print(`   ${formatRatio(tpe, random, 'TPE / RANDOM (below 1: TPE better)')}`);
    } finally {
      await stopWorkerProcess(worker);
    }

    // Part 2: the same study on one and on two worker processes, in turn.
    const scaling = runOptions();
    report.print(
      `2) scaling: RANDOM study of ${scaleTrials} trials, 40 epochs each, parallelism 2, start to SUCCEEDED; ${scaling.repetitions} rounds after ${scaling.warmup} warm-up studies per side`,
    );
    const workersSide = (workers: number): Side => ({
      name: `${workers} worker process${workers > 1 ? 'es' : ''}`,
      unit: 's',
      observe: async () => {
        const children: ChildProcess[] = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(database.url)));
        try {
          const timing = await runStudy(bench, study('RANDOM', 7, scaleTrials, 2, 40));
          report.print(
            `   ${workers} worker(s): ${(timing.ms / 1000).toFixed(1)} s (mean trial ${(timing.meanTrialMs / 1000).toFixed(2)} s, ` +
              `at most ${timing.mostRunning} trials running at once, load average ${os.loadavg()[0].toFixed(1)})`,
          );
          return timing.ms / 1000;
        } finally {
          await Promise.all(children.map(stopWorkerProcess));
        }
      },
    });
    const [one, two] = await measureRoundRobin([workersSide(1), workersSide(2)], scaling);
    report.print(`   ${formatMeasured(one)}`);
    report.print(`   ${formatMeasured(two)}`);
    report.print(`   ${formatRatio(two, one, 'two workers / one worker wall time')}`);
  } finally {
    await bench.close();
    await database.close();
  }
}

runBenchmark(main);
