import { Client } from 'pg';
import { InvalidStateError, NotFoundError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { AlertService, runFailedDedupKey, type Alert, type RaiseOutcome } from '../../../src/services/alerts/alert.service';
import { RunStore } from '../../../src/services/runs/run-store';
import { createQueuedRun, createRunParents, RecordingPublisher, type RunParents } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';

describe('RunStore guarded transitions', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let parents: RunParents;
  let events: RecordingPublisher;
  let alerts: AlertService;
  let store: RunStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    parents = await createRunParents(prisma);
  });

  beforeEach(() => {
    events = new RecordingPublisher();
    alerts = new AlertService(prisma, events);
    store = new RunStore(prisma, events, alerts);
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  const newRun = () => createQueuedRun(prisma, parents);

  it('claims a queued run once: attempts, worker, start and heartbeat set', async () => {
    const id = await newRun();
    const claimed = await store.claimRun(id, 'w1');
    expect(claimed).toMatchObject({ id, status: 'RUNNING', attempts: 1, workerId: 'w1' });
    expect(claimed!.startedAt).toBeInstanceOf(Date);
    expect(claimed!.heartbeatAt).toBeInstanceOf(Date);
    expect(await store.claimRun(id, 'w2')).toBeNull();
    expect(await store.claimRun(id, 'w1')).toBeNull();
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).workerId).toBe('w1');
    // The event carries the state the claim left, as its UPDATE returned it.
    expect(events.of('runUpdated', id)).toEqual([
      { id, status: 'RUNNING', cancelRequested: false, attempts: 1, startedAt: claimed!.startedAt!.toISOString(), finishedAt: null, summary: null },
    ]);
  });

  it('lets exactly one of many concurrent claims win', async () => {
    const id = await newRun();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimRun(id, `w${i}`)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).attempts).toBe(1);
  });

  it('does not claim a missing run', async () => {
    expect(await store.claimRun('00000000-0000-4000-8000-000000000000', 'w1')).toBeNull();
  });

  it('finishes a running run once; a second finish is refused', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    const done = await store.finishRun(id, 'SUCCEEDED', { workerId: 'w1', summary: { epochs: 3 } });
    expect(done).toMatchObject({ status: 'SUCCEEDED', summary: { epochs: 3 }, error: null });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    expect(await store.finishRun(id, 'FAILED', { workerId: 'w1', error: 'late' })).toBeNull();
    expect(await store.finishRun(id, 'CANCELLED')).toBeNull();
    expect(await prisma.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(await prisma.alert.count({ where: { runId: id } })).toBe(0);
    expect(events.of('runUpdated', id).map((e) => e.status)).toEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('refuses to finish a queued run, or a run held by another worker', async () => {
    const id = await newRun();
    expect(await store.finishRun(id, 'SUCCEEDED')).toBeNull();
    await store.claimRun(id, 'w1');
    expect(await store.finishRun(id, 'SUCCEEDED', { workerId: 'w2' })).toBeNull();
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('RUNNING');
  });

  it('keeps the error of a failed run and opens one RUN_FAILED alert', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    const failed = await store.finishRun(id, 'FAILED', { workerId: 'w1', error: 'NaN loss at epoch 2' });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'NaN loss at epoch 2' });
    const alerts = await prisma.alert.findMany({ where: { runId: id } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'RUN_FAILED',
      severity: 'WARNING',
      status: 'OPEN',
      dedupKey: runFailedDedupKey(id),
      occurrences: 1,
      details: expect.objectContaining({ runId: id, error: 'NaN loss at epoch 2', attempts: 1, workerId: 'w1' }),
    });
    // Pushed to alertRaised subscribers like every other alert.
    expect(events.of('alertRaised', alerts[0].id)).toEqual([
      {
        id: alerts[0].id,
        deploymentId: null,
        deployment: null,
        kind: 'RUN_FAILED',
        severity: 'WARNING',
        status: 'OPEN',
        occurrences: 1,
        cleanWindows: 0,
        lastSeenAt: alerts[0].lastSeenAt.toISOString(),
        notifiedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        details: alerts[0].details,
      },
    ]);
  });

  it('opens the RUN_FAILED alert through the alert service: its listeners hear the opening and a repeat', async () => {
    const heard: Array<{ alert: Alert; outcome: RaiseOutcome }> = [];
    alerts.onRaised(async (alert, outcome) => {
      heard.push({ alert, outcome });
    });
    const id = await newRun();
    await store.claimRun(id, 'w1');
    await store.finishRun(id, 'FAILED', { workerId: 'w1', error: 'first' });
    // A second failure of the same run (put back to RUNNING by hand) repeats the open alert.
    await prisma.$executeRaw`UPDATE runs SET status = 'RUNNING', finished_at = NULL WHERE id = ${id}::uuid`;
    await store.finishRun(id, 'FAILED', { workerId: 'w1', error: 'second' });
    const alert = await prisma.alert.findFirstOrThrow({ where: { runId: id } });
    expect(alert).toMatchObject({ occurrences: 2, details: expect.objectContaining({ error: 'second' }) });
    expect(heard.map(({ alert: heardAlert, outcome }) => [heardAlert.id, heardAlert.kind, heardAlert.occurrences, outcome])).toEqual([
      [alert.id, 'RUN_FAILED', 1, 'OPENED'],
      [alert.id, 'RUN_FAILED', 2, 'REPEATED'],
    ]);
    expect(events.of('alertRaised', alert.id).map((e) => e.occurrences)).toEqual([1]);
    expect(events.of('alertUpdated', alert.id).map((e) => e.occurrences)).toEqual([2]);
  });

  it("fails a run under the alert service's lock on the run's dedup key, like every raiser of that alert", async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    const dedupKey = runFailedDedupKey(id);
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [dedupKey]);
      const finishing = store.finishRun(id, 'FAILED', { workerId: 'w1', error: 'boom' });
      // The failure's transaction waits for the lock the holder has (pg_locks lists its ungranted request)...
      await waitFor(async () => {
        const rows = await prisma.$queryRaw<Array<{ waiting: number }>>`
          SELECT count(*)::int AS waiting FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND objid::bigint = (hashtext(${dedupKey})::bigint & 4294967295)`;
        return rows[0].waiting === 1;
      }, 10_000);
      // ...with neither the status change nor the alert committed.
      expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('RUNNING');
      expect(await prisma.alert.count({ where: { runId: id } })).toBe(0);
      await holder.query('COMMIT');
      expect(await finishing).toMatchObject({ status: 'FAILED', error: 'boom' });
    } finally {
      await holder.end();
    }
    expect(await prisma.alert.count({ where: { runId: id, kind: 'RUN_FAILED', status: 'OPEN' } })).toBe(1);
  });

  it('rolls the status change back when finalize throws, and skips finalize when the guard fails', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    await expect(
      store.finishRun(id, 'SUCCEEDED', {
        workerId: 'w1',
        finalize: async () => {
          throw new Error('artifact write failed');
        },
      }),
    ).rejects.toThrow('artifact write failed');
    expect((await prisma.run.findUniqueOrThrow({ where: { id } })).status).toBe('RUNNING');
    let finalized = 0;
    const finalize = async () => {
      finalized += 1;
    };
    expect(await store.finishRun(id, 'SUCCEEDED', { workerId: 'w2', finalize })).toBeNull();
    expect(await store.finishRun(id, 'SUCCEEDED', { workerId: 'w1', finalize })).not.toBeNull();
    expect(finalized).toBe(1);
  });

  it('heartbeats only for the holding worker, and reports the cancel flag', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    // The claim's heartbeat moves a second into the past, so that the next one is later whatever the clock's resolution.
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = heartbeat_at - interval '1 second' WHERE id = ${id}::uuid`;
    const before = (await prisma.run.findUniqueOrThrow({ where: { id } })).heartbeatAt!;
    expect(await store.heartbeat(id, 'w1')).toEqual({ cancelRequested: false });
    const after = (await prisma.run.findUniqueOrThrow({ where: { id } })).heartbeatAt!;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
    expect(await store.heartbeat(id, 'w2')).toBeNull();
    await store.requestCancel(id);
    expect(await store.heartbeat(id, 'w1')).toEqual({ cancelRequested: true });
    expect(await store.cancelState(id, 'w1')).toEqual({ cancelRequested: true });
    await store.finishRun(id, 'CANCELLED', { workerId: 'w1' });
    expect(await store.heartbeat(id, 'w1')).toBeNull();
    expect(await store.cancelState(id, 'w1')).toBeNull();
  });

  it('cancels a queued run at once; it can no longer be claimed', async () => {
    const id = await newRun();
    const result = await store.requestCancel(id);
    expect(result.outcome).toBe('cancelled');
    expect(result.run).toMatchObject({ status: 'CANCELLED', cancelRequested: false });
    expect(result.run.finishedAt).toBeInstanceOf(Date);
    expect(await store.claimRun(id, 'w1')).toBeNull();
    expect((await store.requestCancel(id)).outcome).toBe('already-cancelled');
    // A final state: the run itself is the event's state, so the event carries no summary.
    expect(events.of('runUpdated', id)).toEqual([
      { id, status: 'CANCELLED', cancelRequested: false, attempts: 0, startedAt: null, finishedAt: result.run.finishedAt!.toISOString() },
    ]);
  });

  it('flags a running run for cancellation and leaves its status to the worker', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    const result = await store.requestCancel(id);
    expect(result.outcome).toBe('requested');
    expect(result.run).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    expect(events.of('runUpdated', id).at(-1)).toMatchObject({ id, status: 'RUNNING', cancelRequested: true, attempts: 1, finishedAt: null });
  });

  it('refuses to cancel a finished run and reports an unknown one', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    await store.finishRun(id, 'SUCCEEDED', { workerId: 'w1' });
    await expect(store.requestCancel(id)).rejects.toThrow(InvalidStateError);
    await expect(store.requestCancel(id)).rejects.toThrow(/already ended as SUCCEEDED/);
    await expect(store.requestCancel('00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError);
    await expect(store.requestCancel('not-a-uuid')).rejects.toThrow(NotFoundError);
  });

  it('records each epoch once per (run, epoch), only for the holding worker', async () => {
    const id = await newRun();
    const record = (workerId: string, epoch: number, loss: number) =>
      store.recordEpoch({ runId: id, workerId, epoch, metrics: { loss }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 100 });
    expect(await record('w1', 1, 0.9)).toBe(false);
    await store.claimRun(id, 'w1');
    expect(await record('w1', 1, 0.9)).toBe(true);
    expect(await record('w1', 1, 0.8)).toBe(true);
    expect(await record('w1', 2, 0.7)).toBe(true);
    expect(await record('w2', 3, 0.6)).toBe(false);
    await expect(record('w1', 0, 0.6)).rejects.toThrow(RangeError);
    const rows = await prisma.runEpoch.findMany({ where: { runId: id }, orderBy: { epoch: 'asc' } });
    expect(rows.map((r) => [r.epoch, r.metrics])).toEqual([
      [1, { loss: 0.8 }],
      [2, { loss: 0.7 }],
    ]);
    expect(events.of('runEpoch', id).map((e) => e.epoch)).toEqual([1, 1, 2]);
  });

  it('finds stale runs by the database clock and re-queues them under guard', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    await store.recordEpoch({ runId: id, workerId: 'w1', epoch: 1, metrics: { loss: 1 }, elapsedMs: 1, epochMs: 1, samplesPerSecond: 1 });
    expect((await store.findStaleRuns(60_000)).map((r) => r.id)).not.toContain(id);
    expect(await store.requeueStaleRun(id, 'w1', 60_000)).toBeNull();
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = now() - interval '2 minutes' WHERE id = ${id}::uuid`;
    const stale = (await store.findStaleRuns(60_000)).find((r) => r.id === id);
    expect(stale).toMatchObject({ kind: 'TRAINING', attempts: 1, workerId: 'w1', cancelRequested: false, lastEpoch: 1 });
    expect(await store.requeueStaleRun(id, 'w2', 60_000)).toBeNull();
    const requeued = await store.requeueStaleRun(id, 'w1', 60_000);
    expect(requeued).toMatchObject({ status: 'QUEUED', workerId: null, heartbeatAt: null, attempts: 1 });
    expect(await store.requeueStaleRun(id, 'w1', 60_000)).toBeNull();
    expect(await store.claimRun(id, 'w3')).toMatchObject({ attempts: 2, workerId: 'w3' });
  });

  it('fails a stale run only while it is stale', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    expect(await store.finishRun(id, 'FAILED', { workerId: 'w1', staleForMs: 60_000, error: 'x' })).toBeNull();
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = now() - interval '2 minutes' WHERE id = ${id}::uuid`;
    expect(await store.finishRun(id, 'FAILED', { workerId: 'w1', staleForMs: 60_000, error: 'x' })).toMatchObject({ status: 'FAILED' });
  });

  it('does not re-queue a stale run whose cancel was requested', async () => {
    const id = await newRun();
    await store.claimRun(id, 'w1');
    await store.requestCancel(id);
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = now() - interval '2 minutes' WHERE id = ${id}::uuid`;
    expect(await store.requeueStaleRun(id, 'w1', 60_000)).toBeNull();
  });

  it('lists queued runs older than a limit', async () => {
    const id = await newRun();
    expect((await store.findQueuedRuns(60_000)).map((r) => r.id)).not.toContain(id);
    await prisma.$executeRaw`UPDATE runs SET created_at = now() - interval '2 minutes' WHERE id = ${id}::uuid`;
    expect(await store.findQueuedRuns(60_000)).toContainEqual({ id, kind: 'TRAINING' });
  });
});
