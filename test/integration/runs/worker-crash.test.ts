import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../../src/infra/queue/job-queue';
import { RunReaper } from '../../../src/services/runs/run-reaper';
import { createQueuedRun, createRunParents, createRunStore, RecordingPublisher, type RunParents } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';

const ROOT = path.resolve(__dirname, '../../..');
const STALE_MS = 1000;

/**
 * Real worker processes (test/support/run-worker-child.ts) killed with SIGKILL mid-run. Timings are
 * shortened: heartbeat 200 ms, staleness 1 s, sweep 250 ms; epochs of 100 ms.
 */
describe('a worker killed with SIGKILL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let parents: RunParents;
  let queue: JobQueue;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    parents = await createRunParents(prisma);
    queue = new JobQueue({ connectionString: db.url });
    await queue.start();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await queue.stop({ graceful: false });
    await prisma.$disconnect();
    await db.drop();
  });

  async function startWorker(workerId: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'test/support/run-worker-child.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        WORKER_ID: workerId,
        EPOCHS: '30',
        EPOCH_MS: '100',
        HEARTBEAT_MS: '200',
        STALE_MS: String(STALE_MS),
        SWEEP_MS: '250',
        MAX_ATTEMPTS: '2',
        LOG_LEVEL: 'warn',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready\n')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`worker ${workerId} exited with ${code} before it was ready`)));
    });
    return child;
  }

  async function killWhenMidRun(child: ChildProcess, runId: string, workerId: string): Promise<number> {
    await waitFor(async () => {
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      const epochs = await prisma.runEpoch.count({ where: { runId } });
      return run.status === 'RUNNING' && run.workerId === workerId && epochs >= 2;
    }, 20_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    return Date.now();
  }

  it('is re-queued by the reaper and finished by another worker', async () => {
    const workerA = await startWorker('worker-a');
    const id = await createQueuedRun(prisma, parents);
    await queue.enqueueRun(RUN_QUEUES.TRAINING, id);
    const killedAt = await killWhenMidRun(workerA, id, 'worker-a');

    await startWorker('worker-b');
    await waitFor(async () => (await prisma.run.findUniqueOrThrow({ where: { id } })).workerId === 'worker-b', 30_000);
    const takenOverMs = Date.now() - killedAt;
    await waitFor(async () => (await prisma.run.findUniqueOrThrow({ where: { id } })).status === 'SUCCEEDED', 30_000);
    process.stdout.write(`SIGKILL to re-claimed by another worker: ${takenOverMs} ms (staleness ${STALE_MS} ms)\n`);

    const run = await prisma.run.findUniqueOrThrow({ where: { id } });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2, workerId: 'worker-b', error: null, summary: { epochs: 30, workerId: 'worker-b' } });
    const epochs = await prisma.runEpoch.findMany({ where: { runId: id }, orderBy: { epoch: 'asc' } });
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await prisma.alert.count({ where: { runId: id } })).toBe(0);
  });

  it('fails with a reason and a RUN_FAILED alert once maxAttempts is reached', async () => {
    // worker-b from the previous test is the only live worker: it takes this run first.
    const workerB = children[children.length - 1];
    const id = await createQueuedRun(prisma, parents);
    await queue.enqueueRun(RUN_QUEUES.TRAINING, id);
    await killWhenMidRun(workerB, id, 'worker-b');

    const workerC = await startWorker('worker-c');
    const killedAt = await killWhenMidRun(workerC, id, 'worker-c');
    // No worker is left: a reaper elsewhere (here, this process) finds the run and gives up on it.
    const store = createRunStore(prisma, new RecordingPublisher());
    const reaper = new RunReaper({ store, queue, staleAfterMs: STALE_MS, intervalMs: 250, maxAttempts: 2 });
    reaper.start();
    try {
      await waitFor(async () => (await prisma.run.findUniqueOrThrow({ where: { id } })).status !== 'RUNNING', 60_000);
    } finally {
      await reaper.stop();
    }
    const endedMs = Date.now() - killedAt;
    process.stdout.write(`SIGKILL to FAILED: ${endedMs} ms (staleness ${STALE_MS} ms)\n`);
    expect(endedMs).toBeLessThan(60_000);

    const run = await prisma.run.findUniqueOrThrow({ where: { id } });
    const lastEpoch = await prisma.runEpoch.aggregate({ where: { runId: id }, _max: { epoch: true } });
    expect(run.status).toBe('FAILED');
    expect(run.attempts).toBe(2);
    expect(run.error).toBe(`worker worker-c stopped heartbeating during epoch ${lastEpoch._max.epoch! + 1}; gave up after 2 attempts`);
    const alerts = await prisma.alert.findMany({ where: { runId: id } });
    expect(alerts).toEqual([expect.objectContaining({ kind: 'RUN_FAILED', severity: 'WARNING', status: 'OPEN', dedupKey: `run_failed:${id}` })]);
    expect(alerts[0].details).toMatchObject({ error: run.error, attempts: 2 });
    expect(await prisma.run.count({ where: { status: 'RUNNING' } })).toBe(0);
  });
});
