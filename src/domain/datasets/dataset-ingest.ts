/**
 * The one entry point that turns uploaded CSV text into everything a dataset version stores.
 */

import { ValidationError } from '../errors';
import { profileColumn, type ColumnProfile } from './column-profile';
import { typeColumns, type ColumnTypeOverrides } from './column-typing';
import { contentHash } from './content-hash';
import { CSV_FIELD, parseCsv } from './csv-parser';
import type { ColumnRole, ColumnType, DataTable } from './data-table';
import { resolveLabel, type Task } from './label-rules';
import { DEFAULT_REFERENCE_SEED, referenceSampleIndices } from './reference-sample';

/** Arguments of {@link ingestCsv}, as the createDataset and createDatasetVersion use cases pass them. */
export interface IngestCsvInput {
  /** The CSV text as sent. */
  csv: string;
  labelColumn: string;
  columnTypes?: ColumnTypeOverrides;
  /** Inferred from the label when absent (see `resolveLabel`). */
  task?: Task;
  /** @default DEFAULT_MAX_BYTES (100 MB) */
  maxBytes?: number;
  /** @default DEFAULT_MAX_COLUMNS (1,000) */
  maxColumns?: number;
  /** Seed of the reference sample. @default DEFAULT_REFERENCE_SEED */
  seed?: number;
}

/** One column's schema entry and profile. */
export interface IngestedColumn {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  profile: ColumnProfile;
}

/** Everything a dataset version stores, computed from its CSV. */
export interface IngestedDataset {
  table: DataTable;
  /** In CSV order; the label column has role LABEL, every other column FEATURE. */
  columns: IngestedColumn[];
  task: Task;
  /** Classification only: classes in encoded order. */
  labelClasses?: string[];
  /** sha256 hex of the CSV text as sent (see `contentHash`). */
  contentHash: string;
  /** 0-based ascending row indices of the seeded reference sample (at most 5,000). */
  referenceRowIndices: number[];
  rowCount: number;
}

/**
 * Parses, types, checks and profiles an uploaded CSV. Pure: nothing is stored, so a rejection
 * leaves no trace.
 * @throws ValidationError for every rejection of `parseCsv`, `typeColumns` and `resolveLabel`, and
 *   when the CSV has no column besides the label (field `input.csv`).
 */
export function ingestCsv(input: IngestCsvInput): IngestedDataset {
  const parsed = parseCsv(input.csv, { maxBytes: input.maxBytes, maxColumns: input.maxColumns });
  const table = typeColumns(parsed, input.columnTypes);
  const label = resolveLabel(table, input.labelColumn, input.task);
  if (table.columns.length < 2) {
    throw new ValidationError(`The CSV has only the label column '${input.labelColumn}'; a dataset needs at least one feature column`, {
      field: CSV_FIELD,
    });
  }
  const columns = table.columns.map(
    (column): IngestedColumn => ({
      name: column.name,
      type: column.type,
      role: column.name === input.labelColumn ? 'LABEL' : 'FEATURE',
      profile: profileColumn(column),
    }),
  );
  return {
    table,
    columns,
    ...label,
    contentHash: contentHash(input.csv),
    referenceRowIndices: Array.from(referenceSampleIndices(table.rowCount, input.seed ?? DEFAULT_REFERENCE_SEED)),
    rowCount: table.rowCount,
  };
}
