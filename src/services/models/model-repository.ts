/**
 * The persistence of model definitions: the only code that reads or writes the `models` table (the
 * lifecycle services lock, archive and delete a model through it, in their transaction). It returns
 * the domain type of `src/domain/models/model.ts`, mapping rows in one place ({@link toModel},
 * which decodes the architecture); no Prisma row leaves it. The rules (names, tasks, architectures
 * that fit a worker, what may be archived or deleted) are the services': a function here is one
 * read or one write.
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given.
 */
import type { Model as ModelRow, Prisma } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { Task } from '../../domain/datasets/label-rules';
import type { Model } from '../../domain/models/model';
import type { Architecture } from '../../ml/model-builder';
import { architectureOf, toJsonColumn } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, newestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A new model definition; `id` and `createdAt` come from the database. */
export interface NewModel {
  name: string;
  task: Task;
  datasetId: string;
  architecture: Architecture;
}

/** A model row locked for the caller's transaction: what the lifecycle checks read under the lock. */
export type LockedModel = Pick<Model, 'id' | 'name' | 'archivedAt'>;

export class ModelRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Inserts a model.
   * @throws Prisma's unique-violation error on `name` when the name is taken (the service turns it into CONFLICT).
   */
  async insert(model: NewModel): Promise<Model> {
    const { architecture, ...fields } = model;
    return toModel(await this.prisma.model.create({ data: { ...fields, architecture: toJsonColumn(architecture) } }));
  }

  async findById(id: string): Promise<Model | null> {
    return findModel(this.prisma, id);
  }

  async findByName(name: string): Promise<Model | null> {
    const row = await this.prisma.model.findUnique({ where: { name } });
    return row && toModel(row);
  }

  /** Models by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findByIds(ids: readonly string[]): Promise<Model[]> {
    return (await this.prisma.model.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toModel);
  }

  /** Models, newest first; archived ones only when `includeArchived`. */
  async page(request: PageRequest, includeArchived: boolean): Promise<Page<Model>> {
    const visible: Prisma.ModelWhereInput = includeArchived ? {} : { archivedAt: null };
    return keysetPage<Model, 'createdAt' | 'id'>(
      {
        order: newestFirst<Model>(),
        rows: async (seek, orderBy, take) =>
          (await this.prisma.model.findMany({ where: { AND: [visible, ...(seek ? [seek] : [])] }, orderBy, take })).map(toModel),
        count: () => this.prisma.model.count({ where: visible }),
      },
      request,
    );
  }
}

/** The model, or null (also for an id that is not a UUID); in `db`'s transaction when it is one. */
export async function findModel(db: Db, id: string): Promise<Model | null> {
  if (!isUuid(id)) return null;
  const row = await db.model.findUnique({ where: { id } });
  return row && toModel(row);
}

/**
 * Locks a model's row (`FOR UPDATE`) until `tx` ends: alias moves, version numbering and the
 * lifecycle of its versions serialize on it. Null for an unknown id (or text that is not a UUID).
 */
export async function lockModelRow(tx: Db, id: string): Promise<LockedModel | null> {
  if (!isUuid(id)) return null;
  const row = (
    await tx.$queryRaw<{ id: string; name: string; archived_at: Date | null }[]>`
    SELECT id, name, archived_at FROM models WHERE id = ${id}::uuid FOR UPDATE`
  ).at(0);
  return row ? { id: row.id, name: row.name, archivedAt: row.archived_at } : null;
}

/**
 * Holds a model's row shared (`FOR SHARE`) until `tx` ends: a deployment being made or changed keeps
 * the model from being archived or deleted meanwhile, without serializing with other deployments.
 * Null for an unknown id (or text that is not a UUID).
 */
export async function lockModelRowShared(tx: Db, id: string): Promise<LockedModel | null> {
  if (!isUuid(id)) return null;
  const row = (
    await tx.$queryRaw<{ id: string; name: string; archived_at: Date | null }[]>`
    SELECT id, name, archived_at FROM models WHERE id = ${id}::uuid FOR SHARE`
  ).at(0);
  return row ? { id: row.id, name: row.name, archivedAt: row.archived_at } : null;
}

/** Archives a model (at `archivedAt`) or restores it (null). */
export async function setModelArchivedAt(tx: Db, id: string, archivedAt: Date | null): Promise<void> {
  await tx.model.update({ where: { id }, data: { archivedAt } });
}

/** Deletes a model's row; what belongs to it must be gone first (see the deletion service). */
export async function deleteModelRow(tx: Db, id: string): Promise<void> {
  await tx.model.delete({ where: { id } });
}

/** The models defined on a dataset, by name (what keeps it from being deleted). */
export async function modelsOnDataset(tx: Db, datasetId: string): Promise<Pick<Model, 'id' | 'name'>[]> {
  return tx.model.findMany({ where: { datasetId }, orderBy: { name: 'asc' }, select: { id: true, name: true } });
}

/** A `models` row as the domain type, its architecture decoded. */
export function toModel(row: ModelRow): Model {
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    datasetId: row.datasetId,
    architecture: architectureOf(row.architecture),
    createdAt: row.createdAt,
    archivedAt: row.archivedAt,
  };
}
