import { rm } from 'node:fs/promises';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import type { ColumnTypeOverrides } from '../../domain/datasets/column-typing';
import { decodeDataTable } from '../../domain/datasets/columnar-codec';
import type { DataTable } from '../../domain/datasets/data-table';
import { NAME_PATTERN, type Dataset, type DatasetVersion } from '../../domain/datasets/dataset';
import { required } from '../../domain/common/required';
import { splitRows, validateSplitFractions, type RowSplit, type SplitFractions } from '../../domain/datasets/dataset-split';
import { classIndices, type Task } from '../../domain/datasets/label-rules';
import { pgTransactions, type PgTransactionRunner } from '../../infra/db/pg-transaction';
import { pgPoolOf, type PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import { isUniqueViolation } from '../prisma-errors';
import { prepareVersionOffThread, type CsvSource, type IngestPhaseListener } from './ingest-threads';
import { PREVIEW_WINDOW_SCHEMA, tableRows, type DatasetRow as PreviewRow } from '../../domain/datasets/dataset-rows';
import { parseInput } from '../../domain/common/input-schema';
import { DatasetRepository } from './dataset-repository';

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

function sourceOf(csv: CsvInput): CsvSource {
  return typeof csv === 'string' ? { text: csv } : csv;
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
 * Datasets and their immutable versions: creation from CSV, queries, row previews and splits,
 * stored through {@link DatasetRepository}. New versions are written in `transactions`
 * (node-postgres: their columns and source go as binary, in bounded pieces; see `version-rows.ts`).
 */
export class DatasetService {
  private readonly repository: DatasetRepository;

  constructor(
    prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly limits: DatasetLimits,
    transactions: PgTransactionRunner = pgTransactions(pgPoolOf(prisma)),
  ) {
    this.repository = new DatasetRepository(prisma, transactions);
  }

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
      const ids = await this.repository.pgTransaction(async (client) => {
        const datasetId = await this.repository.insertDataset(client, {
          name: input.name,
          description: input.description ?? '',
          labelColumn: input.labelColumn,
          task: stored.task,
          columnTypeOverrides: input.columnTypes ?? {},
        });
        return { datasetId, versionId: await this.repository.insertVersion(client, datasetId, 1, stored) };
      });
      const [dataset, version] = await Promise.all([this.repository.findById(ids.datasetId), this.repository.findVersion(ids.versionId)]);
      const result = { dataset: required(dataset, `dataset ${ids.datasetId}`), version: required(version, `dataset version ${ids.versionId}`) };
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
    const written = await this.repository.pgTransaction(async (client) => {
      await this.repository.lockForNewVersion(client, dataset.id);
      const existing = await this.repository.versionIdWithContent(client, dataset.id, stored.contentHash);
      if (existing !== null) return { id: existing, created: false };
      const number = (await this.repository.lastVersionNumber(client, dataset.id)) + 1;
      return { id: await this.repository.insertVersion(client, dataset.id, number, stored), created: true };
    });
    const result = { version: required(await this.repository.findVersion(written.id), `dataset version ${written.id}`), created: written.created };
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
    return this.repository.page(request, options.includeArchived ?? false);
  }

  /** The same page of each dataset's versions (newest, highest number, first), by dataset id. */
  async pageVersions(datasetIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DatasetVersion>>> {
    return this.repository.pageVersions(datasetIds, request);
  }

  /** Looks a dataset up by id or by name (exactly one of them). */
  async findDataset(key: { id?: string | null; name?: string | null }): Promise<Dataset | null> {
    if (key.id != null && key.name != null) throw new ValidationError('give exactly one of id and name', { field: 'name' });
    if (key.id != null) return this.repository.findById(key.id);
    if (key.name != null) return this.repository.findByName(key.name);
    throw new ValidationError('give exactly one of id and name', { field: 'id' });
  }

  async requireDataset(id: string, field = 'id'): Promise<Dataset> {
    const dataset = await this.repository.findById(id);
    if (!dataset) throw new NotFoundError('dataset', id, { field });
    return dataset;
  }

  async findDatasetsByIds(ids: readonly string[]): Promise<Dataset[]> {
    return this.repository.findByIds(ids);
  }

  async findVersion(id: string): Promise<DatasetVersion | null> {
    return this.repository.findVersion(id);
  }

  /** Versions by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findVersionsByIds(ids: readonly string[]): Promise<DatasetVersion[]> {
    return this.repository.findVersionsByIds(ids);
  }

  /** Rows of a version, or null when there is no such version (reads the count only). */
  async rowCountOf(id: string): Promise<number | null> {
    return this.repository.rowCountOf(id);
  }

  /** Rows of the largest dataset version (0 when there is none). */
  async largestRowCount(): Promise<number> {
    return this.repository.largestRowCount();
  }

  async requireVersion(id: string, field = 'datasetVersionId'): Promise<DatasetVersion> {
    const version = await this.findVersion(id);
    if (!version) throw new NotFoundError('dataset version', id, { field });
    return version;
  }

  /** The newest version of a dataset, or undefined before its first. */
  async latestVersion(datasetId: string): Promise<DatasetVersion | undefined> {
    return (await this.repository.latestVersion(datasetId)) ?? undefined;
  }

  /**
   * Reads a version's rows back into columns (numeric arrays and category codes), all of them or
   * only `columnNames`, in CSV order.
   */
  async loadTable(versionId: string, columnNames?: readonly string[]): Promise<DataTable> {
    const encoded = await this.repository.encodedColumns(versionId, columnNames);
    if (encoded.length === 0 && (await this.findVersion(versionId)) === null) throw new NotFoundError('dataset version', versionId);
    const parts = encoded.map((column) => decodeDataTable(column));
    return { rowCount: parts[0]?.rowCount ?? 0, columns: parts.flatMap((part) => part.columns) };
  }

  /** The seeded reference sample's row indices, kept for drift tests. */
  async referenceRowIndices(versionId: string): Promise<number[]> {
    const indices = await this.repository.referenceRowIndices(versionId);
    if (!indices) throw new NotFoundError('dataset version', versionId);
    return indices;
  }

  /** Rows `offset .. offset+limit-1`, each with its index and its values in column order. */
  async previewRows(versionId: string, offset: number, limit: number): Promise<PreviewRow[]> {
    parseInput(PREVIEW_WINDOW_SCHEMA, { offset, limit }, '');
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
