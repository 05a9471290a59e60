import { createClient, type Client } from 'graphql-ws/client';
import { Resolver, Subscription } from 'type-graphql';
import WebSocket from 'ws';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../src/infra/queue/job-queue';
import { startTestChild, type TestChild } from '../support/child-process';
import { createQueuedRun, createRunParents } from '../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';

const SUBSCRIBERS = 1_000;
const EPOCHS = 15;
/** The server's stall limit here (MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS); 10 s by default. */
const STALL_SECONDS = 2;
const PROGRESS = 'subscription($runId: ID!) { runProgress(runId: $runId) { type status epoch { epoch } } }';

/** A subscription that yields 256 KiB messages as fast as the server takes them. */
const FLOOD_MESSAGE_BYTES = 256 * 1024;
const flood = { pulled: 0, ended: false };
@Resolver()
class FloodProbe {
  @Subscription(() => String, {
    subscribe: () =>
      (async function* () {
        try {
          for (;;) {
            // Like a real event source, it waits for its next event (here: the next turn of the loop).
            await new Promise((resolve) => setImmediate(resolve));
            flood.pulled += 1;
            yield 'x'.repeat(FLOOD_MESSAGE_BYTES);
          }
        } finally {
          flood.ended = true;
        }
      })(),
  })
  flood(): string {
    return 'x'.repeat(FLOOD_MESSAGE_BYTES);
  }
}

describe('graphql-ws under many and slow subscribers', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  /** Default settings (10 s stall limit): the fan-out. */
  let server: TestServer;
  /** A short stall limit and the flood probe: the slow subscriber. */
  let strict: TestServer;
  let worker: TestChild | undefined;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    // The worker starts (compiling its TypeScript) while the server does.
    worker = startTestChild('run-worker-child.ts', { DATABASE_URL: db.url, WORKER_ID: 'fanout', EPOCHS: String(EPOCHS), EPOCH_MS: '200', STALE_MS: '60000' });
    // 1,000 sockets of one key: the per-client socket cap (a limit of one client, tested elsewhere) is lifted.
    server = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_MAX_SOCKETS_PER_CLIENT: '0' } });
    strict = await startTestServer({ databaseUrl: db.url, extraResolvers: [FloodProbe], env: { MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS: String(STALL_SECONDS) } });
    await worker.waitForOutput(/^ready$/m, 90_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => Promise.resolve(client.dispose())));
    worker?.kill();
    await server.close();
    await strict.close();
    await prisma.$disconnect();
    await db.drop();
  });

  it(`${SUBSCRIBERS} subscribers on one run each receive every epoch, in order, and the end`, async () => {
    const parents = await createRunParents(prisma);
    const runId = await createQueuedRun(prisma, parents);
    const startedAt = Date.now();
    const received = Array.from({ length: SUBSCRIBERS }, () => ({ epochs: [] as number[], statuses: [] as string[], errors: [] as unknown[], done: false }));
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({
        url: server.wsUrl,
        connectionParams: { authorization: `Bearer ${server.adminKey}` },
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      const mine = received[i];
      client.subscribe<{ runProgress: { type: string; status: string; epoch: { epoch: number } | null } }>(
        { query: PROGRESS, variables: { runId } },
        {
          next: (result) => {
            const event = result.data?.runProgress;
            if (result.errors) mine.errors.push(...result.errors);
            if (event?.type === 'EPOCH') mine.epochs.push(event.epoch!.epoch);
            if (event?.type === 'STATUS') mine.statuses.push(event.status);
          },
          error: (error) => {
            mine.errors.push(error);
            mine.done = true;
          },
          complete: () => (mine.done = true),
        },
      );
    }
    // Every subscriber listens before the run starts (its stream has sent the QUEUED status): all epochs arrive live.
    await waitFor(
      () => {
        const failed = received.find((r) => r.errors.length > 0 || r.done);
        if (failed) throw new Error(`a subscription ended before the run started: ${JSON.stringify(failed.errors)}`);
        return received.every((r) => r.statuses.length > 0);
      },
      150_000,
      50,
    );
    expect(server.pubSub.subscriberCount('runEpoch', runId)).toBe(SUBSCRIBERS);
    const subscribedAt = Date.now();

    const queue = new JobQueue({ connectionString: db.url });
    await queue.start();
    await queue.enqueueRun(RUN_QUEUES.TRAINING, runId);
    await queue.stop({ graceful: false });

    await waitFor(() => received.every((r) => r.done), 150_000, 50);
    const expected = Array.from({ length: EPOCHS }, (_, i) => i + 1);
    const wrong = received.filter(
      (r) => r.errors.length > 0 || JSON.stringify(r.epochs) !== JSON.stringify(expected) || r.statuses[r.statuses.length - 1] !== 'SUCCEEDED',
    );
    expect(wrong.slice(0, 3)).toEqual([]);
    process.stdout.write(
      `${SUBSCRIBERS} subscribers: all listening after ${subscribedAt - startedAt} ms; run of ${EPOCHS} epochs delivered to all ${Date.now() - subscribedAt} ms later\n`,
    );
    expect(worker!.fatalLines()).toEqual([]);
  }, 330_000);

  it('closes the socket of a subscriber that stops reading, so what the server holds for it stays bounded', async () => {
    const socket = new WebSocket(strict.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${strict.adminKey}` } }));
        resolve();
      });
    });
    let messages = 0;
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as { type: string };
      if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { flood }' } }));
      if (message.type === 'next' && ++messages === 1) socket.pause();
    });

    // The client reads one message and stops; the server cuts it once its send has stalled for STALL_SECONDS.
    await waitFor(() => flood.ended, 30_000, 20);
    socket.resume();
    await closed;
    // What the server produced for it: what the kernel's socket buffers took, plus one message.
    const bufferedMiB = (flood.pulled * FLOOD_MESSAGE_BYTES) / 1024 / 1024;
    process.stdout.write(`slow subscriber: ${flood.pulled} messages of 256 KiB produced (${bufferedMiB.toFixed(1)} MiB) before its socket was closed\n`);
    expect(flood.pulled).toBeLessThan(200);
  }, 60_000);
});
