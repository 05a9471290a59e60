/**
 * Enqueue-to-start latency of a run on an idle worker: `enqueueRun` -> the executor has claimed the
 * run (QUEUED -> RUNNING) and called `execute`. mlplane's queue wakes workers with a `jobAvailable`
 * NOTIFY; the baseline, timed in the same process on the same database, is pg-boss 10's own
 * `work()` with its default 2 s polling.
 * Run: npm run build && node dist/bench/job-start.bench.js
 */
import { performance } from 'node:perf_hooks';
import PgBoss from 'pg-boss';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { PgPubSub } from '../src/infra/events/pg-pubsub';
import { JobQueue, RUN_QUEUES } from '../src/infra/queue/job-queue';
import { RunExecutor } from '../src/services/runs/run-executor';
import { RunStore } from '../src/services/runs/run-store';
import { createQueuedRun, createRunParents } from '../test/support/run-fixtures';
import { openBenchDatabase } from './support/bench-database';

const WARMUP = 3;
const SAMPLES = 50;
const BASELINE_SAMPLES = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function describe(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${name}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms (${samples.length} runs)`;
}

async function main(): Promise<void> {
  const database = await openBenchDatabase();
  const prisma = createPrismaClient(database.url, 4);
  const events = new PgPubSub({ connectionString: database.url });
  await events.start();
  try {
    const parents = await createRunParents(prisma);
    const store = new RunStore(prisma, { publish: (topic, payload) => events.publish(topic, payload) });
    const producer = new JobQueue({ connectionString: database.url });
    await producer.start();
    const consumer = new JobQueue({ connectionString: database.url, events });
    await consumer.start();
    const executor = new RunExecutor({ store, events });
    let started: ((at: number) => void) | undefined;
    await consumer.work(
      RUN_QUEUES.TRAINING,
      executor.jobHandler(async () => {
        started?.(performance.now());
      }),
    );

    const woken: number[] = [];
    // The first WARMUP runs warm connections and query plans and are not counted.
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const runId = await createQueuedRun(prisma, parents);
      const at = new Promise<number>((resolve) => (started = resolve));
      const enqueuedAt = performance.now();
      await producer.enqueueRun(RUN_QUEUES.TRAINING, runId);
      const latency = (await at) - enqueuedAt;
      if (i >= WARMUP) woken.push(latency);
      // Let the run end before the next one, so every sample meets an idle worker.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await consumer.stop();

    const boss = new PgBoss({ connectionString: database.url, schedule: false });
    await boss.start();
    await boss.createQueue('baseline');
    let baselineStarted: ((at: number) => void) | undefined;
    await boss.work('baseline', async () => {
      baselineStarted?.(performance.now());
    });
    const polled: number[] = [];
    for (let i = 0; i < BASELINE_SAMPLES; i++) {
      const at = new Promise<number>((resolve) => (baselineStarted = resolve));
      const enqueuedAt = performance.now();
      await boss.send('baseline', {});
      polled.push((await at) - enqueuedAt);
      // Offset the next send from the poll cycle so samples spread over it.
      await new Promise((resolve) => setTimeout(resolve, 137));
    }
    await boss.stop({ graceful: false, wait: true });
    await producer.stop();

    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    process.stdout.write(
      [
        `enqueue-to-start of a run on an idle worker (${database.where})`,
        describe('mlplane queue (NOTIFY wake-up, includes the claim)', woken),
        describe('baseline: pg-boss work(), default 2 s polling', polled),
        `ratio of medians mlplane / baseline: ${(median(woken) / median(polled)).toFixed(3)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await events.close();
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
