import { Client } from 'pg';
import { createPgPubSub, decodeEvent, encodeEvent, EventTooLargeError, MAX_EVENT_BYTES, publishEvent, type PgPubSub } from '../../src/infra/events/pg-pubsub';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { waitFor } from '../support/wait-for';

/** Pulls values from a subscription one at a time, failing instead of hanging when none comes. */
function reader(iterable: AsyncIterable<unknown>) {
  const iterator = iterable[Symbol.asyncIterator]();
  return {
    next: async (timeoutMs = 5_000): Promise<unknown> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const result = await Promise.race([iterator.next(), timeout]);
        return result.done ? 'DONE' : result.value;
      } finally {
        clearTimeout(timer);
      }
    },
    stop: () => iterator.return?.(),
  };
}

/** Resolves once `pubSub` has `count` local subscribers for the routing key (subscribing is lazy). */
async function subscribed(pubSub: PgPubSub, topic: string, count = 1, id?: string): Promise<void> {
  await waitFor(() => pubSub.subscriberCount(topic, id) >= count, 2_000);
  expect(pubSub.subscriberCount(topic, id)).toBe(count);
}

describe('PgPubSub over LISTEN/NOTIFY', () => {
  let db: TestDatabase;
  let a: PgPubSub;
  let b: PgPubSub;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    a = await createPgPubSub({ connectionString: db.url });
    b = await createPgPubSub({ connectionString: db.url });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('delivers an event published in one instance to subscribers of both, exactly once each', async () => {
    const inA = reader(a.subscribe('TEST_CREATED'));
    const inB = reader(b.subscribe('TEST_CREATED'));
    const firstA = inA.next();
    const firstB = inB.next();
    await subscribed(a, 'TEST_CREATED');
    await subscribed(b, 'TEST_CREATED');

    await a.publish('TEST_CREATED', { n: 1 });
    expect(await firstA).toEqual({ n: 1 });
    expect(await firstB).toEqual({ n: 1 });

    // A duplicate of n=1 would arrive before n=2, since one connection delivers notifications in order.
    await a.publish('TEST_CREATED', { n: 2 });
    expect(await inA.next()).toEqual({ n: 2 });
    expect(await inB.next()).toEqual({ n: 2 });
    await inA.stop();
    await inB.stop();
  });

  it('delivers to subscribers of one id only that id, and to topic-wide subscribers every id', async () => {
    const one = reader(b.subscribe('RUN_UPDATED', 'run-1'));
    const all = reader(b.subscribe('RUN_UPDATED'));
    const oneFirst = one.next();
    const allFirst = all.next();
    await subscribed(b, 'RUN_UPDATED', 1, 'run-1');
    await subscribed(b, 'RUN_UPDATED', 1);

    await a.publish('RUN_UPDATED', 'run-2', { status: 'RUNNING' });
    await a.publish('RUN_UPDATED', 'run-1', { status: 'FAILED' });
    expect(await oneFirst).toEqual({ status: 'FAILED' });
    expect(await allFirst).toEqual({ status: 'RUNNING' });
    expect(await all.next()).toEqual({ status: 'FAILED' });
    await one.stop();
    await all.stop();
  });

  it('receives what a process without LISTEN publishes with publishEvent, and only after commit', async () => {
    const events = reader(a.subscribe('WORKER_EVENT'));
    const first = events.next();
    await subscribed(a, 'WORKER_EVENT');
    const worker = new Client({ connectionString: db.url });
    await worker.connect();
    try {
      await worker.query('BEGIN');
      await publishEvent(worker, { topic: 'WORKER_EVENT', payload: { step: 'rolled back' } });
      await worker.query('ROLLBACK');
      await worker.query('BEGIN');
      await publishEvent(worker, { topic: 'WORKER_EVENT', payload: { step: 'committed' } });
      await worker.query('COMMIT');
    } finally {
      await worker.end();
    }
    expect(await first).toEqual({ step: 'committed' });
    await events.stop();
  });

  it('rejects an event whose encoding reaches 8000 bytes and names the limit', async () => {
    const fits = { topic: 'BIG', payload: 'x'.repeat(MAX_EVENT_BYTES - JSON.stringify({ topic: 'BIG', payload: '' }).length) };
    expect(Buffer.byteLength(encodeEvent(fits))).toBe(MAX_EVENT_BYTES);
    // The fitting event is accepted by PostgreSQL itself, so the limit is not stricter than needed.
    await expect(a.publish('BIG', fits.payload)).resolves.toBeUndefined();

    const tooBig = 'é'.repeat(4000); // 8000 bytes in UTF-8 although 4000 characters
    await expect(a.publish('BIG', tooBig)).rejects.toThrow(EventTooLargeError);
    await expect(a.publish('BIG', tooBig)).rejects.toThrow(/under 8000 bytes/);
  });

  it('rejects a topic that is not a routing key, and ignores malformed notifications', async () => {
    await expect(a.publish('bad:topic', {})).rejects.toThrow(/topic must match/);
    expect(decodeEvent('not json')).toBeUndefined();
    expect(decodeEvent(JSON.stringify({ payload: 1 }))).toBeUndefined();
    expect(decodeEvent(JSON.stringify({ topic: 'T', id: 7, payload: 1 }))).toBeUndefined();
    expect(decodeEvent(JSON.stringify({ topic: 'T', id: '7', payload: 1 }))).toEqual({ topic: 'T', id: '7', payload: 1 });
  });

  it('reconnects its LISTEN connection after the server drops it', async () => {
    const pubSub = await createPgPubSub({ connectionString: db.url, reconnectDelayMs: 20 });
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const events = reader(pubSub.subscribe('AFTER_RECONNECT'));
      const first = events.next(10_000);
      await subscribed(pubSub, 'AFTER_RECONNECT');
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'mlplane-events-listener'`,
      );
      expect(killed.rowCount).toBe(3); // a, b and this instance

      // Publish until the new connection hears it: events sent while it was down are lost by design
      // (a retry every 50 ms, until the event arrives).
      let delivered: unknown;
      void first.then(
        (value) => (delivered = value),
        () => undefined,
      );
      for (let attempt = 0; attempt < 100 && delivered === undefined; attempt += 1) {
        await publishEvent(admin, { topic: 'AFTER_RECONNECT', payload: { attempt } });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(delivered).toEqual({ attempt: expect.any(Number) });
      expect(pubSub.listening).toBe(true);
      await events.stop();
    } finally {
      await admin.end();
      await pubSub.close();
    }
    // a and b were dropped too; they must be back for the other tests' sake and to prove it again.
    const again = reader(b.subscribe('BACK_AGAIN'));
    const next = again.next(10_000);
    await subscribed(b, 'BACK_AGAIN');
    await waitFor(() => a.listening && b.listening, 5_000, 50);
    await a.publish('BACK_AGAIN', { ok: true });
    expect(await next).toEqual({ ok: true });
  });

  it('ends open subscriptions when closed', async () => {
    const pubSub = await createPgPubSub({ connectionString: db.url });
    const events = reader(pubSub.subscribe('NEVER'));
    const pending = events.next();
    await subscribed(pubSub, 'NEVER');
    await pubSub.close();
    expect(await pending).toBe('DONE');
    expect(() => pubSub.subscribe('NEVER')).toThrow(/closed/);
  });
});
