import type { DataTable } from '../../domain/datasets/data-table';

export type RowRecord = Record<string, string | number | null>;

/** Rows `offset .. offset+limit-1` of a table as records keyed by column name; missing values are null. */
export function tableRows(table: DataTable, offset: number, limit: number): RowRecord[] {
  const end = Math.min(table.rowCount, offset + limit);
  const rows: RowRecord[] = [];
  for (let row = offset; row < end; row++) {
    const record: RowRecord = {};
    for (const column of table.columns) {
      if (column.type === 'NUMERIC') {
        const value = column.values[row];
        record[column.name] = Number.isNaN(value) ? null : value;
      } else {
        const code = column.codes[row];
        record[column.name] = code < 0 ? null : column.categories[code];
      }
    }
    rows.push(record);
  }
  return rows;
}
