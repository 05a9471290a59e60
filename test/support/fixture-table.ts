/**
 * Test-only loader: reads a fixture CSV into a DataTable (a column is NUMERIC when every
 * non-empty cell parses as a finite number).
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { parse } from 'csv-parse/sync';
import type { DataColumn, DataTable } from '../../src/domain/datasets/data-table';

const fixtures = path.join(projectRoot, 'test', 'fixtures');

/** Parses CSV text (header row first) into a DataTable. */
export function tableFromCsv(text: string): DataTable {
  const records: string[][] = parse(text, { skip_empty_lines: true });
  const [header, ...rows] = records;
  const columns: DataColumn[] = header.map((name, c) => {
    const cells = rows.map((row) => row[c].trim());
    const numeric = cells.every((cell) => cell === '' || Number.isFinite(Number(cell)));
    if (numeric) {
      return { name, type: 'NUMERIC', values: Float64Array.from(cells, (cell) => (cell === '' ? NaN : Number(cell))) };
    }
    const categories: string[] = [];
    const index = new Map<string, number>();
    const codes = Int32Array.from(cells, (cell) => {
      if (cell === '') return -1;
      let code = index.get(cell);
      if (code === undefined) {
        code = categories.length;
        categories.push(cell);
        index.set(cell, code);
      }
      return code;
    });
    return { name, type: 'CATEGORICAL', categories, codes };
  });
  return { rowCount: rows.length, columns };
}

/** Loads `test/fixtures/<name>`. */
export function fixtureTable(name: string): DataTable {
  return tableFromCsv(fs.readFileSync(path.join(fixtures, name), 'utf8'));
}

/** Every column name except `label`. */
export function featureNames(table: DataTable, label: string): string[] {
  return table.columns.map((column) => column.name).filter((name) => name !== label);
}
