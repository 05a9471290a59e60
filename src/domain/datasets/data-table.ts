/**
 * The in-memory, column-oriented form of a dataset version: what parsing produces,
 * what storage encodes, and what training, evaluation and drift tests read.
 */

export type ColumnType = 'NUMERIC' | 'CATEGORICAL';
export type ColumnRole = 'FEATURE' | 'LABEL' | 'IGNORED';

export interface NumericColumn {
  name: string;
  type: 'NUMERIC';
  /** One value per row; `NaN` marks a missing value. */
  values: Float64Array;
}

export interface CategoricalColumn {
  name: string;
  type: 'CATEGORICAL';
  /** Distinct non-missing values, in order of first appearance. */
  categories: string[];
  /** Index into `categories` per row; `-1` marks a missing value. */
  codes: Int32Array;
}

export type DataColumn = NumericColumn | CategoricalColumn;

export interface DataTable {
  rowCount: number;
  columns: DataColumn[];
}

/** Finds a column by name or returns undefined. */
export function findColumn(table: DataTable, name: string): DataColumn | undefined {
  return table.columns.find((column) => column.name === name);
}
