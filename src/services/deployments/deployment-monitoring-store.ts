/**
 * The one writer of `deployments.monitoring`: a JSON object of independent keys, `drift` (drift
 * monitoring, `drift-monitoring.ts`) and the alerting settings at its top level
 * (`alert-monitoring.ts`). Each writer changes only its own keys, so a concurrent writer of another
 * key is never overwritten: a key computed from its stored value is set under the row's lock
 * ({@link setMonitoringKey}); keys given whole are merged in one statement ({@link mergeMonitoring}).
 * Rows read elsewhere decode the column with `driftMonitoringOf` / `alertMonitoringOf`.
 */
import type { Deployment, Prisma } from '../../generated/prisma/client';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { settingsObjectOf, toJsonColumn, type JsonCompatible } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';

/** The keys of `monitoring` set from their stored value ({@link setMonitoringKey}). */
export type MonitoringKey = 'drift';

/** `monitoring` of a new deployment: its drift settings, no alerting key (every one defaults). */
export function initialMonitoring(drift: DriftMonitoringSettings): Prisma.InputJsonValue {
  return toJsonColumn({ drift });
}

/**
 * Sets `key` of a deployment's `monitoring` to `next(stored monitoring)` in one transaction that
 * locks the row (`FOR UPDATE`) first, keeping the other keys; `updatedAt` moves. `next` may throw
 * (a refused patch): nothing is written.
 * @returns the updated deployment, or null when no deployment has this name.
 */
export async function setMonitoringKey<T>(
  prisma: PrismaClient,
  deploymentName: string,
  key: MonitoringKey,
  next: (monitoring: unknown) => T & JsonCompatible<T> & {},
): Promise<Deployment | null> {
  return prisma.$transaction(async (tx) => {
    const locked = (
      await tx.$queryRaw<{ id: string; monitoring: unknown }[]>`SELECT id, monitoring FROM deployments WHERE name = ${deploymentName} FOR UPDATE`
    ).at(0);
    if (!locked) return null;
    const monitoring: Prisma.InputJsonObject = {
      ...settingsObjectOf('Deployment.monitoring', locked.monitoring),
      [key]: toJsonColumn(next(locked.monitoring)),
    };
    return tx.deployment.update({ where: { id: locked.id }, data: { monitoring, updatedAt: new Date() } });
  });
}

/**
 * Merges `set` into a deployment's `monitoring` and removes `removedKeys`, in one statement (a
 * concurrent writer of another key is not overwritten); `updated_at` moves.
 * @returns the updated deployment, or null when no deployment has this name.
 */
export async function mergeMonitoring(
  db: Prisma.TransactionClient,
  deploymentName: string,
  set: Record<string, unknown>,
  removedKeys: readonly string[],
): Promise<Deployment | null> {
  const row = (
    await db.$queryRaw<{ id: string }[]>`
      UPDATE deployments SET monitoring = (monitoring - ${removedKeys}::text[]) || ${JSON.stringify(set)}::jsonb, updated_at = now()
      WHERE name = ${deploymentName} RETURNING id`
  ).at(0);
  if (!row) return null;
  return db.deployment.findUniqueOrThrow({ where: { id: row.id } });
}
