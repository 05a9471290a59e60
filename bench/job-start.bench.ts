/**
 * Enqueue-to-start latency of a job on an idle worker, mlplane's queue against pg-boss 10 used as
 * its documentation says, all on the same database in the same run, measured in turn (one job of
 * each per round).
 *
 * - mlplane: `enqueueRun` -> the run executor has claimed the run (QUEUED -> RUNNING) and called
 *   `execute`. The consumer is a separate JobQueue woken by the `jobAvailable` NOTIFY (so it would
 *   wake in another process too).
 * - pg-boss `work()` with its documented default polling (`pollingIntervalSeconds` 2): `send` ->
 *   the handler is called.
 * - pg-boss `work()` + `notifyWorker(id)` right after `send` ("bypass the job polling interval for
 *   this iteration", which needs the worker's id, so the producer must be the worker's process).
 *
 * Before each job every side waits a random time (seeded, uniform over one polling interval), so
 * jobs arrive at every phase of a polling worker's cycle, as independent clients' jobs do: a
 * polling worker's latency is then what its cycle gives, not what the benchmark's timing gives.
 * Environment: DATABASE_URL (else an embedded PostgreSQL), BENCH_REPETITIONS (default 30), BENCH_WARMUP.
 * Run: npm run bench:jobs
 */
import { performance } from 'node:perf_hooks';
import PgBoss from 'pg-boss';
import { loadConfig } from '../src/config/config';
import { createRandom } from '../src/domain/random';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { PgPubSub } from '../src/infra/events/pg-pubsub';
import { logger } from '../src/infra/logger';
import { JobQueue, RUN_QUEUES } from '../src/infra/queue/job-queue';
import { RunExecutor } from '../src/services/runs/run-executor';
import { createDomainServices } from '../src/services/services';
import { openBenchDatabase } from './support/bench-database';
import { exampleCsv } from './support/example-data';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, type Side } from './support/harness';

/** pg-boss' documented default `pollingIntervalSeconds`, in ms. */
const PG_BOSS_DEFAULT_POLLING_MS = 2_000;

/** Resolves with the time a job's handler was entered, once per `next()`. */
class StartSignal {
  private resolve: ((at: number) => void) | undefined;

  next(): Promise<number> {
    return new Promise((resolve) => (this.resolve = resolve));
  }

  fire(): void {
    this.resolve?.(performance.now());
    this.resolve = undefined;
  }
}

async function main(): Promise<void> {
  logger.level = 'warn';
  const options = runOptions({ repetitions: 30, warmup: 2 });
  const database = await openBenchDatabase();
  const prisma = createPrismaClient(database.url, 4);
  const events = new PgPubSub({ connectionString: database.url });
  await events.start();
  const producer = new JobQueue({ connectionString: database.url });
  const consumer = new JobQueue({ connectionString: database.url, events });
  const boss = new PgBoss({ connectionString: database.url, schedule: false });
  const random = createRandom(7);
  const arrival = () => new Promise((resolve) => setTimeout(resolve, random.uniform(0, PG_BOSS_DEFAULT_POLLING_MS)));
  try {
    await producer.start();
    await consumer.start();
    await boss.start();
    const services = createDomainServices({ prisma, events, queue: producer, config: loadConfig({}) });
    const { version } = await services.datasets.createDataset({ name: 'jobs', csv: exampleCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await services.models.createModel({ name: 'jobs-model', datasetId: version.datasetId, layers: [{ units: 4, activation: 'relu' }] });

    const mlplaneStarted = new StartSignal();
    const executor = new RunExecutor({ store: services.runStore, events });
    await consumer.work(
      RUN_QUEUES.TRAINING,
      executor.jobHandler(() => {
        mlplaneStarted.fire();
        return Promise.resolve();
      }),
    );
    const polledStarted = new StartSignal();
    await boss.createQueue('bench-polled');
    await boss.work('bench-polled', () => {
      polledStarted.fire();
      return Promise.resolve();
    });
    const notifiedStarted = new StartSignal();
    await boss.createQueue('bench-notified');
    const notifiedWorker = await boss.work('bench-notified', () => {
      notifiedStarted.fire();
      return Promise.resolve();
    });

    const sides: Side[] = [
      {
        name: 'mlplane queue (NOTIFY wake-up; includes the run claim)',
        unit: 'ms',
        observe: async () => {
          const run = await prisma.run.create({ data: { kind: 'TRAINING', modelId: model.id, datasetVersionId: version.id, hyperparameters: { epochs: 1 } } });
          await arrival();
          const started = mlplaneStarted.next();
          const enqueuedAt = performance.now();
          await producer.enqueueRun(RUN_QUEUES.TRAINING, run.id);
          return (await started) - enqueuedAt;
        },
      },
      {
        name: 'pg-boss work() + notifyWorker() after send',
        unit: 'ms',
        observe: async () => {
          await arrival();
          const started = notifiedStarted.next();
          const sentAt = performance.now();
          await boss.send('bench-notified', {});
          boss.notifyWorker(notifiedWorker);
          return (await started) - sentAt;
        },
      },
      {
        name: `pg-boss work(), default polling (${PG_BOSS_DEFAULT_POLLING_MS / 1000} s)`,
        unit: 'ms',
        observe: async () => {
          await arrival();
          const started = polledStarted.next();
          const sentAt = performance.now();
          await boss.send('bench-polled', {});
          return (await started) - sentAt;
        },
      },
    ];
    const report = new BenchReport(
      `enqueue-to-start of a job on an idle worker (${database.where}); ${options.repetitions} rounds after ${options.warmup} warm-up jobs per side, random arrival over ${PG_BOSS_DEFAULT_POLLING_MS} ms`,
    );
    const [mlplane, notified, polled] = await measureRoundRobin(sides, options);
    for (const measured of [mlplane, notified, polled]) report.print(`  ${formatMeasured(measured)}`);
    report.print(`  ${formatRatio(mlplane, notified, 'ratio mlplane / pg-boss with notifyWorker')}`);
    report.print(`  ${formatRatio(mlplane, polled, 'ratio mlplane / pg-boss polling')}`);
  } finally {
    await boss.stop({ graceful: false, wait: true });
    await consumer.stop({ graceful: false });
    await producer.stop({ graceful: false });
    await events.close();
    await prisma.$disconnect();
    await database.close();
  }
}

runBenchmark(main);
