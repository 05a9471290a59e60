import { rm } from 'node:fs/promises';
import type { Dataset as DatasetRow, DatasetVersion as DatasetVersionRow, Prisma } from '../../generated/prisma/client';
import { mapPage, type Page, type PageRequest } from '../../domain/common/pagination';
import { keysetPage, keysetPagesByParent, newestFirst } from '../keyset-pagination';
import { isUuid } from '../../domain/common/uuid';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import type { ColumnTypeOverrides } from '../../domain/datasets/column-typing';
import { decodeDataTable } from '../../domain/datasets/columnar-codec';
import type { DataTable } from '../../domain/datasets/data-table';
import { NAME_PATTERN, type Dataset, type DatasetVersion } from '../../domain/datasets/dataset';
import { splitRows, validateSplitFractions, type RowSplit, type SplitFractions } from '../../domain/datasets/dataset-split';
import { classIndices, type Task } from '../../domain/datasets/label-rules';
import { pgTransactions, type PgTransactionRunner } from '../../infra/db/pg-transaction';
import { pgPoolOf, type PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import { isUniqueViolation } from '../prisma-errors';
import { prepareVersionOffThread, type CsvSource, type IngestPhaseListener } from './ingest-threads';
import { tableRows, type DatasetRow as PreviewRow } from '../../domain/datasets/dataset-rows';
import { insertDataset, insertVersion } from './version-rows';
import { columnTypeOverridesOf, datasetColumnsOf, labelClassesOf, referenceRowIndicesOf } from '../../infra/db/json-columns';

/** CSV text, or a spooled upload file (read and deleted by the ingest). */
export type CsvInput = string | Extract<CsvSource, { file: string }>;

export interface CreateDatasetInput {
  name: string;
  description?: string | null;
  csv: CsvInput;
  labelColumn: string;
  columnTypes?: ColumnTypeOverrides | null;
  task?: Task | null;
  /** Told when parsing starts (large inputs are parsed on a worker thread). */
  onPhase?: IngestPhaseListener;
}

export interface CreateDatasetVersionInput {
  datasetId: string;
  csv: CsvInput;
  onPhase?: IngestPhaseListener;
}

/** An upload by dataset name: a new version of the dataset, or the dataset itself when there is none. */
export interface UploadDatasetInput {
  name: string;
  csv: CsvInput;
  /** Required when the dataset does not exist yet. */
  labelColumn?: string | null;
  description?: string | null;
  task?: Task | null;
  onPhase?: IngestPhaseListener;
}

export interface DatasetLimits {
  maxBytes: number;
  maxColumns: number;
}

export const MAX_PREVIEW_ROWS = 1000;

function sourceOf(csv: CsvInput): CsvSource {
  return typeof csv === 'string' ? { text: csv } : csv;
}

function toDataset(row: DatasetRow): Dataset {
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

/** Class index per row for classification (splits are stratified), undefined for regression. */
export function labelStrata(table: DataTable, dataset: Dataset, version: DatasetVersion): Int32Array | undefined {
  const label = table.columns.find((column) => column.name === dataset.labelColumn);
  if (!label || !version.labelClasses) return undefined;
  return classIndices(label, version.labelClasses);
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(`name "${name.slice(0, 60)}" must be 1-200 characters of letters, digits, space and . _ : / -, starting with a letter or digit`, {
      field: 'input.name',
    });
  }
}

/**
 * Datasets and their immutable versions: creation from CSV, queries, row previews and splits.
 * New versions are written through `transactions` (node-postgres: their columns and source go as
 * binary, in bounded pieces; see `version-rows.ts`), everything else through Prisma.
 */
export class DatasetService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly limits: DatasetLimits,
    private readonly transactions: PgTransactionRunner = pgTransactions(pgPoolOf(prisma)),
  ) {}

  /** Creates a dataset and its first version in one transaction, then announces `datasetCreated`. */
  async createDataset(input: CreateDatasetInput): Promise<{ dataset: Dataset; version: DatasetVersion }> {
    checkName(input.name);
    const stored = await prepareVersionOffThread(
      sourceOf(input.csv),
      {
        labelColumn: input.labelColumn,
        columnTypes: input.columnTypes ?? undefined,
        task: input.task ?? undefined,
        maxBytes: this.limits.maxBytes,
        maxColumns: this.limits.maxColumns,
      },
      input.onPhase,
    );
    try {
      const ids = await this.transactions(async (client) => {
        const datasetId = await insertDataset(client, {
          name: input.name,
          description: input.description ?? '',
          labelColumn: input.labelColumn,
          task: stored.task,
          columnTypeOverrides: input.columnTypes ?? {},
        });
        return { datasetId, versionId: await insertVersion(client, datasetId, 1, stored) };
      });
      const [dataset, version] = await Promise.all([
        this.prisma.dataset.findUniqueOrThrow({ where: { id: ids.datasetId } }),
        this.prisma.datasetVersion.findUniqueOrThrow({ where: { id: ids.versionId } }),
      ]);
      const result = { dataset: toDataset(dataset), version: toDatasetVersion(version) };
      logger.info({ datasetId: result.dataset.id, rows: stored.rowCount, task: stored.task }, 'dataset created');
      await this.events.publish('datasetCreated', { id: result.dataset.id });
      return result;
    } catch (error) {
      if (isUniqueViolation(error, 'name')) throw new ConflictError(`a dataset named "${input.name}" already exists`, { field: 'input.name' });
      throw error;
    }
  }

  /**
   * Adds an immutable version. Content identical to an existing version (same sha256) returns that
   * version with `created: false`.
   */
  async createDatasetVersion(input: CreateDatasetVersionInput): Promise<{ version: DatasetVersion; created: boolean }> {
    const dataset = await this.requireDataset(input.datasetId, 'input.datasetId');
    if (dataset.archivedAt) {
      if (typeof input.csv !== 'string') await rm(input.csv.file, { force: true });
      throw new InvalidStateError(`dataset "${dataset.name}" is archived: restore it before adding versions (restoreDataset)`, { field: 'input.datasetId' });
    }
    const stored = await prepareVersionOffThread(
      sourceOf(input.csv),
      {
        labelColumn: dataset.labelColumn,
        columnTypes: dataset.columnTypeOverrides,
        task: dataset.task,
        maxBytes: this.limits.maxBytes,
        maxColumns: this.limits.maxColumns,
      },
      input.onPhase,
    );
    const written = await this.transactions(async (client) => {
      // Serializes version numbering per dataset.
      await client.query('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [dataset.id]);
      const existing = await client.query<{ id: string }>('SELECT id FROM dataset_versions WHERE dataset_id = $1 AND content_hash = $2', [
        dataset.id,
        stored.contentHash,
      ]);
      if (existing.rows.length > 0) return { id: existing.rows[0].id, created: false };
      const last = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM dataset_versions WHERE dataset_id = $1', [dataset.id]);
      return { id: await insertVersion(client, dataset.id, (last.rows[0].version ?? 0) + 1, stored), created: true };
    });
    const result = { version: toDatasetVersion(await this.prisma.datasetVersion.findUniqueOrThrow({ where: { id: written.id } })), created: written.created };
    if (result.created) {
      logger.info({ datasetId: dataset.id, version: result.version.version }, 'dataset version created');
      await this.events.publish('datasetVersionCreated', { id: result.version.id, datasetId: dataset.id });
    }
    return result;
  }

  /**
   * The upload endpoint's use case: adds a version to the dataset called `name`, or creates it
   * (with `labelColumn`) when there is none. Same checks and errors as createDataset and
   * createDatasetVersion.
   */
  async uploadDataset(input: UploadDatasetInput): Promise<{ dataset: Dataset; version: DatasetVersion; created: boolean }> {
    checkName(input.name);
    const existing = await this.findDataset({ name: input.name });
    if (existing) {
      const { version, created } = await this.createDatasetVersion({ datasetId: existing.id, csv: input.csv, onPhase: input.onPhase });
      return { dataset: existing, version, created };
    }
    if (!input.labelColumn) {
      if (typeof input.csv !== 'string') await rm(input.csv.file, { force: true });
      throw new ValidationError(`dataset "${input.name}" does not exist yet: give labelColumn to create it`, { field: 'labelColumn' });
    }
    const { dataset, version } = await this.createDataset({ ...input, labelColumn: input.labelColumn, csv: input.csv });
    return { dataset, version, created: true };
  }

  /** Datasets, newest first; archived ones only when asked. */
  async listDatasets(request: PageRequest, options: { includeArchived?: boolean | null } = {}): Promise<Page<Dataset>> {
    const visible: Prisma.DatasetWhereInput = options.includeArchived ? {} : { archivedAt: null };
    const page = keysetPage(
      {
        order: newestFirst<DatasetRow>(),
        rows: (seek, orderBy, take) => this.prisma.dataset.findMany({ where: { AND: [visible, ...(seek ? [seek] : [])] }, orderBy, take }),
        count: () => this.prisma.dataset.count({ where: visible }),
      },
      request,
    );
    return mapPage(await page, toDataset);
  }

  /** The same page of each dataset's versions (newest, highest number, first), by dataset id. */
  async pageVersions(datasetIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DatasetVersion>>> {
    const pages = await keysetPagesByParent<DatasetVersionRow, 'version'>(
      this.prisma,
      {
        order: { keys: [{ column: 'version', kind: 'int' }], direction: 'desc' },
        table: 'dataset_versions',
        parentColumn: 'dataset_id',
        columns: { version: 'version' },
        rowsByIds: (ids) => this.prisma.datasetVersion.findMany({ where: { id: { in: ids } } }),
      },
      datasetIds,
      request,
    );
    return new Map([...pages].map(([datasetId, page]) => [datasetId, mapPage(page, toDatasetVersion)]));
  }

  /** Looks a dataset up by id or by name (exactly one of them). */
  async findDataset(key: { id?: string | null; name?: string | null }): Promise<Dataset | null> {
    if (key.id != null && key.name != null) throw new ValidationError('give exactly one of id and name', { field: 'name' });
    if (key.id != null && !isUuid(key.id)) return null;
    const where = key.id != null ? { id: key.id } : key.name != null ? { name: key.name } : null;
    if (!where) throw new ValidationError('give exactly one of id and name', { field: 'id' });
    const row = await this.prisma.dataset.findUnique({ where });
    return row ? toDataset(row) : null;
  }

  async requireDataset(id: string, field = 'id'): Promise<Dataset> {
    const row = isUuid(id) ? await this.prisma.dataset.findUnique({ where: { id } }) : null;
    if (!row) throw new NotFoundError('dataset', id, { field });
    return toDataset(row);
  }

  async findDatasetsByIds(ids: readonly string[]): Promise<Dataset[]> {
    const rows = await this.prisma.dataset.findMany({ where: { id: { in: [...ids] } } });
    return rows.map(toDataset);
  }

  async findVersion(id: string): Promise<DatasetVersion | null> {
    const row = isUuid(id) ? await this.prisma.datasetVersion.findUnique({ where: { id } }) : null;
    return row ? toDatasetVersion(row) : null;
  }

  /** Versions by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findVersionsByIds(ids: readonly string[]): Promise<DatasetVersion[]> {
    const rows = await this.prisma.datasetVersion.findMany({ where: { id: { in: ids.filter(isUuid) } } });
    return rows.map(toDatasetVersion);
  }

  /** Rows of a version, or null when there is no such version (reads the count only). */
  async rowCountOf(id: string): Promise<number | null> {
    if (!isUuid(id)) return null;
    return (await this.prisma.datasetVersion.findUnique({ where: { id }, select: { rowCount: true } }))?.rowCount ?? null;
  }

  /** Rows of the largest dataset version (0 when there is none). */
  async largestRowCount(): Promise<number> {
    return (await this.prisma.datasetVersion.aggregate({ _max: { rowCount: true } }))._max.rowCount ?? 0;
  }

  async requireVersion(id: string, field = 'datasetVersionId'): Promise<DatasetVersion> {
    const version = await this.findVersion(id);
    if (!version) throw new NotFoundError('dataset version', id, { field });
    return version;
  }

  /** The newest version of a dataset, or undefined before its first. */
  async latestVersion(datasetId: string): Promise<DatasetVersion | undefined> {
    const row = await this.prisma.datasetVersion.findFirst({ where: { datasetId }, orderBy: { version: 'desc' } });
    return row ? toDatasetVersion(row) : undefined;
  }

  /**
   * Reads a version's rows back into columns (numeric arrays and category codes), all of them or
   * only `columnNames`, in CSV order.
   */
  async loadTable(versionId: string, columnNames?: readonly string[]): Promise<DataTable> {
    const rows = await this.prisma.datasetVersionColumn.findMany({
      where: { datasetVersionId: versionId, ...(columnNames ? { name: { in: [...columnNames] } } : {}) },
      orderBy: { position: 'asc' },
      select: { encoded: true },
    });
    if (rows.length === 0 && (await this.findVersion(versionId)) === null) throw new NotFoundError('dataset version', versionId);
    const parts = rows.map((row) => decodeDataTable(row.encoded));
    return { rowCount: parts[0]?.rowCount ?? 0, columns: parts.flatMap((part) => part.columns) };
  }

  /** The seeded reference sample's row indices, kept for drift tests. */
  async referenceRowIndices(versionId: string): Promise<number[]> {
    const data = await this.prisma.datasetVersionData.findUnique({ where: { datasetVersionId: versionId }, select: { referenceRowIndices: true } });
    if (!data) throw new NotFoundError('dataset version', versionId);
    return referenceRowIndicesOf(data.referenceRowIndices);
  }

  /** Rows `offset .. offset+limit-1`, each with its index and its values in column order. */
  async previewRows(versionId: string, offset: number, limit: number): Promise<PreviewRow[]> {
    if (!Number.isInteger(offset) || offset < 0) throw new ValidationError(`offset must be a non-negative integer, got ${offset}`, { field: 'offset' });
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PREVIEW_ROWS) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_PREVIEW_ROWS}, got ${limit}`, { field: 'limit' });
    }
    return tableRows(await this.loadTable(versionId), offset, limit);
  }

  /** The deterministic train/validation/test split of a version's rows. */
  async split(versionId: string, fractions: SplitFractions, seed: number): Promise<RowSplit> {
    validateSplitFractions(fractions, 'split');
    const version = await this.requireVersion(versionId, 'id');
    const dataset = await this.requireDataset(version.datasetId);
    const table = await this.loadTable(versionId);
    return splitRows({ rowCount: table.rowCount, fractions, seed, strata: labelStrata(table, dataset, version), fieldPrefix: 'split' });
  }
}
