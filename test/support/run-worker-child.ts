/**
 * A worker process for crash tests: the real job queue, executor and reaper with short timings,
 * and a fake `execute` that records one epoch every EPOCH_MS until EPOCHS epochs.
 * Run with `node -r test/support/ts-register.js test/support/run-worker-child.ts`.
 * Environment: DATABASE_URL, WORKER_ID, EPOCHS, EPOCH_MS, HEARTBEAT_MS, STALE_MS, SWEEP_MS, MAX_ATTEMPTS.
 * Prints `ready` once it takes jobs.
 */
import { installProcessGuards } from '../../src/app/process-guards';
import { createPrismaClient } from '../../src/infra/db/prisma-client';
import { PgPubSub } from '../../src/infra/events/pg-pubsub';
import { logger } from '../../src/infra/logger';
import { JobQueue, RUN_QUEUES } from '../../src/infra/queue/job-queue';
import { RunExecutor, type ExecuteRun } from '../../src/services/runs/run-executor';
import { RunReaper } from '../../src/services/runs/run-reaper';
import { createRunStore } from './run-fixtures';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

async function main(): Promise<void> {
  installProcessGuards(logger);
  const url = env('DATABASE_URL');
  const epochs = Number(env('EPOCHS', '20'));
  const epochMs = Number(env('EPOCH_MS', '100'));
  const prisma = createPrismaClient(url, 4);
  const events = new PgPubSub({ connectionString: url });
  await events.start();
  const store = createRunStore(prisma, { publish: (topic, payload) => events.publish(topic, payload) });
  const queue = new JobQueue({ connectionString: url, events, pollIntervalMs: 1000 });
  await queue.start();
  const executor = new RunExecutor({ store, events, workerId: env('WORKER_ID'), heartbeatIntervalMs: Number(env('HEARTBEAT_MS', '200')) });
  const execute: ExecuteRun = async (_run, context) => {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = Date.now();
      while (Date.now() - started < epochMs) {
        if (context.shouldStop()) return { summary: { epochs: epoch - 1, stopped: true } };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await context.recordEpoch(epoch, { loss: 1 / epoch }, { elapsedMs: Date.now() - started, epochMs: Date.now() - started, samplesPerSecond: 1000 });
    }
    return { summary: { epochs, workerId: context.workerId } };
  };
  await queue.work(RUN_QUEUES.TRAINING, executor.jobHandler(execute));
  const reaper = new RunReaper({
    store,
    queue,
    intervalMs: Number(env('SWEEP_MS', '250')),
    staleAfterMs: Number(env('STALE_MS', '1000')),
    maxAttempts: Number(env('MAX_ATTEMPTS', '2')),
    orphanAfterMs: 60_000,
  });
  reaper.start();
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    void (async () => {
      await reaper.stop();
      await queue.stop({ graceful: true, timeoutMs: 5000 });
      await events.close();
      await prisma.$disconnect();
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed: ${String(error)}\n`);
  process.exit(1);
});
