/**
 * Rows of a dataset version as a preview shows them: each row by its 0-based index, its values in
 * column order, a number or a text by the column's type (both null when the value is missing).
 */
import { z } from 'zod';
import { integerAtLeast, integerFrom } from '../common/input-fields';
import type { DataTable } from './data-table';

/** Most rows one preview returns. */
export const MAX_PREVIEW_ROWS = 1000;

/** A preview's window: `offset` from 0, `limit` from 1 to {@link MAX_PREVIEW_ROWS} (both arguments of `DatasetVersion.rows`). */
export const PREVIEW_WINDOW_SCHEMA = z.object({ offset: integerAtLeast(0), limit: integerFrom(1, MAX_PREVIEW_ROWS) });

/** One value of a row: `number` for a NUMERIC column, `text` for a CATEGORICAL one; both null when missing. */
export interface DatasetCell {
  column: string;
  number: number | null;
  text: string | null;
}

/** One row of a version: its 0-based index and a cell per column, in column order. */
export interface DatasetRow {
  index: number;
  values: DatasetCell[];
}

/** Rows `offset .. offset+limit-1` of a table (fewer at its end). */
export function tableRows(table: DataTable, offset: number, limit: number): DatasetRow[] {
  const end = Math.min(table.rowCount, offset + limit);
  const rows: DatasetRow[] = [];
  for (let index = offset; index < end; index++) {
    const values = table.columns.map((column): DatasetCell => {
      if (column.type === 'NUMERIC') {
        const value = column.values[index];
        return { column: column.name, number: Number.isNaN(value) ? null : value, text: null };
      }
      const code = column.codes[index];
      return { column: column.name, number: null, text: code < 0 ? null : column.categories[code] };
    });
    rows.push({ index, values });
  }
  return rows;
}
