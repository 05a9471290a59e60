import { performance } from 'node:perf_hooks';
import { logger } from '../../infra/logger';
import type { ServingEvents } from '../serving/serving-events';
import { insertPredictions, type LogWriter, type PredictionRecord } from './prediction-repository';

export type { LogWriter, PredictionRecord } from './prediction-repository';

/** What `poolLogWriter` needs of a `pg` Pool: named queries with their row counts. */
export interface LogPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rowCount: number | null }>;
}

/**
 * The log's writer over a `pg` pool: one named statement per batch (parsed once per connection),
 * its arrays bound in binary.
 */
export function poolLogWriter(pool: LogPool): LogWriter {
  return {
    binaryParameters: true,
    query: async (statement, values) => (await pool.query({ name: statement.name, text: statement.text, values })).rowCount ?? 0,
  };
}

/** The log's writer over Prisma (processes without a log pool): the rows as text arrays. */
export function prismaLogWriter(prisma: { $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number> }): LogWriter {
  return { binaryParameters: false, query: (statement, values) => prisma.$executeRawUnsafe(statement.text, ...values) };
}

/** What the log has done so far (for tests and benchmarks). */
export interface PredictionLogStats {
  /** Statements run (successful or not): one INSERT per batch. */
  inserts: number;
  /** Rows written by successful INSERTs. */
  rows: number;
  /** `append` calls (one per predict request). */
  appends: number;
  /** Most rows one INSERT carried. */
  largestBatch: number;
}

export interface PredictionLogOptions {
  /** Most rows per INSERT; a larger backlog is written by consecutive INSERTs. @default 20_000 */
  maxBatchRows?: number;
  /** INSERTs in flight at once (each on its own connection: at most the writer's pool size). @default 2 */
  maxInFlight?: number;
  /** Told of every commit (rows, requests, duration, success). */
  events?: ServingEvents;
}

interface Pending {
  rows: PredictionRecord[];
  /** The earliest `createdAt` of the rows. */
  oldest: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit of predictions: `append` resolves once the rows are committed, and all the appends
 * that arrive while the INSERTs in flight (up to `maxInFlight`, on separate connections) run go
 * out together in the next one, so under load the number of statements grows with the database's
 * latency, not with the request rate. With no load
 * an append is written at once (no batching window to wait out). A batch is one statement whatever
 * its size, called an INSERT here (and in the stats): `prediction-repository.ts`'s
 * {@link insertPredictions}: an INSERT over `unnest` of column arrays (binary over a `pg` pool).
 */
export class PredictionLog {
  private queue: Pending[] = [];
  /** The batches being written. */
  private readonly writing = new Set<Pending[]>();
  private readonly maxBatchRows: number;
  private readonly maxInFlight: number;
  private readonly counters: PredictionLogStats = { inserts: 0, rows: 0, appends: 0, largestBatch: 0 };
  private readonly events: ServingEvents | undefined;

  constructor(
    private readonly write: LogWriter,
    options: PredictionLogOptions = {},
  ) {
    this.maxBatchRows = options.maxBatchRows ?? 20_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.events = options.events;
  }

  /** Rows appended and not yet committed (queued or being written). */
  pendingRows(): number {
    let rows = 0;
    for (const batch of this.writing) for (const pending of batch) rows += pending.rows.length;
    for (const pending of this.queue) rows += pending.rows.length;
    return rows;
  }

  /** Resolves when `rows` are committed; rejects when their INSERT failed (nothing of it was written). */
  append(rows: PredictionRecord[]): Promise<void> {
    this.counters.appends++;
    return new Promise<void>((resolve, reject) => {
      const oldest = rows.reduce((min, row) => Math.min(min, row.createdAt.getTime()), Infinity);
      this.queue.push({ rows, oldest, resolve, reject });
      this.pump();
    });
  }

  /**
   * The earliest `createdAt` of the rows appended but not yet committed (or failed), if any: a
   * reader that must see every row stamped up to some instant waits until this is later.
   */
  oldestPending(): Date | undefined {
    let oldest = Infinity;
    for (const batch of this.writing) for (const pending of batch) oldest = Math.min(oldest, pending.oldest);
    for (const pending of this.queue) oldest = Math.min(oldest, pending.oldest);
    return Number.isFinite(oldest) ? new Date(oldest) : undefined;
  }

  stats(): PredictionLogStats {
    return { ...this.counters };
  }

  /** Starts INSERTs of the queued appends while fewer than `maxInFlight` run. */
  private pump(): void {
    while (this.queue.length > 0 && this.writing.size < this.maxInFlight) {
      const batch = this.takeBatch();
      this.writing.add(batch);
      void this.writeBatch(batch).finally(() => {
        this.writing.delete(batch);
        this.pump();
      });
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    if (!(await this.commit(batch)) && batch.length > 1) {
      // One request's rows must not fail the others': write each on its own.
      for (const pending of [...batch]) await this.commit([pending]);
    }
  }

  /** Writes the appends in one INSERT and settles them: resolved when it committed; rejected only when alone. */
  private async commit(appends: readonly Pending[]): Promise<boolean> {
    const batch = [...appends];
    const rows = batch.flatMap((pending) => pending.rows);
    this.counters.inserts++;
    const started = performance.now();
    try {
      await insertPredictions(this.write, rows);
    } catch (error) {
      logger.error({ err: error, rows: rows.length, requests: batch.length }, 'prediction log INSERT failed');
      this.events?.emit('logCommitted', { rows: rows.length, requests: batch.length, commitMs: performance.now() - started, ok: false });
      if (batch.length === 1) {
        this.settled(batch);
        batch[0].reject(error);
      }
      return false;
    }
    this.events?.emit('logCommitted', { rows: rows.length, requests: batch.length, commitMs: performance.now() - started, ok: true });
    this.counters.rows += rows.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, rows.length);
    this.settled(batch);
    for (const pending of batch) pending.resolve();
    return true;
  }

  /** No longer pending: forgotten before the callers hear of it, so they never see their own rows as pending. */
  private settled(appends: readonly Pending[]): void {
    for (const batch of this.writing) {
      for (const pending of appends) {
        const at = batch.indexOf(pending);
        if (at >= 0) batch.splice(at, 1);
      }
    }
  }

  /** Whole appends, oldest first, up to `maxBatchRows` rows (at least one append). */
  private takeBatch(): Pending[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length && (taken === 0 || count + this.queue[taken].rows.length <= this.maxBatchRows)) {
      count += this.queue[taken].rows.length;
      taken++;
    }
    return this.queue.splice(0, taken);
  }
}
