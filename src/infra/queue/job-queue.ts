/**
 * The durable job queue: pg-boss 10 for storage (jobs in PostgreSQL, taken with SKIP LOCKED), with
 * our own fetch loop on top.
 *
 * Why not pg-boss's `work()`: it polls (every 2 s by default, 0.5 s at the least) and rejects a
 * handler that outlives the job's expiration (24 h at most) while the handler keeps running, which
 * would let a worker take more jobs than its concurrency. Here a worker fetches as many jobs as it
 * has free slots, holds a slot for as long as its handler runs, and wakes at once when a job is
 * enqueued anywhere: `enqueue` publishes a `jobAvailable` event on the event channel (one NOTIFY)
 * and workers subscribed to the event bus fetch immediately. Polling stays as the fallback.
 *
 * Retries are off: a job is attempted once. Crash recovery belongs to the run reaper, which knows
 * whether a run made progress and re-enqueues it under its own policy.
 */
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { CONNECTION_TIMEOUT_MS } from '../db/connection-errors';
import { publishEvent } from '../events/pg-pubsub';
import { logger as rootLogger, type Logger } from '../logger';

/** The queue of each run kind. */
export const RUN_QUEUES = {
  TRAINING: 'training.run',
  OPTIMIZATION: 'optimization.run',
  TRIAL: 'trial.run',
  EVALUATION: 'evaluation.run',
} as const;
export type RunQueueName = (typeof RUN_QUEUES)[keyof typeof RUN_QUEUES];

/** The payload of every run job. */
export interface RunJobData {
  runId: string;
}

/** Event topic announcing that a queue has a new job: `{ queue }`. */
export const JOB_AVAILABLE_TOPIC = 'jobAvailable';

/** Anything that yields the events of a topic (the `PgPubSub` of `src/infra/events/pg-pubsub.ts`). */
export interface EventSubscriber {
  subscribe(topic: string, id?: string): AsyncIterable<unknown>;
}

/**
 * Calls `onEvent` with each payload of `topic` until the returned function is called (or the
 * source ends); `onEnd` hears a source that fails.
 */
export function followEvents(
  events: EventSubscriber,
  topic: string,
  onEvent: (payload: unknown) => void,
  onEnd: (error: unknown) => void,
): () => Promise<void> {
  const iterator = events.subscribe(topic)[Symbol.asyncIterator]();
  const pump = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      onEvent(next.value);
    }
  };
  pump().catch(onEnd);
  return async () => {
    await iterator.return?.();
  };
}

/** Advisory lock key under which queues are created ("mlq" + 1). */
const QUEUE_SETUP_LOCK_KEY = 0x6d6c7101;

/** Handles one job; a rejection marks the job failed (it is not retried). */
export type JobHandler<T> = (data: T, job: { id: string; name: string }) => Promise<unknown>;

export interface JobQueueOptions {
  connectionString: string;
  /** When given, workers wake as soon as a job is enqueued instead of at their next poll. */
  events?: EventSubscriber;
  /** How often an idle worker looks for jobs without being woken. @default 2000 */
  pollIntervalMs?: number;
  /**
   * After this long pg-boss marks an active job failed (its own bookkeeping only: the handler keeps
   * running and the run's heartbeat decides its fate). pg-boss caps it below 24 h. @default 82800 (23 h)
   */
  expireInSeconds?: number;
  /** PostgreSQL schema of pg-boss's tables. @default 'pgboss' */
  schema?: string;
  /** Connections in pg-boss's pool. @default 4 */
  poolSize?: number;
  /** Queues created at start. @default the values of {@link RUN_QUEUES} */
  queues?: readonly string[];
  logger?: Logger;
}

export interface WorkOptions {
  /** Jobs this process runs at once from this queue. @default 1 */
  concurrency?: number;
}

export interface StopOptions {
  /** Wait for running handlers to end (up to `timeoutMs`) before closing. @default true */
  graceful?: boolean;
  /** @default 30000 */
  timeoutMs?: number;
}

/** pg-boss's job states are an enum ordered created < retry < active < completed < cancelled < failed. */
const PENDING_STATE_LIMIT = 'completed';

/** A thin wrapper around pg-boss: idempotent enqueue, immediate wake-up, slot-bounded workers. */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly log: Logger;
  private readonly workers: QueueWorker[] = [];
  private stopWakeups: (() => Promise<void>) | undefined;
  private readonly schema: string;

  constructor(private readonly options: JobQueueOptions) {
    this.schema = options.schema ?? 'pgboss';
    this.log = (options.logger ?? rootLogger).child({ component: 'job-queue' });
    // pg-boss hands these to its node-postgres Pool (its typings omit the pool's own options).
    const bossConfig = {
      connectionString: options.connectionString,
      schema: this.schema,
      max: options.poolSize ?? 4,
      application_name: 'mlplane-jobs',
      // Fail fast while the database is away: the fetch loop logs and polls again.
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      // Cron scheduling is unused; its timekeeper would only add queries.
      schedule: false,
    };
    this.boss = new PgBoss(bossConfig);
    this.boss.on('error', (error) => this.log.warn({ err: error }, 'pg-boss reported an error'));
  }

  /** Installs or migrates pg-boss's schema, starts its maintenance and creates the queues (idempotent). */
  async start(): Promise<void> {
    await this.boss.start();
    // Processes starting together (replicas, tests) would deadlock in pg-boss's createQueue: take turns.
    // A session lock needs one connection, not the pool.
    const lock = new Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
    lock.on('error', (error) => this.log.warn({ err: error }, 'queue setup connection failed'));
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [QUEUE_SETUP_LOCK_KEY]);
    try {
      for (const name of this.options.queues ?? Object.values(RUN_QUEUES)) {
        await this.boss.createQueue(name, {
          name,
          // `short`: at most one job per singleton key waits in `created`, so enqueueing a run that is
          // already waiting is a no-op; once its job is active, a re-queued run may enqueue again.
          policy: 'short',
          retryLimit: 0,
          expireInSeconds: this.options.expireInSeconds ?? 23 * 3600,
        });
      }
    } finally {
      await lock.end();
    }
  }

  /**
   * Adds a job unless one with the same `singletonKey` is already waiting in this queue, then wakes
   * the workers.
   * @returns the job id, or null when a waiting job holds the key.
   */
  async enqueue(name: string, data: object, options: { singletonKey: string }): Promise<string | null> {
    const id = await this.boss.send(name, data, { singletonKey: options.singletonKey });
    if (id !== null) {
      const db = this.boss.getDb();
      await publishEvent({ query: (text, values) => db.executeSql(text, values ?? []) }, { topic: JOB_AVAILABLE_TOPIC, payload: { queue: name } });
    }
    return id;
  }

  /** Enqueues the job of a run, keyed by the run id. */
  async enqueueRun(name: string, runId: string): Promise<string | null> {
    return this.enqueue(name, { runId } satisfies RunJobData, { singletonKey: runId });
  }

  /**
   * The keys among `keys` that have no job waiting or running in queue `name` (what a reconciler
   * re-enqueues).
   */
  async keysWithoutPendingJob(name: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT k.key FROM unnest($2::text[]) AS k(key)
       WHERE NOT EXISTS (
         SELECT 1 FROM ${this.schema}.job j
         WHERE j.name = $1 AND j.singleton_key = k.key AND j.state < '${PENDING_STATE_LIMIT}'
       )`,
      [name, keys],
    );
    return rows.map((row: { key: string }) => row.key);
  }

  /** Starts taking jobs of queue `name`, at most `concurrency` at a time. */
  async work<T>(name: string, handler: JobHandler<T>, options: WorkOptions = {}): Promise<void> {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    const worker = new QueueWorker(this.boss, name, handler as JobHandler<unknown>, concurrency, this.options.pollIntervalMs ?? 2000, this.log);
    this.workers.push(worker);
    this.listenForWakeups();
    worker.start();
  }

  /** Jobs currently being handled by this process, per queue. */
  inFlight(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const worker of this.workers) counts[worker.name] = (counts[worker.name] ?? 0) + worker.inFlight;
    return counts;
  }

  /**
   * Stops taking jobs; with `graceful`, waits up to `timeoutMs` for running handlers, then closes
   * pg-boss. Handlers still running after that lose their database and their runs are left to the reaper.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const graceful = options.graceful ?? true;
    const timeoutMs = options.timeoutMs ?? 30_000;
    await this.stopWakeups?.();
    this.stopWakeups = undefined;
    await Promise.all(this.workers.map((worker) => worker.stop(graceful ? timeoutMs : 0)));
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }

  private listenForWakeups(): void {
    if (!this.options.events || this.stopWakeups) return;
    this.stopWakeups = followEvents(
      this.options.events,
      JOB_AVAILABLE_TOPIC,
      (payload) => {
        const queue = (payload as { queue?: unknown } | null)?.queue;
        for (const worker of this.workers) if (worker.name === queue) worker.wake();
      },
      (error) => this.log.warn({ err: error }, 'job wake-up subscription ended; workers fall back to polling'),
    );
  }
}

/** One fetch loop over a queue, with `concurrency` slots. */
class QueueWorker {
  inFlight = 0;
  private stopping = false;
  private woken = false;
  private wakeSleeper: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly boss: PgBoss,
    readonly name: string,
    private readonly handler: JobHandler<unknown>,
    private readonly concurrency: number,
    private readonly pollIntervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loopDone = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;
    if (this.inFlight === 0 || timeoutMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([idle, timeout]);
    clearTimeout(timer);
    if (this.inFlight > 0) this.log.warn({ queue: this.name, inFlight: this.inFlight }, 'stopped with jobs still running');
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      const free = this.concurrency - this.inFlight;
      if (free > 0) {
        try {
          const jobs = await this.boss.fetch<unknown>(this.name, { batchSize: free });
          for (const job of jobs) this.run(job);
          // A full batch suggests more are waiting: look again before sleeping.
          if (jobs.length > 0 && jobs.length === free && this.inFlight < this.concurrency) continue;
        } catch (error) {
          this.log.warn({ err: error, queue: this.name }, 'fetching jobs failed');
        }
      }
      if (this.mayRest()) await this.sleep();
    }
  }

  /** Neither woken nor stopped while the last fetch ran (both change from outside the loop). */
  private mayRest(): boolean {
    return !this.woken && !this.stopping;
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wakeSleeper = done;
    });
  }

  private run(job: PgBoss.Job<unknown>): void {
    this.inFlight += 1;
    const started = Date.now();
    this.handler(job.data, { id: job.id, name: job.name })
      .then(
        () => this.boss.complete(this.name, job.id),
        (error: unknown) => {
          this.log.warn({ err: error, queue: this.name, jobId: job.id }, 'job handler failed');
          return this.boss.fail(this.name, job.id, { message: error instanceof Error ? error.message : String(error) });
        },
      )
      .catch((error: unknown) => this.log.warn({ err: error, queue: this.name, jobId: job.id }, 'recording the job outcome failed'))
      .finally(() => {
        this.inFlight -= 1;
        this.log.debug({ queue: this.name, jobId: job.id, ms: Date.now() - started }, 'job done');
        if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.wake();
      });
  }
}
