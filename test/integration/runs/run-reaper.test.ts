import { Client } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../../src/infra/queue/job-queue';
import { abandonedRunReason, RunReaper } from '../../../src/services/runs/run-reaper';
import type { RunStore } from '../../../src/services/runs/run-store';
import { createQueuedRun, createRunParents, createRunStore, RecordingPublisher, type RunParents } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';

describe('RunReaper', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let parents: RunParents;
  let queue: JobQueue;
  let store: RunStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 6);
    parents = await createRunParents(prisma);
    queue = new JobQueue({ connectionString: db.url });
    await queue.start();
    store = createRunStore(prisma, new RecordingPublisher());
  });

  afterAll(async () => {
    await queue.stop({ graceful: false });
    await prisma.$disconnect();
    await db.drop();
  });

  const reaper = (maxAttempts = 2) => new RunReaper({ store, queue, staleAfterMs: 60_000, maxAttempts, orphanAfterMs: 60_000 });

  /** A run claimed by `workerId` whose last heartbeat was two minutes ago, after `epochs` epochs. */
  async function staleRun(workerId: string, options: { attempts?: number; epochs?: number; cancel?: boolean } = {}): Promise<string> {
    const id = await createQueuedRun(prisma, parents);
    await store.claimRun(id, workerId);
    for (let epoch = 1; epoch <= (options.epochs ?? 0); epoch++) {
      await store.recordEpoch({ runId: id, workerId, epoch, metrics: { loss: 1 }, elapsedMs: 1, epochMs: 1, samplesPerSecond: 1 });
    }
    if (options.cancel) await store.requestCancel(id);
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = now() - interval '2 minutes', attempts = ${options.attempts ?? 1} WHERE id = ${id}::uuid`;
    return id;
  }

  async function pendingJobs(runId: string): Promise<number> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE singleton_key = $1 AND state < 'completed'`, [runId]);
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  }

  it('states the failure reason with the worker, the epoch in progress and the attempts', () => {
    expect(abandonedRunReason({ workerId: 'host:12:ab', lastEpoch: 6, attempts: 2 })).toBe(
      'worker host:12:ab stopped heartbeating during epoch 7; gave up after 2 attempts',
    );
    expect(abandonedRunReason({ workerId: 'w', lastEpoch: null, attempts: 1 })).toBe('worker w stopped heartbeating during epoch 1; gave up after 1 attempt');
  });

  it('re-queues an orphaned run with attempts left and enqueues its job', async () => {
    const id = await staleRun('dead-1', { attempts: 1, epochs: 3 });
    const report = await reaper().sweep();
    expect(report.requeued).toEqual([id]);
    expect(await prisma.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'QUEUED', attempts: 1, workerId: null });
    expect(await pendingJobs(id)).toBe(1);
    expect((await reaper().sweep()).requeued).toEqual([]);
    expect(await pendingJobs(id)).toBe(1);
  });

  it('fails an orphaned run that used its attempts, with a RUN_FAILED alert', async () => {
    const id = await staleRun('dead-2', { attempts: 2, epochs: 4 });
    const report = await reaper().sweep();
    expect(report.failed).toEqual([id]);
    expect(await prisma.run.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'FAILED',
      error: 'worker dead-2 stopped heartbeating during epoch 5; gave up after 2 attempts',
    });
    expect(await prisma.alert.count({ where: { runId: id, kind: 'RUN_FAILED' } })).toBe(1);
    expect(await pendingJobs(id)).toBe(0);
  });

  it('cancels an orphaned run whose cancel was requested instead of re-queueing it', async () => {
    const id = await staleRun('dead-3', { attempts: 1, cancel: true });
    expect((await reaper().sweep()).cancelled).toEqual([id]);
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('CANCELLED');
    expect(await pendingJobs(id)).toBe(0);
  });

  it('leaves runs with a fresh heartbeat alone', async () => {
    const id = await createQueuedRun(prisma, parents);
    await store.claimRun(id, 'alive');
    const report = await reaper().sweep();
    expect([...report.requeued, ...report.failed, ...report.cancelled]).not.toContain(id);
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('RUNNING');
  });

  it('acts once on each orphaned run when several reapers sweep at the same time', async () => {
    const requeue = await staleRun('dead-4', { attempts: 1 });
    const fail = await staleRun('dead-5', { attempts: 2 });
    const reports = await Promise.all([reaper(), reaper(), reaper(), reaper()].map((r) => r.sweep()));
    expect(reports.flatMap((r) => r.requeued).filter((id) => id === requeue)).toHaveLength(1);
    expect(reports.flatMap((r) => r.failed).filter((id) => id === fail)).toHaveLength(1);
    expect(await prisma.alert.count({ where: { runId: fail } })).toBe(1);
    expect(await pendingJobs(requeue)).toBe(1);
  });

  it('re-enqueues a queued run left without a job, once', async () => {
    const id = await createQueuedRun(prisma, parents);
    await prisma.$executeRaw`UPDATE runs SET created_at = now() - interval '2 minutes' WHERE id = ${id}::uuid`;
    expect(await pendingJobs(id)).toBe(0);
    expect((await reaper().sweep()).reenqueued).toContain(id);
    expect(await pendingJobs(id)).toBe(1);
    expect((await reaper().sweep()).reenqueued).not.toContain(id);
    expect(await queue.keysWithoutPendingJob(RUN_QUEUES.TRAINING, [id])).toEqual([]);
  });

  it('sweeps on its own timer until stopped', async () => {
    const id = await staleRun('dead-6', { attempts: 1 });
    const timed = new RunReaper({ store, queue, staleAfterMs: 60_000, intervalMs: 50, orphanAfterMs: 60_000 });
    timed.start();
    try {
      await waitFor(async () => (await prisma.run.findUniqueOrThrow({ where: { id } })).status === 'QUEUED', 5000);
    } finally {
      await timed.stop();
    }
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('QUEUED');
  });
});
