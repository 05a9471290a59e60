import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { migrate } from '../../src/infra/db/migrator';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../src/infra/queue/job-queue';
import { createDomainServices } from '../../src/services/services';
import { startTestChild, type TestChild } from '../support/child-process';
import { fixtureCsv } from '../support/fixtures';
import { connectWsClient, useApiKey, type WsSubscription, type WsTestClient } from '../support/graphql-client';
import { createQueuedRun, createRunParents, RecordingPublisher } from '../support/run-fixtures';
import { trainVersions } from '../support/trained-version';
import { sleep, waitFor } from '../support/wait-for';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }';
const PROGRESS = 'subscription($runId: ID!) { runProgress(runId: $runId) { type status epoch { epoch } } }';
const EPOCHS = 40;
const OUTAGE_MS = 5_000;
/** A request that takes longer than this while the database is away counts as a hang. */
const FAIL_FAST_MS = 10_000;

interface PredictOutcome {
  ok: boolean;
  code?: string;
  ms: number;
  at: number;
}

/**
 * The database goes away under load, twice: every backend connection terminated, then PostgreSQL
 * stopped for 5 s and started again on the same port. Meanwhile a real API process serves predicts
 * and three runProgress subscriptions, and a real worker process trains a run (one epoch per 250 ms).
 * Nothing may exit; requests fail fast with SERVICE_UNAVAILABLE while the database is away;
 * /readyz says why; everything resumes without a restart; each subscription receives every epoch
 * once, in order; the worker takes new jobs afterwards. The PostgreSQL is this test's own
 * (embedded, in a temporary directory): the shared server is never touched.
 */
describe('a database outage under load', () => {
  let dir: string;
  let pg: TestChild | undefined;
  let port: number;
  let adminUrl: string;
  let url: string;
  let prisma: PrismaClient;
  let api: TestChild;
  let worker: TestChild;
  let apiUrl: string;
  let adminKey: string;
  const subscribers: WsTestClient[] = [];
  /** Ends the predict load (also when the test fails half-way, so no request loop outlives it). */
  let stopLoad = false;

  const startPostgres = async (): Promise<string> => {
    pg = startTestChild('embedded-postgres-child.ts', { PG_DATA_DIR: dir, ...(port ? { PG_PORT: String(port) } : {}) });
    const started = (await pg.waitForOutput(/url (\S+)\n/, 120_000))[1];
    port = Number(new URL(started).port);
    return started;
  };
  const stopPostgres = async (): Promise<void> => {
    const exited = new Promise((resolve) => pg!.process.once('exit', resolve));
    pg!.process.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-outage-'));
    chmodSync(dir, 0o755);
    port = 0;
    url = await startPostgres();
    adminUrl = url.replace(/\/mlplane$/, '/postgres');
    await migrate(url);
    prisma = createPrismaClient(url, 2);
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 2 });
    await services.deployments.deployModel({ name: 'outage', modelVersionId: trained.versionIds[0] }, 'test');
    adminKey = (await services.apiKeys.createKey({ name: 'outage-admin', role: 'ADMIN' })).token;
    // The load below runs faster than the default per-key request rate; this test is about outages,
    // so the limit is raised out of the way (rate limits have their own tests).
    api = startTestChild('api-server-child.ts', { DATABASE_URL: url, PORT: '0', MLPLANE_RATE_LIMIT_PER_MINUTE: '1000000', MLPLANE_RATE_LIMIT_BURST: '100000' });
    worker = startTestChild('run-worker-child.ts', {
      DATABASE_URL: url,
      WORKER_ID: 'outage-worker',
      EPOCHS: String(EPOCHS),
      EPOCH_MS: '250',
      HEARTBEAT_MS: '500',
      // Longer than the outage: the run stays with its worker.
      STALE_MS: '60000',
      SWEEP_MS: '1000',
    });
    apiUrl = (await api.waitForOutput(/listening (\S+)\n/, 90_000))[1];
    useApiKey(apiUrl, adminKey);
    await worker.waitForOutput(/^ready$/m, 90_000);
  }, 240_000);

  afterAll(async () => {
    stopLoad = true;
    await Promise.allSettled(subscribers.map((client) => client.close()));
    api?.kill();
    worker?.kill();
    await prisma?.$disconnect();
    if (pg?.alive()) await stopPostgres();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ready(): Promise<{ status: number; reason?: string }> {
    try {
      const response = await fetch(apiUrl.replace(/\/graphql$/, '/readyz'));
      return { status: response.status, reason: ((await response.json()) as { reason?: string }).reason };
    } catch {
      return { status: 0 };
    }
  }

  async function enqueue(runId: string): Promise<void> {
    const queue = new JobQueue({ connectionString: url });
    await queue.start();
    await queue.enqueueRun(RUN_QUEUES.TRAINING, runId);
    await queue.stop({ graceful: false });
  }

  /** Reads a runProgress subscription to its end: the epochs in order of arrival and the statuses. */
  async function readProgress(subscription: WsSubscription): Promise<{ epochs: number[]; statuses: string[]; errors: unknown[] }> {
    const epochs: number[] = [];
    const statuses: string[] = [];
    const errors: unknown[] = [];
    for (;;) {
      const result = await subscription.next(120_000);
      if (!result) return { epochs, statuses, errors };
      if (result.errors) errors.push(...result.errors);
      const event = result.data?.runProgress;
      if (event?.type === 'EPOCH') epochs.push(event.epoch.epoch);
      if (event?.type === 'STATUS') statuses.push(event.status);
    }
  }

  it('survives terminated connections and a stopped PostgreSQL, fails fast meanwhile, and resumes everything', async () => {
    const parents = await createRunParents(prisma);
    const runId = await createQueuedRun(prisma, parents);
    const progress: Array<ReturnType<typeof readProgress>> = [];
    for (let i = 0; i < 3; i++) {
      const client = await connectWsClient(apiUrl);
      subscribers.push(client);
      progress.push(readProgress(client.subscribe(PROGRESS, { runId })));
    }
    await enqueue(runId);

    // Predict load, from four clients, until told to stop.
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instance = Object.fromEntries(
      lines[0]
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
    const outcomes: PredictOutcome[] = [];
    stopLoad = false;
    const predictor = async () => {
      while (!stopLoad) {
        const started = Date.now();
        try {
          const response = await fetch(apiUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
            body: JSON.stringify({ query: PREDICT, variables: { input: { deployment: 'outage', instances: [instance] } } }),
            signal: AbortSignal.timeout(FAIL_FAST_MS * 3),
          });
          const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
          outcomes.push({ ok: !body.errors, code: body.errors?.[0]?.extensions?.code, ms: Date.now() - started, at: Date.now() });
        } catch (error) {
          outcomes.push({ ok: false, code: `transport: ${String(error)}`, ms: Date.now() - started, at: Date.now() });
        }
        // Pacing of the load (about 50 requests/s per client), not a wait for something to happen.
        await sleep(20);
      }
    };
    const load = Array.from({ length: 4 }, () => predictor());
    const succeededSince = (since: number) => outcomes.some((o) => o.ok && o.at > since);
    // The test's own connections are terminated too: a count that fails is read as "not yet".
    const epochsStored = async () => prisma.runEpoch.count({ where: { runId } }).catch(() => -1);

    // Phase 1: everything works.
    await waitFor(async () => succeededSince(0) && (await epochsStored()) >= 3, 60_000, 50);

    // Phase 2: every backend connection of the instance is terminated (what an admin or a failover does).
    const epochsAtTermination = await epochsStored();
    const admin = new Client({ connectionString: adminUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    const terminated = await admin.query(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend') t",
    );
    await admin.end();
    expect(terminated.rows[0].n).toBeGreaterThan(3);
    const terminatedAt = Date.now();
    await waitFor(async () => succeededSince(terminatedAt) && (await epochsStored()) > epochsAtTermination + 1 && (await ready()).status === 200, 60_000, 50);

    // Phase 3: PostgreSQL stops for 5 s.
    const stoppedAt = Date.now();
    await stopPostgres();
    await waitFor(async () => outcomes.some((o) => o.code === 'SERVICE_UNAVAILABLE' && o.at > stoppedAt), 30_000, 50);
    let unready: { status: number; reason?: string } = { status: 0 };
    await waitFor(async () => (unready = await ready()).status === 503, 30_000, 50);
    expect(unready.reason).toBe('database unreachable');
    // The fault itself: the database stays down for OUTAGE_MS in all.
    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    await startPostgres();
    const restartedAt = Date.now();

    // Phase 4: everything resumes, with no restart.
    await waitFor(async () => succeededSince(restartedAt) && (await ready()).status === 200, 60_000, 50);
    const results = await Promise.all(progress);
    stopLoad = true;
    await Promise.all(load);

    const expected = Array.from({ length: EPOCHS }, (_, i) => i + 1);
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
    for (const result of results) {
      expect(result.errors).toEqual([]);
      // Compared together, so a stream that ends early shows the status it ended on, and a failed run its error.
      expect({ epochs: result.epochs, statuses: result.statuses, runError: run.error }).toEqual({
        epochs: expected,
        statuses: expect.arrayContaining(['SUCCEEDED']),
        runError: null,
      });
      expect(result.statuses[result.statuses.length - 1]).toBe('SUCCEEDED');
    }
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts).toBe(1);

    // While the database was away, requests failed fast, with SERVICE_UNAVAILABLE only.
    const failures = outcomes.filter((o) => !o.ok);
    expect(failures.length).toBeGreaterThan(0);
    expect([...new Set(failures.map((o) => o.code))]).toEqual(['SERVICE_UNAVAILABLE']);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(FAIL_FAST_MS);

    // The worker takes jobs again.
    const nextRun = await createQueuedRun(prisma, parents);
    await enqueue(nextRun);
    await waitFor(async () => (await prisma.run.findUniqueOrThrow({ where: { id: nextRun } })).status === 'SUCCEEDED', 60_000, 100);

    expect(api.alive()).toBe(true);
    expect(worker.alive()).toBe(true);
    expect(api.fatalLines()).toEqual([]);
    expect(worker.fatalLines()).toEqual([]);
    process.stdout.write(
      `outage: ${outcomes.length} predicts, ${failures.length} SERVICE_UNAVAILABLE, slowest ${Math.max(...outcomes.map((o) => o.ms))} ms; ${terminated.rows[0].n} backends terminated\n`,
    );
  }, 240_000);
});
