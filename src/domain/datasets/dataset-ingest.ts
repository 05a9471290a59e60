/**
 * The one entry point that turns uploaded CSV text into everything a dataset version stores.
 * The text streams through once (parse, type, hash), each column kept only in its typed form;
 * a column that turns out CATEGORICAL after numeric-looking rows has those rows read again.
 */

import { ValidationError } from '../errors';
import { profileColumn, type ColumnProfile } from './column-profile';
import { checkColumnTypeOverrides, ColumnBuilder, type ColumnTypeOverrides } from './column-typing';
import { contentHasher } from './content-hash';
import { CSV_FIELD, csvText, DEFAULT_MAX_BYTES, readCsv, type CsvLimits, type CsvText } from './csv-parser';
import type { ColumnRole, ColumnType, DataTable } from './data-table';
import { resolveLabel, type Task } from './label-rules';
import { MAX_VALUES } from './growable-array';
import { DEFAULT_REFERENCE_SEED, referenceSampleIndices } from './reference-sample';

/** Arguments of {@link ingestCsv}, as the createDataset and createDatasetVersion use cases pass them. */
export interface IngestCsvInput {
  /** The CSV text as sent, whole or in chunks (a file read as it goes). */
  csv: string | CsvText;
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
  /** UTF-8 bytes of the CSV text. */
  byteLength: number;
}

/**
 * Parses, types, checks and profiles an uploaded CSV. Pure: nothing is stored, so a rejection
 * leaves no trace.
 * @throws ValidationError for every rejection of `parseCsv`, `typeColumns` and `resolveLabel`, and
 *   when the CSV has no column besides the label (field `input.csv`).
 */
export function ingestCsv(input: IngestCsvInput): IngestedDataset {
  const text = typeof input.csv === 'string' ? csvText(input.csv) : input.csv;
  const limits: CsvLimits = { maxBytes: input.maxBytes, maxColumns: input.maxColumns };
  const overrides = input.columnTypes ?? {};
  const hash = contentHasher();
  let builders: ColumnBuilder[] = [];
  let capacity = 0;
  const shape = readCsv(
    text,
    {
      header: (names) => {
        capacity = rowCapacity(text.byteLength ?? input.maxBytes ?? DEFAULT_MAX_BYTES, names.length);
        builders = names.map((name) => new ColumnBuilder(name, overrides[name], capacity));
      },
      record: (cells, row) => {
        if (row > capacity) throw new ValidationError(`CSV has over ${capacity} data rows, the most a dataset may have`, { field: CSV_FIELD, row });
        for (let c = 0; c < cells.length; c++) builders[c].add(cells[c]);
      },
      bytes: (chunk) => hash.update(chunk),
    },
    limits,
  );
  checkColumnTypeOverrides(shape.header, overrides);
  for (const builder of builders) {
    const error = builder.error();
    if (error) throw error;
  }
  rereadLateCategoricalRows(text, builders, limits);
  const table = { rowCount: shape.rowCount, columns: builders.map((builder) => builder.finish()) };
  const label = resolveLabel(table, input.labelColumn, input.task);
  if (table.columns.length < 2) {
    throw new ValidationError(`The CSV has only the label column '${input.labelColumn}'; a dataset needs at least one feature column`, {
      field: CSV_FIELD,
    });
  }
  // One array to sort every numeric column in, rather than a sorted copy of each.
  const scratch = table.columns.some((column) => column.type === 'NUMERIC') ? new Float64Array(table.rowCount) : undefined;
  const columns = table.columns.map((column): IngestedColumn => ({
    name: column.name,
    type: column.type,
    role: column.name === input.labelColumn ? 'LABEL' : 'FEATURE',
    profile: profileColumn(column, scratch),
  }));
  return {
    table,
    columns,
    ...label,
    contentHash: hash.digest(),
    referenceRowIndices: Array.from(referenceSampleIndices(table.rowCount, input.seed ?? DEFAULT_REFERENCE_SEED)),
    rowCount: table.rowCount,
    byteLength: shape.byteLength,
  };
}

/**
 * Most data rows a CSV of `bytes` bytes with `columns` columns can have (each row takes at least a
 * byte per column: its commas and its line end), and at most {@link MAX_VALUES}.
 */
function rowCapacity(bytes: number, columns: number): number {
  return Math.min(MAX_VALUES, Math.floor(bytes / columns) + 2);
}

/** Ends the second read once the rows it is for have been read. */
const ENOUGH_ROWS = new Error('enough rows');

/**
 * Reads the text again, as far as needed, for the columns that turned CATEGORICAL after rows that
 * looked numeric: those rows' text becomes their first categories. Nothing is read when no column
 * needs it (the usual case: a categorical column shows text in its first rows).
 */
function rereadLateCategoricalRows(text: CsvText, builders: ColumnBuilder[], limits: CsvLimits): void {
  const needed = builders.map((builder) => builder.rowsToReread);
  const last = needed.reduce((a, b) => Math.max(a, b), 0);
  if (last === 0) return;
  const columns = needed.flatMap((rows, c) => (rows > 0 ? [c] : []));
  try {
    readCsv(
      text,
      {
        header: () => undefined,
        record: (cells, row) => {
          if (row > last) throw ENOUGH_ROWS;
          for (const c of columns) if (row <= needed[c]) builders[c].addReread(cells[c]);
        },
      },
      limits,
    );
  } catch (error) {
    if (error !== ENOUGH_ROWS) throw error;
  }
}
