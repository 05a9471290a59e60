/**
 * The persistence of deployments: the only code that reads or writes the `deployments` and
 * `deployment_events` tables (the deletion service removes a deployment and its events through
 * {@link lockDeploymentForDeletion}, {@link deleteDeploymentEvents} and {@link deleteDeploymentRow},
 * in its own transaction; the
 * lifecycle usages read what serves a version or a model through {@link deploymentsUsingVersion}
 * and {@link deploymentsOfModel}). It returns the domain types of `src/domain/deployments/deployment.ts`,
 * mapping rows in one place ({@link toDeployment}, which decodes the settings columns, and
 * {@link toDeploymentEvent}); no Prisma row leaves it. The rules (what may change, the lock order
 * model-then-deployment, the events written and announced, alias moves) are the deployment
 * service's: a function here is one read or one write.
 *
 * It is also the one writer of `deployments.monitoring`, a JSON object of independent keys, `drift`
 * (drift monitoring, `drift-monitoring.ts`) and the alerting settings at its top level
 * (`alert-monitoring.ts`). Each writer changes only its own keys, so a concurrent writer of another
 * key is never overwritten: a key computed from its stored value is set under the row's lock
 * ({@link DeploymentRepository.setDriftMonitoring}); keys given whole are merged in one statement
 * ({@link DeploymentRepository.mergeMonitoring}).
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given, so the service
 * makes a change and its event commit together, under the row lock it took.
 */
import { Prisma, type Deployment as DeploymentRow, type DeploymentEvent as DeploymentEventRow } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { AliasUpdateMode } from '../../domain/deployments/alias-follow';
import type { BatchingSettings } from '../../domain/deployments/batching';
import type { Deployment, DeploymentEvent, DeploymentRef } from '../../domain/deployments/deployment';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { deploymentBatchingOf, deploymentMonitoringOf, settingsObjectOf, toJsonColumn } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, keysetPagesByParent, newestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A new deployment, serving `modelVersionId`, with its initial drift settings (no alerting key: every one defaults). */
export interface NewDeployment {
  name: string;
  modelId: string;
  modelVersionId: string;
  followAlias: string | null;
  aliasUpdate: AliasUpdateMode | null;
  aliasCanaryPercent: number | null;
  drift: DriftMonitoringSettings;
}

/** The columns a change of a deployment sets; `updatedAt` moves with every change. */
export type DeploymentChanges = Partial<
  Pick<
    Deployment,
    'modelVersionId' | 'previousModelVersionId' | 'canaryModelVersionId' | 'canaryPercent' | 'followAlias' | 'aliasUpdate' | 'aliasCanaryPercent' | 'archivedAt'
  >
>;

/** A new event; `sequence` is the deployment's next, `id` and `createdAt` come from the database. */
export type NewDeploymentEvent = Omit<DeploymentEvent, 'id' | 'sequence' | 'createdAt'>;

export class DeploymentRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  // Reads.

  async findById(id: string, db: Db = this.prisma): Promise<Deployment | null> {
    if (!isUuid(id)) return null;
    const row = await db.deployment.findUnique({ where: { id } });
    return row && toDeployment(row);
  }

  async findByName(name: string): Promise<Deployment | null> {
    const row = await this.prisma.deployment.findUnique({ where: { name } });
    return row && toDeployment(row);
  }

  async findByIds(ids: readonly string[]): Promise<Deployment[]> {
    return (await this.prisma.deployment.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toDeployment);
  }

  /** The id of the deployment named `name`, or null. */
  async idByName(name: string): Promise<string | null> {
    return (await this.prisma.deployment.findUnique({ where: { name }, select: { id: true } }))?.id ?? null;
  }

  /** The id of the deployment with this id or name, or null. */
  async idByReference(reference: string): Promise<string | null> {
    const deployment = await this.prisma.deployment.findFirst({
      where: isUuid(reference) ? { OR: [{ id: reference }, { name: reference }] } : { name: reference },
      select: { id: true },
    });
    return deployment?.id ?? null;
  }

  /** The deployment's id and name, or null. */
  async refById(db: Db, id: string): Promise<DeploymentRef | null> {
    return db.deployment.findUnique({ where: { id }, select: { id: true, name: true } });
  }

  /** The ids of every deployment, archived ones too when `includeArchived`. */
  async ids(options: { includeArchived: boolean }): Promise<string[]> {
    const rows = await this.prisma.deployment.findMany({ where: options.includeArchived ? {} : { archivedAt: null }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  /** Deployments, newest first; archived ones only when `includeArchived`. */
  async page(request: PageRequest, options: { includeArchived: boolean }): Promise<Page<Deployment>> {
    const visible: Prisma.DeploymentWhereInput = options.includeArchived ? {} : { archivedAt: null };
    return keysetPage(
      {
        order: newestFirst<Deployment>(),
        rows: async (seek, orderBy, take) =>
          (await this.prisma.deployment.findMany({ where: { AND: [visible, ...(seek ? [seek] : [])] }, orderBy, take })).map(toDeployment),
        count: () => this.prisma.deployment.count({ where: visible }),
      },
      request,
    );
  }

  /**
   * The same page of the deployments (archived ones too) following each alias, by name, keyed by
   * `${modelId}/${alias}` (alias names have no '/'), each read through the (model_id, follow_alias) index.
   */
  async pageFollowers(aliasKeys: readonly string[], request: PageRequest): Promise<Map<string, Page<Deployment>>> {
    return keysetPagesByParent<Deployment, 'name'>(
      this.prisma,
      {
        order: { keys: [{ column: 'name', kind: 'text' }], direction: 'asc' },
        table: 'deployments',
        parentColumn: 'model_id',
        parentType: 'text',
        parentMatch: Prisma.sql`model_id = split_part(p.parent, '/', 1)::uuid AND follow_alias = split_part(p.parent, '/', 2)`,
        columns: { name: 'name' },
        rowsByIds: async (ids) => (await this.prisma.deployment.findMany({ where: { id: { in: ids } } })).map(toDeployment),
      },
      aliasKeys,
      request,
    );
  }

  /** The deployments (archived ones too) that follow an alias of a model, by name. */
  async followers(tx: Db, modelId: string, alias: string): Promise<DeploymentRef[]> {
    return tx.deployment.findMany({ where: { modelId, followAlias: alias }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
  }

  // Locks.

  /** The id and model of the deployment named `name` (no lock: the caller locks the model row, then the deployment's). */
  async modelOfName(tx: Db, name: string): Promise<{ id: string; modelId: string } | null> {
    const row = (await tx.$queryRaw<{ id: string; model_id: string }[]>`SELECT id, model_id FROM deployments WHERE name = ${name}`).at(0);
    return row ? { id: row.id, modelId: row.model_id } : null;
  }

  /** Locks a deployment's row (`FOR UPDATE`) until `tx` ends and reads it; null when it is gone. */
  async lock(tx: Db, id: string): Promise<Deployment | null> {
    const locked = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM deployments WHERE id = ${id}::uuid FOR UPDATE`).at(0);
    if (!locked) return null;
    return toDeployment(await tx.deployment.findUniqueOrThrow({ where: { id: locked.id } }));
  }

  /** Locks, in id order, the rows of the deployments following an alias of a model and reads them (in the same order). */
  async lockFollowers(tx: Db, modelId: string, alias: string): Promise<Deployment[]> {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM deployments WHERE model_id = ${modelId}::uuid AND follow_alias = ${alias} ORDER BY id FOR UPDATE`;
    if (locked.length === 0) return [];
    return (await tx.deployment.findMany({ where: { id: { in: locked.map((row) => row.id) } }, orderBy: { id: 'asc' } })).map(toDeployment);
  }

  // Writes.

  async insert(tx: Db, deployment: NewDeployment): Promise<Deployment> {
    const { drift, ...fields } = deployment;
    return toDeployment(await tx.deployment.create({ data: { ...fields, monitoring: toJsonColumn({ drift }) } }));
  }

  /** Sets the given columns; `updatedAt` moves. */
  async update(tx: Db, id: string, changes: DeploymentChanges): Promise<Deployment> {
    return toDeployment(await tx.deployment.update({ where: { id }, data: { ...changes, updatedAt: new Date() } }));
  }

  /**
   * Sets a deployment's batching settings (the `serving` column, other keys kept) to `next(stored
   * settings)` under the row's lock, in one transaction; `next` may throw (nothing is written).
   * @returns the updated deployment, or null when no deployment has this name.
   */
  async setBatching(name: string, next: (current: BatchingSettings) => BatchingSettings): Promise<Deployment | null> {
    return this.prisma.$transaction(async (tx) => {
      const locked = (await tx.$queryRaw<{ id: string; serving: unknown }[]>`SELECT id, serving FROM deployments WHERE name = ${name} FOR UPDATE`).at(0);
      if (!locked) return null;
      const serving = { ...settingsObjectOf('Deployment.serving', locked.serving), ...next(deploymentBatchingOf(locked.serving)) };
      return toDeployment(await tx.deployment.update({ where: { id: locked.id }, data: { serving: toJsonColumn(serving), updatedAt: new Date() } }));
    });
  }

  /**
   * Sets the `drift` key of a deployment's `monitoring` to `next(stored drift settings)` in one
   * transaction that locks the row (`FOR UPDATE`) first, keeping the other keys; `updatedAt` moves.
   * `next` may throw (a refused patch): nothing is written.
   * @returns the updated deployment, or null when no deployment has this name.
   */
  async setDriftMonitoring(deploymentName: string, next: (current: DriftMonitoringSettings) => DriftMonitoringSettings): Promise<Deployment | null> {
    return this.prisma.$transaction(async (tx) => {
      const locked = (
        await tx.$queryRaw<{ id: string; monitoring: unknown }[]>`SELECT id, monitoring FROM deployments WHERE name = ${deploymentName} FOR UPDATE`
      ).at(0);
      if (!locked) return null;
      const monitoring: Prisma.InputJsonObject = {
        ...settingsObjectOf('Deployment.monitoring', locked.monitoring),
        drift: toJsonColumn(next(deploymentMonitoringOf(locked.monitoring).drift)),
      };
      return toDeployment(await tx.deployment.update({ where: { id: locked.id }, data: { monitoring, updatedAt: new Date() } }));
    });
  }

  /**
   * Merges `set` into a deployment's `monitoring` and removes `removedKeys`, in one statement (a
   * concurrent writer of another key is not overwritten); `updated_at` moves.
   * @returns the updated deployment, or null when no deployment has this name.
   */
  async mergeMonitoring(deploymentName: string, set: Record<string, unknown>, removedKeys: readonly string[]): Promise<Deployment | null> {
    const row = (
      await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE deployments SET monitoring = (monitoring - ${removedKeys}::text[]) || ${JSON.stringify(set)}::jsonb, updated_at = now()
      WHERE name = ${deploymentName} RETURNING id`
    ).at(0);
    if (!row) return null;
    return toDeployment(await this.prisma.deployment.findUniqueOrThrow({ where: { id: row.id } }));
  }

  // Events.

  /** Appends the deployment's next event (its sequence one past the last); the caller holds the deployment row. */
  async appendEvent(tx: Db, event: NewDeploymentEvent): Promise<DeploymentEvent> {
    const last = await tx.deploymentEvent.aggregate({ where: { deploymentId: event.deploymentId }, _max: { sequence: true } });
    return toDeploymentEvent(await tx.deploymentEvent.create({ data: { ...event, sequence: (last._max.sequence ?? 0) + 1 } }));
  }

  /** The deployment's latest event, or null. */
  async lastEvent(deploymentId: string): Promise<DeploymentEvent | null> {
    const row = await this.prisma.deploymentEvent.findFirst({ where: { deploymentId }, orderBy: { sequence: 'desc' } });
    return row && toDeploymentEvent(row);
  }

  async findEvent(id: string): Promise<DeploymentEvent | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.deploymentEvent.findUnique({ where: { id } });
    return row && toDeploymentEvent(row);
  }

  /** The same page of each deployment's events (newest first, by sequence), by deployment id. */
  async pageEvents(deploymentIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DeploymentEvent>>> {
    return keysetPagesByParent<DeploymentEvent, 'sequence'>(
      this.prisma,
      {
        order: { keys: [{ column: 'sequence', kind: 'int' }], direction: 'desc' },
        table: 'deployment_events',
        parentColumn: 'deployment_id',
        columns: { sequence: 'sequence' },
        rowsByIds: async (ids) => (await this.prisma.deploymentEvent.findMany({ where: { id: { in: ids } } })).map(toDeploymentEvent),
      },
      deploymentIds,
      request,
    );
  }
}

/** The deployments that serve a version, run it as their canary or keep it as their rollback target, by name, in `tx`. */
export async function deploymentsUsingVersion(tx: Db, versionId: string): Promise<Deployment[]> {
  const rows = await tx.deployment.findMany({
    where: { OR: [{ modelVersionId: versionId }, { canaryModelVersionId: versionId }, { previousModelVersionId: versionId }] },
    orderBy: { name: 'asc' },
  });
  return rows.map(toDeployment);
}

/** The deployments of a model (only the ones not archived when `servingOnly`), by name, in `tx`. */
export async function deploymentsOfModel(tx: Db, modelId: string, options: { servingOnly: boolean }): Promise<Deployment[]> {
  const rows = await tx.deployment.findMany({ where: { modelId, ...(options.servingOnly ? { archivedAt: null } : {}) }, orderBy: { name: 'asc' } });
  return rows.map(toDeployment);
}

/** Locks the row of the deployment named `name` (`FOR UPDATE`) in `tx` and reads its archive time; null for an unknown name. */
export async function lockDeploymentForDeletion(tx: Db, name: string): Promise<{ id: string; archivedAt: Date | null } | null> {
  const row = (await tx.$queryRaw<{ id: string; archived_at: Date | null }[]>`SELECT id, archived_at FROM deployments WHERE name = ${name} FOR UPDATE`).at(0);
  return row ? { id: row.id, archivedAt: row.archived_at } : null;
}

/** Deletes a deployment's events in `tx`; returns how many. */
export async function deleteDeploymentEvents(tx: Db, deploymentId: string): Promise<number> {
  return (await tx.deploymentEvent.deleteMany({ where: { deploymentId } })).count;
}

/** Deletes the deployment's row in `tx` (what refers to it is deleted first). */
export async function deleteDeploymentRow(tx: Db, deploymentId: string): Promise<void> {
  await tx.deployment.delete({ where: { id: deploymentId } });
}

/** A `deployments` row as the domain type, its settings columns decoded. */
export function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    name: row.name,
    modelId: row.modelId,
    modelVersionId: row.modelVersionId,
    previousModelVersionId: row.previousModelVersionId,
    canaryModelVersionId: row.canaryModelVersionId,
    canaryPercent: row.canaryPercent,
    followAlias: row.followAlias,
    aliasUpdate: row.aliasUpdate,
    aliasCanaryPercent: row.aliasCanaryPercent,
    monitoring: deploymentMonitoringOf(row.monitoring),
    batching: deploymentBatchingOf(row.serving),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    archivedAt: row.archivedAt,
  };
}

/** A `deployment_events` row as the domain type. */
export function toDeploymentEvent(row: DeploymentEventRow): DeploymentEvent {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    sequence: row.sequence,
    kind: row.kind,
    fromModelVersionId: row.fromModelVersionId,
    toModelVersionId: row.toModelVersionId,
    canaryPercent: row.canaryPercent,
    actor: row.actor,
    reason: row.reason,
    aliasEventId: row.aliasEventId,
    createdAt: row.createdAt,
  };
}
