/**
 * The persistence of the audit trail: the only code that reads or writes the `audit_events` table
 * (the audit log's rows, in a mutation's transaction, through node-postgres or alone; its batch
 * insert; the list and the lookup by id). It returns `AuditEvent` of
 * `src/domain/audit/audit-event.ts`, mapping rows in one place ({@link toAuditEvent}); no Prisma
 * row leaves it. When a row is written and what it says are the audit log's rules: a function
 * here is one read or one write.
 */
import type { PoolClient } from 'pg';
import type { AuditEvent as AuditEventRow, Prisma } from '../../generated/prisma/client';
import { auditedRoleOf, type AuditEvent, type AuditOutcome } from '../../domain/audit/audit-event';
import type { Role } from '../../domain/auth/principal';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import { uuidV7 } from '../../domain/common/uuid-v7';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, newestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A row to write: its id and time are the database's unless given. */
export interface NewAuditEvent {
  principal: string;
  role: Role | null;
  operation: string;
  targetIds: string[];
  outcome: AuditOutcome;
  errorCode?: string | null;
  requestId: string;
  clientAddress?: string | null;
}

/** A row of a batch, with when it happened (ms since the epoch). */
export type BatchedAuditEvent = NewAuditEvent & { at: number };

export interface AuditEventFilter {
  principal?: string | null;
  operation?: string | null;
  outcome?: AuditOutcome | null;
  /** Inclusive. */
  from?: Date | null;
  /** Inclusive. */
  to?: Date | null;
}

/**
 * The batch insert: one statement of column arrays whatever the batch size, as raw SQL (Prisma's
 * `createMany` compiled a statement of every value, which cost more CPU than the serving it
 * audits). Target ids travel as JSON arrays, one per row. Row ids are UUIDv7 (time-ordered, dated by
 * the row's `at`), so the thousands of rows a second a busy `predict` audits are added at the right
 * edge of the primary-key index rather than at random pages.
 */
const INSERT_BATCH_SQL = `INSERT INTO audit_events (id, principal, role, operation, target_ids, outcome, error_code, request_id, client_address, created_at)
  SELECT id, principal, role, operation, ARRAY(SELECT t FROM jsonb_array_elements_text(targets) WITH ORDINALITY AS e(t, i) ORDER BY i), outcome::"AuditOutcome", error_code, request_id, client_address, to_timestamp(created_ms / 1000.0)
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[], $9::text[], $10::float8[])
    AS r(id, principal, role, operation, targets, outcome, error_code, request_id, client_address, created_ms)`;

export class AuditEventRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Writes one row. */
  async insert(event: NewAuditEvent): Promise<void> {
    await this.prisma.auditEvent.create({ data: { ...event, errorCode: event.errorCode ?? null, clientAddress: event.clientAddress ?? null } });
  }

  /** Writes rows in one statement, each dated by its `at`. */
  async insertBatch(batch: readonly BatchedAuditEvent[]): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      INSERT_BATCH_SQL,
      batch.map((event) => uuidV7(Math.trunc(event.at))),
      batch.map((event) => event.principal),
      batch.map((event) => event.role),
      batch.map((event) => event.operation),
      batch.map((event) => JSON.stringify(event.targetIds)),
      batch.map((event) => event.outcome),
      batch.map((event) => event.errorCode ?? null),
      batch.map((event) => event.requestId),
      batch.map((event) => event.clientAddress ?? null),
      batch.map((event) => event.at),
    );
  }

  /** Notes on a written row what failed after its mutation committed. */
  async setErrorCode(id: string, errorCode: string): Promise<void> {
    await this.prisma.auditEvent.update({ where: { id }, data: { errorCode } });
  }

  /** Replaces a written row's target ids (with those of what the mutation returned). */
  async setTargetIds(id: string, targetIds: string[]): Promise<void> {
    await this.prisma.auditEvent.update({ where: { id }, data: { targetIds } });
  }

  async findEvent(id: string): Promise<AuditEvent | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.auditEvent.findUnique({ where: { id } });
    return row && toAuditEvent(row);
  }

  /** Rows matching `filter`, newest first. */
  async pageEvents(filter: AuditEventFilter, request: PageRequest): Promise<Page<AuditEvent>> {
    const where: Prisma.AuditEventWhereInput = {
      ...(filter.principal ? { principal: filter.principal } : {}),
      ...(filter.operation ? { operation: filter.operation } : {}),
      ...(filter.outcome ? { outcome: filter.outcome } : {}),
      ...(filter.from || filter.to ? { createdAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) } } : {}),
    };
    return keysetPage(
      {
        order: newestFirst<AuditEvent>(),
        rows: async (seek, orderBy, take) =>
          (await this.prisma.auditEvent.findMany({ where: { AND: [where, ...(seek ? [seek] : [])] }, orderBy, take })).map(toAuditEvent),
        count: () => this.prisma.auditEvent.count({ where }),
      },
      request,
    );
  }
}

/** Writes a SUCCEEDED row in the mutation's transaction `tx`. @returns its id. */
export async function insertSucceededEvent(tx: Db, event: Omit<NewAuditEvent, 'outcome' | 'errorCode'>): Promise<string> {
  return (await tx.auditEvent.create({ data: { ...event, outcome: 'SUCCEEDED' }, select: { id: true } })).id;
}

/** Writes a SUCCEEDED row with id `id` through a node-postgres transaction's `client`. */
export async function insertSucceededEventPg(client: PoolClient, id: string, event: Omit<NewAuditEvent, 'outcome' | 'errorCode'>): Promise<void> {
  const { principal, role, operation, targetIds, requestId, clientAddress } = event;
  await client.query(
    `INSERT INTO audit_events (id, principal, role, operation, target_ids, outcome, request_id, client_address) VALUES ($1, $2, $3, $4, $5, 'SUCCEEDED', $6, $7)`,
    [id, principal, role, operation, targetIds, requestId, clientAddress ?? null],
  );
}

export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    principal: row.principal,
    role: auditedRoleOf(row.role),
    operation: row.operation,
    targetIds: row.targetIds,
    outcome: row.outcome,
    errorCode: row.errorCode,
    requestId: row.requestId,
    clientAddress: row.clientAddress,
    createdAt: row.createdAt,
  };
}
