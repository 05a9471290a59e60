import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config';
import { publishEvent } from '../../src/infra/events/pg-pubsub';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import type { JobQueue } from '../../src/infra/queue/job-queue';
import { createDomainServices } from '../../src/services/services';
import { startTestChild, type TestChild } from '../support/child-process';
import { createQueuedRun, createRunParents, RecordingPublisher } from '../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { sleep, waitFor } from '../support/wait-for';

/** Subscriptions on the one socket: the per-socket cap (MLPLANE_MAX_SUBSCRIPTIONS_PER_SOCKET). */
const SUBSCRIPTIONS = 20;
/** The server's stall limit here (MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS; 10 s by default). */
const STALL_SECONDS = 3;
/**
 * The stated bound: what the API process's resident memory may grow by while the client is stalled
 * and its subscriptions flooded (what the streams hold for it, bounded, plus the garbage V8 has not
 * collected yet from producing the events).
 */
const MEMORY_BOUND_MB = 128;
/** The longest the flood goes on after the client stops reading (the server must cut it within). */
const FLOOD_SECONDS = 40;
/**
 * Events a second, each to all SUBSCRIPTIONS: 20,000 messages (some 64 MB) a second for the client. More
 * subscriptions or events measure the event bus's overflow handling instead (every event past a subscriber's
 * 1,024 pending ones is dropped, and a busy API then fills the stalled socket slowly).
 */
const EVENTS_PER_SECOND = 1_000;
/** The shortest flood: long enough to be worth several times the memory bound whenever the cut comes. */
const MIN_FLOOD_SECONDS = 12;
/** Events published to warm the server up (while the client still reads) before the stall. */
const WARM_UP_EVENTS = 1_000;
/** One epoch's fields, asked for 15 times (the alias limit) under aliases: a message of about 3 KB, so the socket's buffers fill within seconds. */
const EPOCH_FIELDS = 'epoch elapsedMs samplesPerSecond recordedAt train { loss accuracy } validation { loss accuracy }';
const PROGRESS = `subscription($runId: ID!) {
  runProgress(runId: $runId) { type status ${Array.from({ length: 15 }, (_, i) => `e${i}: epoch { ${EPOCH_FIELDS} }`).join(' ')} }
}`;

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/**
 * Issue 9 point 7: a graphql-ws client that stops reading, against a real API process. It holds
 * 20 runProgress subscriptions on one socket and stops reading while epochs of that run are
 * recorded (1,000 a second: 20,000 messages of about 3 KB a second for it), at most FLOOD_SECONDS. The server must
 * cut its socket (once its sends have stalled for MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS, which takes
 * the kernel's socket buffers filling first), and its resident memory must stay within
 * MEMORY_BOUND_MB of what it was, however much the flood would have queued for the client.
 */
describe('a graphql-ws client that stops reading, against a real API process', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pool: Pool;
  let api: TestChild;
  let wsUrl: string;
  let key: string;
  let runId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    pool = new Pool({ connectionString: db.url, max: 2 });
    runId = await createQueuedRun(prisma, await createRunParents(prisma));
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    key = (await services.apiKeys.createKey({ name: 'slow-reader', role: 'VIEWER' })).token;
    api = startTestChild('api-server-child.ts', { DATABASE_URL: db.url, MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS: String(STALL_SECONDS) });
    wsUrl = (await api.waitForOutput(/listening (\S+)\n/, 90_000))[1].replace(/^http/, 'ws');
  }, 120_000);

  afterAll(async () => {
    api?.kill();
    await pool?.end();
    await prisma?.$disconnect();
    await db?.drop();
  });

  /**
   * Records epochs of the run as a worker does (the row, then its runEpoch event), epochs `from` on,
   * at most EVENTS_PER_SECOND, until `stop()` says so; resolves with how many. The rows are stored 100
   * at a time ahead of their events, so a stream that misses events reads them back as it would in production.
   */
  async function flood(from: number, stop: (published: number) => boolean): Promise<number> {
    let published = 0;
    const started = Date.now();
    while (!stop(published)) {
      const epoch = from + published;
      if (published % 100 === 0) {
        // The pace of a busy deployment's events (a flood of PostgreSQL notifications is not what is tested).
        await sleep(Math.max(0, started + (published / EVENTS_PER_SECOND) * 1000 - Date.now()));
        await pool.query(
          `INSERT INTO run_epochs (run_id, epoch, metrics, elapsed_ms, epoch_ms, samples_per_second)
           SELECT $1::uuid, e, jsonb_build_object('loss', 1.0 / e, 'accuracy', 0.5, 'val_loss', 1.0 / e, 'val_accuracy', 0.5), 12.5, 12.5, 1e6
           FROM generate_series($2::int, $2::int + 99) AS e`,
          [runId, epoch],
        );
      }
      await publishEvent(pool, {
        topic: 'runEpoch',
        id: runId,
        payload: {
          id: runId,
          epoch,
          metrics: { loss: 1 / epoch, accuracy: 0.5, val_loss: 1 / epoch, val_accuracy: 0.5 },
          elapsedMs: 12.5,
          epochMs: 12.5,
          samplesPerSecond: 1e6,
        },
      });
      published++;
    }
    return published;
  }

  /** A graphql-ws client with SUBSCRIPTIONS runProgress subscriptions on the run, counting what each receives. */
  async function subscriber() {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const received = new Map<string, number>();
    /** The latest epoch each subscription has received (an event bus that fell behind drops the oldest events, never the newest). */
    const latestEpoch = new Map<string, number>();
    const client = { socket, closed, received, latestEpoch, messageBytes: 0 };
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: unknown };
      if (message.type === 'connection_ack') {
        for (let id = 1; id <= SUBSCRIPTIONS; id++)
          socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: PROGRESS, variables: { runId } } }));
      }
      if (message.type === 'next') {
        received.set(message.id!, (received.get(message.id!) ?? 0) + 1);
        const epoch = (message.payload as { data?: { runProgress?: { e0?: { epoch?: number } | null } } }).data?.runProgress?.e0?.epoch;
        if (epoch !== undefined) latestEpoch.set(message.id!, Math.max(latestEpoch.get(message.id!) ?? 0, epoch));
        client.messageBytes = Math.max(client.messageBytes, data.length);
      }
      if (message.type === 'error') throw new Error(`subscription ${message.id} failed: ${JSON.stringify(message.payload)}`);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
        resolve();
      });
    });
    // Listening: each subscription has sent the run's status.
    await waitFor(() => received.size === SUBSCRIPTIONS, 60_000, 20);
    return client;
  }

  it(`closes its socket and keeps the server's memory within ${MEMORY_BOUND_MB} MB while epochs flood its ${SUBSCRIPTIONS} subscriptions`, async () => {
    // Warm-up with a client that reads: the server's steady state (its young generation grown, code compiled).
    const reader = await subscriber();
    await flood(1, (published) => published === WARM_UP_EVENTS);
    // Every subscription has its last epoch (on a loaded machine the event bus may have dropped some before it).
    await waitFor(
      () => reader.latestEpoch.size === SUBSCRIPTIONS && [...reader.latestEpoch.values()].every((epoch) => epoch === WARM_UP_EVENTS),
      60_000,
      20,
    ).catch((error: unknown) => {
      throw new Error(
        `the reading client did not get every warm-up epoch: latest per subscription ${JSON.stringify([...reader.latestEpoch.values()])} (${String(error)})`,
      );
    });
    reader.socket.close();
    await reader.closed;

    // A fresh client for the stall: the warm-up's reading grew its socket's receive buffer (Linux tunes it up to
    // net.ipv4.tcp_rmem's maximum, 32 MB here, for a client that reads fast), which would take the flood long to fill.
    const { socket, closed } = await subscriber();
    const messageBytes = reader.messageBytes;
    // The client stops reading; epochs keep coming until the server cuts it.
    socket.pause();
    const pid = api.process.pid!;
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 25);
    // A paused client does not see its socket close: the server's log says when it cut it.
    const cut = () => api.output().includes('graphql-ws client stopped reading; closing its socket');
    const stalledAt = Date.now();
    let cutAfterMs: number | undefined;
    // The flood goes on 2 s past the cut (the server's memory is watched that long after it), at least MIN_FLOOD_SECONDS, at most FLOOD_SECONDS.
    const published = await flood(1 + WARM_UP_EVENTS, () => {
      const elapsed = Date.now() - stalledAt;
      if (cutAfterMs === undefined && cut()) cutAfterMs = elapsed;
      return elapsed > Math.min(FLOOD_SECONDS * 1000, Math.max(MIN_FLOOD_SECONDS * 1000, (cutAfterMs ?? Infinity) + 2_000));
    });
    const floodMs = Date.now() - stalledAt;
    clearInterval(sampler);
    socket.resume();
    if (cutAfterMs === undefined) {
      const serverLines = api
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":40') || line.includes('"level":50'));
      throw new Error(
        `the server never cut the socket: ${published} epochs published in ${(floodMs / 1000).toFixed(1)} s; its warnings:\n${serverLines.slice(-20).join('\n')}`,
      );
    }
    // 1008 when the close frame gets through; the server then terminates the socket, which a client whose buffers are full sees as 1006.
    expect([1006, 1008]).toContain(await closed);

    const grownMb = (peak - before) / 1024 / 1024;
    const wouldQueueMb = (published * SUBSCRIPTIONS * messageBytes) / 1024 / 1024;
    process.stdout.write(
      `slow subscriber: cut ${(cutAfterMs / 1000).toFixed(1)} s after it stopped reading; ${published} epochs published in ${(floodMs / 1000).toFixed(1)} s (${wouldQueueMb.toFixed(0)} MB of messages for its ${SUBSCRIPTIONS} subscriptions); API RSS ${(before / 1024 / 1024).toFixed(0)} MB, at most +${grownMb.toFixed(1)} MB\n`,
    );
    // The flood was worth far more than the bound: the bound is the server's doing, not the flood's size.
    expect(wouldQueueMb).toBeGreaterThan(4 * MEMORY_BOUND_MB);
    expect(grownMb).toBeLessThan(MEMORY_BOUND_MB);
    // The server goes on serving, and nothing went unhandled.
    expect((await fetch(wsUrl.replace(/^ws/, 'http').replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    expect(api.fatalLines()).toEqual([]);
  }, 180_000);
});
