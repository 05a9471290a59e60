/**
 * Test-only loader: reads a fixture CSV into a DataTable (a column is NUMERIC when every
 * non-empty cell parses as a finite number), and a seeded row split for training tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataColumn, DataTable } from '../../src/domain/datasets/data-table';

const fixtures = path.resolve(__dirname, '..', 'fixtures');

/** Parses CSV text (header row first) into a DataTable. */
export function tableFromCsv(text: string): DataTable {
  const records = parse(text, { skip_empty_lines: true }) as string[][];
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

/** A seeded shuffle of 0..rowCount-1 cut into train/validation/test row indices. */
export function splitRows(
  rowCount: number,
  seed: number,
  fractions: { validation: number; test: number },
): { train: number[]; validation: number[]; test: number[] } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: rowCount }, (_, i) => i);
  for (let i = rowCount - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const testCount = Math.round(rowCount * fractions.test);
  const validationCount = Math.round(rowCount * fractions.validation);
  return {
    test: order.slice(0, testCount),
    validation: order.slice(testCount, testCount + validationCount),
    train: order.slice(testCount + validationCount),
  };
}
