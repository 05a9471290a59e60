import { Client } from 'pg';
import { PgPubSub } from '../../../src/infra/events/pg-pubsub';
import { JobQueue } from '../../../src/infra/queue/job-queue';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { sleep, waitFor } from '../../support/wait-for';

const QUEUE = 'training.run';

describe('JobQueue (pg-boss 10)', () => {
  let db: TestDatabase;
  let events: PgPubSub;
  let producer: JobQueue;
  let consumer: JobQueue;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    events = new PgPubSub({ connectionString: db.url });
    await events.start();
    producer = new JobQueue({ connectionString: db.url });
    await producer.start();
    // A poll interval far above the assertions below: a job found within them was found by a wake-up.
    consumer = new JobQueue({ connectionString: db.url, events, pollIntervalMs: 60_000 });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer.stop();
    await producer.stop();
    await events.close();
    await db.drop();
  });

  async function jobStates(key: string): Promise<string[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT state FROM pgboss.job WHERE singleton_key = $1 ORDER BY created_on', [key]);
      return rows.map((row) => row.state as string);
    } finally {
      await client.end();
    }
  }

  it('refuses a second waiting job for the same key', async () => {
    const first = await producer.enqueueRun(QUEUE, 'run-dup');
    const second = await producer.enqueueRun(QUEUE, 'run-dup');
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
    expect(await jobStates('run-dup')).toEqual(['created']);
    expect(await producer.keysWithoutPendingJob(QUEUE, ['run-dup', 'run-none'])).toEqual(['run-none']);
  });

  it('wakes an idle worker on enqueue, runs each job once, and bounds concurrency', async () => {
    const started: Array<{ runId: string; at: number }> = [];
    let running = 0;
    let maxRunning = 0;
    const releases: Array<() => void> = [];
    const done = new Set<string>();
    await consumer.work<{ runId: string }>(
      QUEUE,
      async ({ runId }) => {
        started.push({ runId, at: Date.now() });
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        done.add(runId);
      },
      { concurrency: 2 },
    );
    // The worker's first fetch takes the job left by the previous test.
    await waitFor(() => started.length === 1);
    expect(started[0].runId).toBe('run-dup');

    const enqueuedAt = Date.now();
    await producer.enqueueRun(QUEUE, 'run-a');
    await waitFor(() => started.length === 2);
    const latency = started[1].at - enqueuedAt;
    // With a 60 s poll, only the jobAvailable wake-up can start it this soon.
    expect(latency).toBeLessThan(1000);

    await producer.enqueueRun(QUEUE, 'run-b');
    // What is tested is that nothing happens (no third job while two run): a window of time is the
    // only way to give a wrong start the chance to show.
    await sleep(300);
    expect(started.map((s) => s.runId)).toEqual(['run-dup', 'run-a']);
    expect(maxRunning).toBe(2);

    releases.shift()!();
    await waitFor(() => started.length === 3);
    expect(started[2].runId).toBe('run-b');
    releases.splice(0).forEach((release) => release());
    await waitFor(() => done.size === 3);
    await waitFor(async () => (await jobStates('run-b'))[0] === 'completed');
    expect(await jobStates('run-a')).toEqual(['completed']);
    expect(await jobStates('run-dup')).toEqual(['completed']);
    expect(maxRunning).toBe(2);
  });

  it('marks a job failed when its handler throws, without retrying it', async () => {
    const calls: string[] = [];
    await consumer.work<{ runId: string }>('evaluation.run', async ({ runId }) => {
      calls.push(runId);
      throw new Error('boom');
    });
    await producer.enqueueRun('evaluation.run', 'run-fail');
    // pg-boss marks a job failed (not retry) only once no retry is left: the handler ran once.
    await waitFor(async () => (await jobStates('run-fail'))[0] === 'failed');
    expect(calls).toEqual(['run-fail']);
    expect(await jobStates('run-fail')).toEqual(['failed']);
  });
});
