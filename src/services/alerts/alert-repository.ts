/**
 * The persistence of alerts: the only code that reads or writes the `alerts`, `alert_rules` and
 * `alert_deliveries` tables (the deletion service removes a run's or deployment's alerts through
 * {@link deleteRunAlerts} and {@link deleteDeploymentAlerts}, in its own transaction; the metrics
 * gauge counts them with {@link unresolvedAlertCounts}). It returns the domain types of `src/domain/alerts/alert.ts`,
 * mapping rows in one place ({@link toAlert}, {@link toAlertRule}, {@link toAlertDelivery}); no
 * Prisma row leaves it. The rules (deduplication, cooldowns, clean windows, what a webhook carries)
 * are the alert service's: a function here is one read or one write.
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given, so the service
 * makes several writes atomic: a raise (lock, read the open alert, write it, queue its webhook), or
 * the RUN_FAILED alert written in the transaction that fails its run.
 */
import type { Alert as AlertRow, AlertDelivery as AlertDeliveryRow, AlertRule as AlertRuleRow, Prisma } from '../../generated/prisma/client';
import type { Alert, AlertDelivery, AlertKind, AlertRule, AlertRuleValues, AlertSeverity, AlertStatus } from '../../domain/alerts/alert';
import type { AlertDetails } from '../../domain/alerts/alert-details';
import type { AlertWebhookPayload } from '../../domain/alerts/alert-webhook-payload';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import { alertDetailsOf, toJsonColumn, webhookPayloadOf } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, keysetPagesByParent, oldestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

const OPEN_STATUSES: AlertStatus[] = ['OPEN', 'ACKNOWLEDGED'];

/** A new alert; unset times default to now (the database's clock), `occurrences` to 1. */
export interface NewAlert {
  kind: AlertKind;
  severity: AlertSeverity;
  dedupKey: string;
  title: string;
  /** The evidence of `kind` (the service pairs them). */
  details: AlertDetails;
  deploymentId?: string | null;
  runId?: string | null;
  firstSeenAt?: Date;
  lastSeenAt?: Date;
  notifiedAt?: Date | null;
}

/** A repeat of an open alert: one more occurrence, seen at `lastSeenAt`, with the latest evidence. */
export interface AlertRepeat {
  lastSeenAt: Date;
  details: AlertDetails;
  severity?: AlertSeverity;
  title?: string;
  cleanWindows?: number;
  notifiedAt?: Date;
}

/** The fields a state change of an alert sets (acknowledgement, resolution, a clean window). */
export type AlertChanges = Partial<
  Pick<Alert, 'status' | 'cleanWindows' | 'acknowledgedAt' | 'acknowledgedBy' | 'resolvedAt' | 'resolvedBy' | 'resolutionNote'>
>;

export interface AlertListFilter {
  deploymentId?: string | null;
  kind?: AlertKind | null;
  severity?: AlertSeverity | null;
  status?: AlertStatus | null;
}

/** A new webhook delivery, PENDING, due at `nextAttemptAt`; its signature is set once its stored body is known. */
export interface NewAlertDelivery {
  alertId: string;
  ruleId: string | null;
  url: string;
  payload: AlertWebhookPayload;
  nextAttemptAt: Date;
}

/** What one delivery attempt left. */
export type DeliveryAttempt = Pick<AlertDelivery, 'status' | 'attempts' | 'responseStatus' | 'lastDurationMs' | 'lastError' | 'nextAttemptAt'> & {
  deliveredAt?: Date;
};

export class AlertRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  // Alerts.

  /** Serializes, until `tx` ends, every writer of the alerts of `dedupKey` across processes (no unique index on open alerts). */
  async lockDedupKey(tx: Db, dedupKey: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${dedupKey}))`;
  }

  /** The OPEN or ACKNOWLEDGED alert of `dedupKey` (the newest, should there be several), or null. */
  async findOpen(tx: Db, dedupKey: string): Promise<Alert | null> {
    const row = await tx.alert.findFirst({ where: { dedupKey, status: { in: OPEN_STATUSES } }, orderBy: { firstSeenAt: 'desc' } });
    return row && toAlert(row);
  }

  async insert(tx: Db, alert: NewAlert): Promise<Alert> {
    const { details, ...fields } = alert;
    return toAlert(await tx.alert.create({ data: { ...fields, details: toJsonColumn(details) } }));
  }

  /** Counts one more occurrence of an alert (`occurrences + 1` in the statement). */
  async repeat(tx: Db, id: string, repeat: AlertRepeat): Promise<Alert> {
    const { details, ...fields } = repeat;
    return toAlert(await tx.alert.update({ where: { id }, data: { ...fields, occurrences: { increment: 1 }, details: toJsonColumn(details) } }));
  }

  async update(tx: Db, id: string, changes: AlertChanges): Promise<Alert> {
    return toAlert(await tx.alert.update({ where: { id }, data: changes }));
  }

  /** Locks an alert's row (`FOR UPDATE`) until `tx` ends and reads it; null for an unknown id. */
  async lockAlert(tx: Db, id: string): Promise<Alert | null> {
    if (!isUuid(id)) return null;
    const locked = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM alerts WHERE id = ${id}::uuid FOR UPDATE`).at(0);
    if (!locked) return null;
    return toAlert(await tx.alert.findUniqueOrThrow({ where: { id } }));
  }

  async findAlert(id: string): Promise<Alert | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.alert.findUnique({ where: { id } });
    return row && toAlert(row);
  }

  async findAlerts(ids: readonly string[]): Promise<Alert[]> {
    return (await this.prisma.alert.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toAlert);
  }

  /** Alerts, most recently seen first, narrowed by `filter`. */
  async pageAlerts(filter: AlertListFilter, request: PageRequest): Promise<Page<Alert>> {
    const where: Prisma.AlertWhereInput = {
      ...(filter.deploymentId ? { deploymentId: filter.deploymentId } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.severity ? { severity: filter.severity } : {}),
      ...(filter.status ? { status: filter.status } : {}),
    };
    return keysetPage<Alert, 'lastSeenAt' | 'id'>(
      {
        order: {
          keys: [
            { column: 'lastSeenAt', kind: 'date' },
            { column: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
        },
        rows: async (seek, orderBy, take) =>
          (await this.prisma.alert.findMany({ where: { AND: [where, ...(seek ? [seek] : [])] }, orderBy, take })).map(toAlert),
        count: () => this.prisma.alert.count({ where }),
      },
      request,
    );
  }

  // Rules.

  /** The deployment's stored rule of `kind`, or null. */
  async findRule(db: Db, deploymentId: string, kind: AlertKind): Promise<AlertRule | null> {
    const row = await db.alertRule.findUnique({ where: { deploymentId_kind: { deploymentId, kind } } });
    return row && toAlertRule(row);
  }

  /** The deployment's stored rules, by kind. */
  async listRules(deploymentId: string): Promise<AlertRule[]> {
    return (await this.prisma.alertRule.findMany({ where: { deploymentId }, orderBy: { kind: 'asc' } })).map(toAlertRule);
  }

  /** Creates or replaces the deployment's rule of `kind`; `updatedAt` moves. */
  async upsertRule(deploymentId: string, kind: AlertKind, values: AlertRuleValues): Promise<AlertRule> {
    const data = { ...values, updatedAt: new Date() };
    const row = await this.prisma.alertRule.upsert({
      where: { deploymentId_kind: { deploymentId, kind } },
      create: { deploymentId, kind, ...data },
      update: data,
    });
    return toAlertRule(row);
  }

  // Deliveries.

  /** Records a PENDING delivery with an empty signature; returns it as stored (its body in jsonb's key order). */
  async insertDelivery(tx: Db, delivery: NewAlertDelivery): Promise<AlertDelivery> {
    const { payload, ...fields } = delivery;
    return toAlertDelivery(await tx.alertDelivery.create({ data: { ...fields, payload: toJsonColumn(payload), signature: '' } }));
  }

  async setDeliverySignature(tx: Db, id: string, signature: string): Promise<void> {
    await tx.alertDelivery.update({ where: { id }, data: { signature } });
  }

  async findDelivery(id: string): Promise<AlertDelivery | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.alertDelivery.findUnique({ where: { id } });
    return row && toAlertDelivery(row);
  }

  /** The same page of each alert's deliveries (oldest first), by alert id. */
  async pageDeliveries(alertIds: readonly string[], request: PageRequest): Promise<Map<string, Page<AlertDelivery>>> {
    return keysetPagesByParent<AlertDelivery, 'createdAt' | 'id'>(
      this.prisma,
      {
        order: oldestFirst<AlertDelivery>(),
        table: 'alert_deliveries',
        parentColumn: 'alert_id',
        columns: { createdAt: 'created_at', id: 'id' },
        rowsByIds: async (ids) => (await this.prisma.alertDelivery.findMany({ where: { id: { in: ids } } })).map(toAlertDelivery),
      },
      alertIds,
      request,
    );
  }

  /**
   * Claims up to `limit` PENDING deliveries due now (`FOR UPDATE SKIP LOCKED`, so dispatchers never
   * claim the same one) by moving their next attempt `leaseMs` ahead: a crashed dispatcher's claim expires.
   */
  async claimDueDeliveries(leaseMs: number, limit: number): Promise<AlertDelivery[]> {
    const claimed = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE alert_deliveries SET next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE id IN (SELECT id FROM alert_deliveries WHERE status = 'PENDING' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (claimed.length === 0) return [];
    return (await this.prisma.alertDelivery.findMany({ where: { id: { in: claimed.map((row) => row.id) } } })).map(toAlertDelivery);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    await this.prisma.alertDelivery.update({ where: { id }, data: attempt });
  }
}

/** How many alerts are not resolved, by kind, severity and status (for the metrics gauge). */
export async function unresolvedAlertCounts(db: Db): Promise<{ kind: AlertKind; severity: AlertSeverity; status: AlertStatus; count: number }[]> {
  const rows = await db.alert.groupBy({ by: ['kind', 'severity', 'status'], where: { status: { not: 'RESOLVED' } }, _count: { _all: true } });
  return rows.map((row) => ({ kind: row.kind, severity: row.severity, status: row.status, count: row._count._all }));
}

/** Deletes the alerts of these runs (their deliveries go with them, by cascade) in `tx`; returns how many. */
export async function deleteRunAlerts(tx: Db, runIds: readonly string[]): Promise<number> {
  return (await tx.alert.deleteMany({ where: { runId: { in: [...runIds] } } })).count;
}

/** Deletes a deployment's alerts (with their deliveries), then its rules, in `tx`; returns how many of each. */
export async function deleteDeploymentAlerts(tx: Db, deploymentId: string): Promise<{ alerts: number; rules: number }> {
  const alerts = await tx.alert.deleteMany({ where: { deploymentId } });
  const rules = await tx.alertRule.deleteMany({ where: { deploymentId } });
  return { alerts: alerts.count, rules: rules.count };
}

/** An `alerts` row as the domain type. */
export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    severity: row.severity,
    status: row.status,
    dedupKey: row.dedupKey,
    title: row.title,
    ...alertDetailsOf(row.kind, row.details),
    runId: row.runId,
    deploymentId: row.deploymentId,
    cleanWindows: row.cleanWindows,
    notifiedAt: row.notifiedAt,
    occurrences: row.occurrences,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    acknowledgedAt: row.acknowledgedAt,
    acknowledgedBy: row.acknowledgedBy,
    resolvedAt: row.resolvedAt,
    resolvedBy: row.resolvedBy,
    resolutionNote: row.resolutionNote,
  };
}

/** An `alert_rules` row as the domain type. */
export function toAlertRule(row: AlertRuleRow): AlertRule {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    kind: row.kind,
    enabled: row.enabled,
    severity: row.severity,
    threshold: row.threshold,
    windowSeconds: row.windowSeconds,
    cooldownSeconds: row.cooldownSeconds,
    autoResolveAfter: row.autoResolveAfter,
    webhookUrl: row.webhookUrl,
    webhookSecret: row.webhookSecret,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** An `alert_deliveries` row as the domain type. */
export function toAlertDelivery(row: AlertDeliveryRow): AlertDelivery {
  return {
    id: row.id,
    alertId: row.alertId,
    ruleId: row.ruleId,
    url: row.url,
    payload: webhookPayloadOf(row.payload),
    body: JSON.stringify(row.payload),
    signature: row.signature,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    lastDurationMs: row.lastDurationMs,
    lastError: row.lastError,
    nextAttemptAt: row.nextAttemptAt,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
  };
}
