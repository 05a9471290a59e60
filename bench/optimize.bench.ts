/**
 * Hyperparameter optimization studies through mlplane (service, pg-boss queue, coordinator job,
 * trial jobs training tfjs models) on test/fixtures/breast_cancer.csv.
 *
 * 1. Search quality: the best val_loss found by TPE and by RANDOM at equal budgets (same search
 *    space, same trial count, same seeds), one in-process worker, parallelism 1, no pruning.
 *    Prints each strategy's mean best over the seeds and TPE's ratio to RANDOM (below 1: TPE found
 *    better hyperparameters with the same number of trials).
 * 2. Scaling: the wall time of one study (mutation to SUCCEEDED) with one `mlplane worker`
 *    process against two, parallelism 2; the baseline is one worker, the figure their ratio.
 *
 * Run: npm run bench:optimize [-- trials=20 seeds=3 scaleTrials=12]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import { loadConfig } from '../src/config/config';
import { createPrismaClient, type PrismaClient } from '../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../src/infra/events/notify-event-publisher';
import { createPgPubSub } from '../src/infra/events/pg-pubsub';
import { logger } from '../src/infra/logger';
import { JobQueue, RUN_QUEUES } from '../src/infra/queue/job-queue';
import type { OptimizationService, StartOptimizationInput } from '../src/services/optimization/optimization.service';
import { createStudyJob } from '../src/services/optimization/study-job';
import { createTrialJob } from '../src/services/optimization/trial-job';
import { RunExecutor } from '../src/services/runs/run-executor';
import { createDomainServices, type DomainServices } from '../src/services/services';
import { openBenchDatabase } from './support/bench-database';
import { fixtureCsv } from '../test/support/fixtures';

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


async function waitForEnd(prisma: PrismaClient, studyId: string): Promise<{ status: string; summary: Record<string, unknown> }> {
  for (;;) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: studyId } });
    if (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'CANCELLED') {
      return { status: run.status, summary: (run.summary ?? {}) as Record<string, unknown> };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface StudyTiming {
  best: number;
  ms: number;
  /** Mean time from a trial's claim to its end. */
  meanTrialMs: number;
  /** Most trials RUNNING at one instant. */
  mostRunning: number;
}

async function runStudy(optimization: OptimizationService, prisma: PrismaClient, input: StartOptimizationInput): Promise<StudyTiming> {
  const started = process.hrtime.bigint();
  const study = await optimization.startOptimization(input, 'tester');
  const { status, summary } = await waitForEnd(prisma, study.id);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (status !== 'SUCCEEDED') throw new Error(`study ${study.id} ended ${status}`);
  const trials = await prisma.run.findMany({ where: { parentRunId: study.id }, select: { startedAt: true, finishedAt: true } });
  const spans = trials.map((t) => [t.startedAt!.getTime(), t.finishedAt!.getTime()] as const);
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

/** Starts `mlplane worker` (the built one) and resolves once it takes jobs. */
function startWorkerProcess(databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'main.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.includes('"worker ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  logger.level = 'warn';
  const trials = arg('trials', 20);
  const seeds = arg('seeds', 3);
  const scaleTrials = arg('scaleTrials', 12);
  const database = await openBenchDatabase();
  const prisma = createPrismaClient(database.url, 6);
  const pool = new Pool({ connectionString: database.url, max: 2 });
  const pubSub = await createPgPubSub({ connectionString: database.url });
  const events = new NotifyEventPublisher(pool);
  const lines: string[] = [`database: ${database.where}`];
  const print = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    // Part 1: an in-process worker.
    const queue = new JobQueue({ connectionString: database.url, events: pubSub, poolSize: 3 });
    await queue.start();
    const services: DomainServices = createDomainServices({ prisma, events, queue, config: loadConfig({}) });
    const { version } = await services.datasets.createDataset({ name: 'breast-cancer', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await services.models.createModel({ name: 'bc-mlp', datasetId: version.datasetId, layers: [{ units: 16, activation: 'relu', dropout: 0.1 }] });
    const executor = new RunExecutor({ store: services.runStore, events: pubSub });
    await queue.work(RUN_QUEUES.OPTIMIZATION, executor.jobHandler(createStudyJob({ prisma, optimization: services.optimization, events: pubSub })));
    await queue.work(RUN_QUEUES.TRIAL, executor.jobHandler(createTrialJob({ prisma, datasets: services.datasets, models: services.models, events })));

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

    print(`breast_cancer.csv, 1 hidden layer, search: learningRate, optimizer, batchSize, units[0], dropout[0]; objective val_loss (minimize)`);
    print(`1) search quality: ${trials} trials per study, 5 epochs per trial, seeds 1..${seeds}, one in-process worker, parallelism 1`);
    const results: Record<string, { best: number[]; ms: number[] }> = { RANDOM: { best: [], ms: [] }, TPE: { best: [], ms: [] } };
    for (let seed = 1; seed <= seeds; seed++) {
      for (const strategy of ['RANDOM', 'TPE'] as const) {
        const { best, ms } = await runStudy(services.optimization, prisma, study(strategy, seed, trials, 1, 5));
        results[strategy].best.push(best);
        results[strategy].ms.push(ms);
        print(`   seed ${seed} ${strategy.padEnd(6)} best val_loss ${best.toFixed(4)}  (${(ms / 1000).toFixed(1)} s)`);
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const random = mean(results.RANDOM.best);
    const tpe = mean(results.TPE.best);
    print(`   RANDOM mean best val_loss: ${random.toFixed(4)}`);
    print(`   TPE    mean best val_loss: ${tpe.toFixed(4)}`);
    print(`   TPE / RANDOM: ${(tpe / random).toFixed(3)}  (below 1: TPE better)`);
    await queue.stop({ graceful: true, timeoutMs: 10_000 });

    // Part 2: the same study on one and on two `mlplane worker` processes.
    print(`2) scaling: RANDOM study of ${scaleTrials} trials, 40 epochs each, parallelism 2, mutation to SUCCEEDED`);
    const producer = new JobQueue({ connectionString: database.url, poolSize: 2 });
    await producer.start();
    const apiServices = createDomainServices({ prisma, events, queue: producer, config: loadConfig({}) });
    const wall: number[] = [];
    for (const workers of [1, 2]) {
      const children = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(database.url)));
      try {
        const timing = await runStudy(apiServices.optimization, prisma, study('RANDOM', 7, scaleTrials, 2, 40));
        wall.push(timing.ms);
        print(
          `   ${workers} worker process${workers > 1 ? 'es' : ''}: ${(timing.ms / 1000).toFixed(1)} s` +
            ` (mean trial ${(timing.meanTrialMs / 1000).toFixed(2)} s, at most ${timing.mostRunning} trials running at once, load average ${os.loadavg()[0].toFixed(1)})`,
        );
      } finally {
        await Promise.all(children.map(stopWorkerProcess));
      }
    }
    print(`   two workers / one worker wall time: ${(wall[1] / wall[0]).toFixed(3)}  (${(wall[0] / wall[1]).toFixed(2)}x faster; ${os.cpus().length} CPUs)`);
    await producer.stop({ graceful: false });
  } finally {
    await pubSub.close();
    await pool.end();
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
