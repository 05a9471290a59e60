import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';

/** One prediction as stored. */
export interface PredictionRecord {
  id: string;
  deploymentId: string;
  modelVersionId: string;
  requestKey: string;
  instanceIndex: number;
  inputs: unknown;
  output: unknown;
  /** The inputs and output as drift vectors (`encodePredictionVector`); absent or null: not stored. */
  vector?: Uint8Array | null;
  latencyMs: number;
  createdAt: Date;
}

/** What the log has done so far (for tests and benchmarks). */
export interface PredictionLogStats {
  /** INSERT statements run (successful or not). */
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
 * that arrive while an INSERT is in flight go out together in the next one, so under load the
 * number of statements grows with the database's latency, not with the request rate. With no load
 * an append is written at once (no batching window to wait out). One INSERT per call of
 * `unnest` over column arrays keeps the parameter count at ten whatever the batch size.
 */
export class PredictionLog {
  private queue: Pending[] = [];
  /** The batch being written. */
  private writing: Pending[] = [];
  private flushing = false;
  private readonly maxBatchRows: number;
  private readonly counters: PredictionLogStats = { inserts: 0, rows: 0, appends: 0, largestBatch: 0 };

  constructor(
    private readonly prisma: PrismaClient,
    options: PredictionLogOptions = {},
  ) {
    this.maxBatchRows = options.maxBatchRows ?? 20_000;
  }

  /** Resolves when `rows` are committed; rejects when their INSERT failed (nothing of it was written). */
  append(rows: PredictionRecord[]): Promise<void> {
    this.counters.appends++;
    return new Promise<void>((resolve, reject) => {
      const oldest = rows.reduce((min, row) => Math.min(min, row.createdAt.getTime()), Infinity);
      this.queue.push({ rows, oldest, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * The earliest `createdAt` of the rows appended but not yet committed (or failed), if any: a
   * reader that must see every row stamped up to some instant waits until this is later.
   */
  oldestPending(): Date | undefined {
    let oldest = Infinity;
    for (const pending of this.writing) oldest = Math.min(oldest, pending.oldest);
    for (const pending of this.queue) oldest = Math.min(oldest, pending.oldest);
    return Number.isFinite(oldest) ? new Date(oldest) : undefined;
  }

  stats(): PredictionLogStats {
    return { ...this.counters };
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        this.writing = batch;
        if (!(await this.write(batch)) && batch.length > 1) {
          // One request's rows must not fail the others': write each on its own.
          for (const pending of batch) {
            await this.write([pending]);
            this.writing = this.writing.filter((other) => other !== pending);
          }
        }
        this.writing = [];
      }
    } finally {
      this.writing = [];
      this.flushing = false;
    }
  }

  /** Writes the appends in one INSERT and settles them: resolved when it committed; rejected only when alone. */
  private async write(batch: Pending[]): Promise<boolean> {
    const rows = batch.flatMap((pending) => pending.rows);
    this.counters.inserts++;
    try {
      await this.insert(rows);
    } catch (error) {
      logger.error({ err: error, rows: rows.length, requests: batch.length }, 'prediction log INSERT failed');
      if (batch.length === 1) batch[0].reject(error);
      return false;
    }
    this.counters.rows += rows.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, rows.length);
    for (const pending of batch) pending.resolve();
    return true;
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

  private async insert(rows: PredictionRecord[]): Promise<void> {
    const ids = rows.map((row) => row.id);
    const deploymentIds = rows.map((row) => row.deploymentId);
    const versionIds = rows.map((row) => row.modelVersionId);
    const requestKeys = rows.map((row) => row.requestKey);
    const indexes = rows.map((row) => row.instanceIndex);
    const inputs = rows.map((row) => JSON.stringify(row.inputs));
    const outputs = rows.map((row) => JSON.stringify(row.output));
    const vectors = rows.map((row) => row.vector ?? null);
    const latencies = rows.map((row) => row.latencyMs);
    const createdAt = rows.map((row) => row.createdAt);
    await this.prisma.$executeRaw`
      INSERT INTO predictions (id, deployment_id, model_version_id, request_key, instance_index, inputs, output, vector, latency_ms, created_at)
      SELECT * FROM unnest(${ids}::uuid[], ${deploymentIds}::uuid[], ${versionIds}::uuid[], ${requestKeys}::text[], ${indexes}::int[],
                           ${inputs}::jsonb[], ${outputs}::jsonb[], ${vectors}::bytea[], ${latencies}::float8[], ${createdAt}::timestamptz[])`;
  }
}
