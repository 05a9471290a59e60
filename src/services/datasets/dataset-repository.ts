/**
 * The persistence of datasets: the only code that reads or writes the `datasets`,
 * `dataset_versions`, `dataset_version_columns` and `dataset_version_data` tables (the lifecycle
 * services lock, archive and delete datasets through the functions below, in their transaction).
 * A new dataset or version is written with node-postgres through `version-rows.ts`, this
 * repository's node-postgres half (binary columns in bounded pieces), inside a transaction of
 * {@link DatasetRepository.pgTransaction}; everything else goes through Prisma. It returns the
 * domain types of `src/domain/datasets/dataset.ts`, mapping rows in one place ({@link toDataset},
 * {@link toDatasetVersion}, which decode the JSON columns); no Prisma row leaves it. The rules
 * (names, what an upload becomes, when a version is new) are the dataset service's: a function
 * here is one read or one write.
 */
import type { PoolClient } from 'pg';
import type { Dataset as DatasetRow, DatasetVersion as DatasetVersionRow, Prisma } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { Dataset, DatasetVersion } from '../../domain/datasets/dataset';
import { columnTypeOverridesOf, datasetColumnsOf, labelClassesOf, referenceRowIndicesOf } from '../../infra/db/json-columns';
import type { PgTransactionRunner } from '../../infra/db/pg-transaction';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, keysetPagesByParent, newestFirst } from '../keyset-pagination';
import type { PreparedVersion } from './prepared-version';
import { insertDataset, insertVersion, lastDatasetVersionNumber, lockDatasetForVersion, versionIdWithContent, type NewDatasetRow } from './version-rows';

/** A Prisma transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

export type { NewDatasetRow } from './version-rows';

/** A dataset row locked for the caller's transaction: what the lifecycle checks read under the lock. */
export type LockedDataset = Pick<Dataset, 'id' | 'name' | 'archivedAt'>;

export class DatasetRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly transactions: PgTransactionRunner,
  ) {}

  // Writes, with node-postgres in the caller's transaction.

  /** Runs `work` in one node-postgres transaction (what new datasets and versions are written in). */
  pgTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transactions(work);
  }

  /**
   * Inserts a dataset; resolves with its id.
   * @throws node-postgres' unique-violation error on `name` when the name is taken.
   */
  async insertDataset(client: PoolClient, row: NewDatasetRow): Promise<string> {
    return insertDataset(client, row);
  }

  /** Inserts version `version` of a dataset with its columns and source; resolves with its id. */
  async insertVersion(client: PoolClient, datasetId: string, version: number, prepared: PreparedVersion): Promise<string> {
    return insertVersion(client, datasetId, version, prepared);
  }

  /** Locks a dataset's row until `client`'s transaction ends: serializes version numbering per dataset. */
  async lockForNewVersion(client: PoolClient, datasetId: string): Promise<void> {
    await lockDatasetForVersion(client, datasetId);
  }

  /** The id of the dataset's version whose content has this sha256, or null. */
  async versionIdWithContent(client: PoolClient, datasetId: string, contentHash: string): Promise<string | null> {
    return versionIdWithContent(client, datasetId, contentHash);
  }

  /** The highest version number of a dataset (0 before its first). */
  async lastVersionNumber(client: PoolClient, datasetId: string): Promise<number> {
    return lastDatasetVersionNumber(client, datasetId);
  }

  // Datasets.

  async findById(id: string): Promise<Dataset | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.dataset.findUnique({ where: { id } });
    return row && toDataset(row);
  }

  async findByName(name: string): Promise<Dataset | null> {
    const row = await this.prisma.dataset.findUnique({ where: { name } });
    return row && toDataset(row);
  }

  /** Datasets by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findByIds(ids: readonly string[]): Promise<Dataset[]> {
    return (await this.prisma.dataset.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toDataset);
  }

  /** Datasets, newest first; archived ones only when `includeArchived`. */
  async page(request: PageRequest, includeArchived: boolean): Promise<Page<Dataset>> {
    const visible: Prisma.DatasetWhereInput = includeArchived ? {} : { archivedAt: null };
    return keysetPage<Dataset, 'createdAt' | 'id'>(
      {
        order: newestFirst<Dataset>(),
        rows: async (seek, orderBy, take) =>
          (await this.prisma.dataset.findMany({ where: { AND: [visible, ...(seek ? [seek] : [])] }, orderBy, take })).map(toDataset),
        count: () => this.prisma.dataset.count({ where: visible }),
      },
      request,
    );
  }

  // Versions.

  async findVersion(id: string): Promise<DatasetVersion | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.datasetVersion.findUnique({ where: { id } });
    return row && toDatasetVersion(row);
  }

  /** Versions by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findVersionsByIds(ids: readonly string[]): Promise<DatasetVersion[]> {
    return (await this.prisma.datasetVersion.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toDatasetVersion);
  }

  /** The newest version of a dataset, or null before its first. */
  async latestVersion(datasetId: string): Promise<DatasetVersion | null> {
    if (!isUuid(datasetId)) return null;
    const row = await this.prisma.datasetVersion.findFirst({ where: { datasetId }, orderBy: { version: 'desc' } });
    return row && toDatasetVersion(row);
  }

  /** Rows of a version, or null when there is no such version (reads the count only). */
  async rowCountOf(id: string): Promise<number | null> {
    return datasetVersionRowCount(this.prisma, id);
  }

  /** Rows of the largest dataset version (0 when there is none). */
  async largestRowCount(): Promise<number> {
    return (await this.prisma.datasetVersion.aggregate({ _max: { rowCount: true } }))._max.rowCount ?? 0;
  }

  /** The same page of each dataset's versions (newest, highest number, first), by dataset id. */
  async pageVersions(datasetIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DatasetVersion>>> {
    return keysetPagesByParent<DatasetVersion, 'version'>(
      this.prisma,
      {
        order: { keys: [{ column: 'version', kind: 'int' }], direction: 'desc' },
        table: 'dataset_versions',
        parentColumn: 'dataset_id',
        columns: { version: 'version' },
        rowsByIds: async (ids) => (await this.prisma.datasetVersion.findMany({ where: { id: { in: ids } } })).map(toDatasetVersion),
      },
      datasetIds,
      request,
    );
  }

  /** The encoded single-column tables of a version (all its columns, or only `columnNames`), in CSV order; empty for an unknown version. */
  async encodedColumns(versionId: string, columnNames?: readonly string[]): Promise<Uint8Array[]> {
    if (!isUuid(versionId)) return [];
    const rows = await this.prisma.datasetVersionColumn.findMany({
      where: { datasetVersionId: versionId, ...(columnNames ? { name: { in: [...columnNames] } } : {}) },
      orderBy: { position: 'asc' },
      select: { encoded: true },
    });
    return rows.map((row) => row.encoded);
  }

  /** The seeded reference sample's row indices of a version, or null for an unknown version. */
  async referenceRowIndices(versionId: string): Promise<number[] | null> {
    if (!isUuid(versionId)) return null;
    const data = await this.prisma.datasetVersionData.findUnique({ where: { datasetVersionId: versionId }, select: { referenceRowIndices: true } });
    return data && referenceRowIndicesOf(data.referenceRowIndices);
  }
}

/** Rows of a version, or null when there is no such version (reads the count only). */
export async function datasetVersionRowCount(db: Db, id: string): Promise<number | null> {
  if (!isUuid(id)) return null;
  return (await db.datasetVersion.findUnique({ where: { id }, select: { rowCount: true } }))?.rowCount ?? null;
}

// Lifecycle, in the caller's Prisma transaction.

/** Locks a dataset's row (`FOR UPDATE`) until `tx` ends; null for an unknown id (or text that is not a UUID). */
export async function lockDatasetRow(tx: Db, id: string): Promise<LockedDataset | null> {
  if (!isUuid(id)) return null;
  const row = (
    await tx.$queryRaw<{ id: string; name: string; archived_at: Date | null }[]>`
    SELECT id, name, archived_at FROM datasets WHERE id = ${id}::uuid FOR UPDATE`
  ).at(0);
  return row ? { id: row.id, name: row.name, archivedAt: row.archived_at } : null;
}

/** Archives a dataset (at `archivedAt`) or restores it (null). */
export async function setDatasetArchivedAt(tx: Db, id: string, archivedAt: Date | null): Promise<void> {
  await tx.dataset.update({ where: { id }, data: { archivedAt } });
}

/** Deletes a dataset's versions (their columns and source go with them); returns how many. */
export async function deleteVersionsOfDataset(tx: Db, datasetId: string): Promise<number> {
  return (await tx.datasetVersion.deleteMany({ where: { datasetId } })).count;
}

/** Deletes a dataset's row; its versions must be gone first. */
export async function deleteDatasetRow(tx: Db, id: string): Promise<void> {
  await tx.dataset.delete({ where: { id } });
}

// Rows to domain types.

/** A `datasets` row as the domain type, its column type overrides decoded. */
export function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    labelColumn: row.labelColumn,
    task: row.task,
    columnTypeOverrides: columnTypeOverridesOf(row.columnTypeOverrides),
    createdAt: row.createdAt,
    archivedAt: row.archivedAt,
  };
}

/** A `dataset_versions` row as the domain type, its columns and label classes decoded. */
export function toDatasetVersion(row: DatasetVersionRow): DatasetVersion {
  return {
    id: row.id,
    datasetId: row.datasetId,
    version: row.version,
    contentHash: row.contentHash,
    rowCount: row.rowCount,
    columnCount: row.columnCount,
    sizeBytes: row.sizeBytes,
    columns: datasetColumnsOf(row.columns),
    labelClasses: labelClassesOf(row.labelClasses),
    createdAt: row.createdAt,
  };
}
