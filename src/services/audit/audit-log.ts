import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Prisma } from '../../generated/prisma/client';
import type { AuditEvent, AuditOutcome } from '../../domain/audit/audit-event';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { storableRecordOf } from '../../domain/common/storable-text';
import { ValidationError } from '../../domain/errors';
import { runPgTransaction, type PgTransactionRunner } from '../../infra/db/pg-transaction';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { AuditEventRepository, insertSucceededEvent, insertSucceededEventPg, type AuditEventFilter, type NewAuditEvent } from './audit-event-repository';

export type { AuditEvent, AuditOutcome } from '../../domain/audit/audit-event';

/** One audited mutation attempt, before it is stored: the row the repository writes. */
export type AuditEntry = NewAuditEvent;

export type AuditFilter = AuditEventFilter;

/** Longest target id kept in a row (ids and names are shorter; a client's garbage is cut). */
export const MAX_AUDITED_TARGET_LENGTH = 200;

/**
 * The entry as it can be stored: target ids come from the client's arguments, so a refused
 * mutation's may hold what PostgreSQL cannot store (a NUL, a lone surrogate: escaped) or be huge (cut).
 */
function storable<T extends { targetIds: string[] }>(entry: T): T {
  return { ...entry, targetIds: entry.targetIds.map((id) => storableRecordOf(id, MAX_AUDITED_TARGET_LENGTH)) };
}

/** How long a queued audit row waits for its batch, at most. */
export const AUDIT_BATCH_MS = 200;
/** Queued rows that trigger a batch insert at once. */
export const AUDIT_BATCH_ROWS = 500;
/** Queued rows kept while inserts fail. */
export const AUDIT_BUFFER_LIMIT = 50_000;
const AUDIT_RETRY_MS = 1_000;

/** A queued row and when it was queued (its `createdAt`, not the time of its batch). */
type BufferedEntry = AuditEntry & { at: number };

/** A mutation in progress: written once, in its transaction when it has one, else after it. */
interface PendingAudit {
  entry: Omit<AuditEntry, 'outcome' | 'errorCode'>;
  /** The id of the row written inside a transaction, once written. */
  writtenId?: string;
  /** Set when the mutation has returned: background work it started (which inherits the scope) writes no row. */
  closed?: boolean;
}

type TransactionClient = Prisma.TransactionClient;

/**
 * The audit trail of mutations.
 *
 * A mutation runs inside {@link AuditLog.audit}. When the service it calls commits a transaction
 * through the Prisma client that {@link AuditLog.auditingClient} returns, the SUCCEEDED row is
 * written inside that transaction, so the change and its audit row commit or roll back together
 * (an error after that commit is noted on the row as its `errorCode`).
 * A mutation without a transaction (a single insert, a queue job) gets its row right after it
 * succeeds; a failed or refused one gets a FAILED or DENIED row with the error code.
 */
export class AuditLog {
  /**
   * The scope of the audited mutation a piece of code runs in. Enabled, it costs every promise of
   * the process a hook (on Node 20 a promise-heavy loop ran 2.4x slower, `predict` included), so it
   * is disabled whenever no audited mutation is running; background work a mutation started then
   * sees no scope, as it would see a closed one.
   */
  private readonly pending = new AsyncLocalStorage<PendingAudit>();
  /** Audited mutations running now (inside `pending.run`). */
  private running = 0;
  /** Rows of high-volume operations (accepted predicts) waiting for their batch insert. */
  private buffered: BufferedEntry[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private readonly events: AuditEventRepository;

  constructor(prisma: PrismaClient) {
    this.events = new AuditEventRepository(prisma);
  }

  /**
   * A Prisma client whose interactive transactions, when run inside {@link audit}, also write the
   * audit row (the first such transaction of the mutation). Services get this client.
   */
  auditingClient(client: PrismaClient): PrismaClient {
    const pending = this.pending;
    const transaction = client.$transaction.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const auditedTransaction = (first: unknown, ...rest: unknown[]): Promise<unknown> => {
      const scope = pending.getStore();
      if (typeof first !== 'function' || !scope || scope.writtenId || scope.closed) return transaction(first, ...rest);
      const body = first as (tx: TransactionClient) => Promise<unknown>;
      let rowId: string | undefined;
      return transaction(
        async (tx: TransactionClient) => {
          const result = await body(tx);
          rowId = await insertSucceededEvent(tx, scope.entry);
          return result;
        },
        ...rest,
      ).then((result) => {
        scope.writtenId = rowId;
        return result;
      });
    };
    return new Proxy(client, {
      get: (target, property): unknown => (property === '$transaction' ? auditedTransaction : Reflect.get(target, property, target)),
    });
  }

  /**
   * Transactions through node-postgres on `pool` (writes that go around Prisma, see
   * `pg-transaction.ts`) that, like those of {@link auditingClient}, write the audit row of the
   * mutation they run in before they commit.
   */
  pgTransactions(pool: Pool): PgTransactionRunner {
    const pending = this.pending;
    return (body) => {
      const scope = pending.getStore();
      if (!scope || scope.writtenId || scope.closed) return runPgTransaction(pool, body);
      const rowId = randomUUID();
      const writeRow = (client: Parameters<typeof body>[0]) => insertSucceededEventPg(client, rowId, scope.entry);
      return runPgTransaction(pool, body, writeRow).then((result) => {
        scope.writtenId = rowId;
        return result;
      });
    };
  }

  /**
   * Runs `mutation` and records its outcome. `resultIds` names what the mutation created or changed
   * (added to the row's target ids). Errors of the mutation propagate unchanged; an error writing the
   * row after the fact propagates too (a mutation that cannot be audited is reported as failed).
   */
  async audit<T>(
    given: PendingAudit['entry'],
    mutation: () => Promise<T>,
    outcomeOf: { resultIds(result: T): string[]; failure(error: unknown): { outcome: AuditOutcome; errorCode: string } },
  ): Promise<T> {
    const entry = storable(given);
    const scope: PendingAudit = { entry };
    let result: T;
    try {
      result = await this.runInScope(scope, mutation);
    } catch (error) {
      scope.closed = true;
      const { outcome, errorCode } = outcomeOf.failure(error);
      if (scope.writtenId) {
        // The change committed with its SUCCEEDED row; what failed afterwards is noted on that row.
        await this.events.setErrorCode(scope.writtenId, errorCode);
      } else {
        await this.record({ ...entry, outcome, errorCode });
      }
      throw error;
    }
    scope.closed = true;
    const targetIds = [...new Set([...entry.targetIds, ...outcomeOf.resultIds(result)])];
    if (scope.writtenId) {
      if (targetIds.length > entry.targetIds.length) await this.events.setTargetIds(scope.writtenId, targetIds);
    } else {
      await this.record({ ...entry, targetIds, outcome: 'SUCCEEDED' });
    }
    return result;
  }

  /** Runs `mutation` in `scope`; the last audited mutation out disables the scope storage (the next `run` enables it again). */
  private async runInScope<T>(scope: PendingAudit, mutation: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await this.pending.run(scope, mutation);
    } finally {
      this.running--;
      if (this.running === 0) this.pending.disable();
    }
  }

  /** Writes one row (refusals, and outcomes outside a transaction). */
  async record(given: AuditEntry): Promise<void> {
    await this.events.insert(storable(given));
  }

  /**
   * Queues one row of a high-volume operation (an accepted `predict`): rows are inserted together
   * every {@link AUDIT_BATCH_MS} ms or {@link AUDIT_BATCH_ROWS} rows, off the request's path. At most
   * {@link AUDIT_BUFFER_LIMIT} rows wait while the database is away; past that the oldest are
   * dropped and the count is logged at error level.
   */
  recordSoon(entry: AuditEntry): void {
    this.buffered.push({ ...storable(entry), at: Date.now() });
    if (this.buffered.length > AUDIT_BUFFER_LIMIT) {
      const dropped = this.buffered.splice(0, this.buffered.length - AUDIT_BUFFER_LIMIT);
      logger.error({ dropped: dropped.length, operation: entry.operation }, 'audit buffer full (database away?): oldest rows dropped');
    }
    if (this.buffered.length >= AUDIT_BATCH_ROWS) void this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), AUDIT_BATCH_MS).unref();
  }

  /** Inserts the queued rows now (also at shutdown); a failed insert keeps them for the next try. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      const batch = this.buffered.splice(0, this.buffered.length);
      if (batch.length === 0) return;
      try {
        await this.events.insertBatch(batch);
      } catch (error) {
        logger.warn({ err: error, rows: batch.length }, 'audit batch insert failed; retrying');
        this.buffered.unshift(...batch);
        this.flushTimer ??= setTimeout(() => void this.flush(), AUDIT_RETRY_MS).unref();
      }
    });
    return this.flushing;
  }

  async findEvent(id: string): Promise<AuditEvent | null> {
    return this.events.findEvent(id);
  }

  /** Rows matching the filter, newest first. @throws ValidationError for a bad page size, cursor or time range. */
  async list(filter: AuditFilter, request: PageRequest): Promise<Page<AuditEvent>> {
    if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
      throw new ValidationError('filter.from must not be after filter.to', { field: 'filter.from' });
    }
    return this.events.pageEvents(filter, request);
  }
}
