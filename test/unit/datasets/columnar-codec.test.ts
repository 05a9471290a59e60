import fs from 'node:fs';
import path from 'node:path';
import { decodeDataTable, encodeDataTable } from '../../../src/domain/datasets/columnar-codec';
import { typeColumns } from '../../../src/domain/datasets/column-typing';
import { parseCsv } from '../../../src/domain/datasets/csv-parser';
import type { DataTable } from '../../../src/domain/datasets/data-table';

const table: DataTable = {
  rowCount: 5,
  columns: [
    { name: 'x', type: 'NUMERIC', values: Float64Array.from([1.5, NaN, -0, 1e-300, Number.MAX_VALUE]) },
    { name: 'city, "quoted" é', type: 'CATEGORICAL', categories: ['Paris', 'Zürich', '東京'], codes: Int32Array.from([0, -1, 2, 1, 0]) },
    { name: 'empty', type: 'CATEGORICAL', categories: [], codes: Int32Array.from([-1, -1, -1, -1, -1]) },
    { name: 'y', type: 'NUMERIC', values: Float64Array.from([0, 1, 0, 1, 1]) },
  ],
};

describe('columnar codec', () => {
  it('round-trips numeric and categorical columns, including NaN, -0 and missing codes', () => {
    const decoded = decodeDataTable(encodeDataTable(table));
    expect(decoded).toEqual(table);
    const x = decoded.columns[0];
    if (x.type !== 'NUMERIC') throw new Error('expected numeric');
    expect(Object.is(x.values[2], -0)).toBe(true);
    expect(Number.isNaN(x.values[1])).toBe(true);
  });

  it('writes the documented layout: magic, version, header, 8-byte aligned little-endian blocks', () => {
    const bytes = encodeDataTable(table);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('MLDT');
    expect(bytes.readUInt32LE(4)).toBe(1);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8'));
    expect(header.rowCount).toBe(5);
    const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
    expect(bytes.readDoubleLE(dataStart)).toBe(1.5);
    // Blocks: x 40 bytes, city 20 -> 24 bytes, empty 24 bytes, y 40 bytes.
    expect(bytes.readInt32LE(dataStart + 40 + 8)).toBe(2);
    expect(bytes.readDoubleLE(dataStart + 40 + 24 + 24 + 8)).toBe(1);
    expect(bytes.length).toBe(dataStart + 40 + 24 + 24 + 40);
  });

  it('decodes from an unaligned view and never aliases the input bytes', () => {
    const encoded = encodeDataTable(table);
    const shifted = new Uint8Array(encoded.length + 3);
    shifted.set(encoded, 3);
    const view = shifted.subarray(3);
    const decoded = decodeDataTable(view);
    expect(decoded).toEqual(table);
    view.fill(0);
    expect(decoded).toEqual(table);
  });

  it('round-trips a whole fixture and an empty table', () => {
    const iris = typeColumns(parseCsv(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'iris.csv'), 'utf8')));
    expect(decodeDataTable(encodeDataTable(iris))).toEqual(iris);
    expect(decodeDataTable(encodeDataTable({ rowCount: 0, columns: [] }))).toEqual({ rowCount: 0, columns: [] });
  });

  it('refuses bytes that are not a complete buffer of this format', () => {
    const encoded = encodeDataTable(table);
    expect(() => decodeDataTable(Buffer.from('not a table'))).toThrow(/bad magic/);
    expect(() => decodeDataTable(encoded.subarray(0, encoded.length - 8))).toThrow(/header describes/);
    const wrongVersion = Buffer.from(encoded);
    wrongVersion.writeUInt32LE(2, 4);
    expect(() => decodeDataTable(wrongVersion)).toThrow(/version 2/);
  });

  it('refuses to encode a column whose length differs from rowCount', () => {
    expect(() => encodeDataTable({ rowCount: 2, columns: [{ name: 'x', type: 'NUMERIC', values: new Float64Array(3) }] })).toThrow(RangeError);
  });
});
