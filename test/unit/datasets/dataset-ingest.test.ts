import fs from 'node:fs';
import path from 'node:path';
import { contentHash } from '../../../src/domain/datasets/content-hash';
import { ingestCsv, type IngestCsvInput } from '../../../src/domain/datasets/dataset-ingest';
import type { ErrorLocation } from '../../../src/domain/errors';
import { expectValidationError } from './expect-validation-error';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8');

describe('ingestCsv: files that load', () => {
  it('iris: types, roles, profiles, task, classes, hash and reference sample', () => {
    const csv = fixture('iris.csv');
    const result = ingestCsv({ csv, labelColumn: 'species' });
    expect(result.rowCount).toBe(150);
    expect(result.task).toBe('MULTICLASS_CLASSIFICATION');
    expect(result.labelClasses).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(result.contentHash).toBe(contentHash(csv));
    expect(result.columns.map(({ name, type, role }) => [name, type, role])).toEqual([
      ['sepal_length_cm', 'NUMERIC', 'FEATURE'],
      ['sepal_width_cm', 'NUMERIC', 'FEATURE'],
      ['petal_length_cm', 'NUMERIC', 'FEATURE'],
      ['petal_width_cm', 'NUMERIC', 'FEATURE'],
      ['species', 'CATEGORICAL', 'LABEL'],
    ]);
    expect(result.columns[0].profile).toMatchObject({ count: 150, mean: expect.closeTo(5.8433, 4), std: expect.closeTo(0.8281, 4) });
    expect(result.referenceRowIndices).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(result.table.columns).toHaveLength(5);
    expect(JSON.parse(JSON.stringify(result.columns))).toEqual(result.columns);
  });

  it('a file with quoted commas, quotes and newlines', () => {
    const csv = 'city,comment,price,sold\n"Paris, FR","a ""great"" flat",250000,yes\n"Lyon, FR","two\nlines",,no\nNice,plain,180000.5,yes\n';
    const result = ingestCsv({ csv, labelColumn: 'sold' });
    expect(result.rowCount).toBe(3);
    expect(result.task).toBe('BINARY_CLASSIFICATION');
    expect(result.labelClasses).toEqual(['no', 'yes']);
    const [city, comment, price] = result.table.columns;
    expect(city).toMatchObject({ type: 'CATEGORICAL', categories: ['Paris, FR', 'Lyon, FR', 'Nice'] });
    expect(comment).toMatchObject({ categories: ['a "great" flat', 'two\nlines', 'plain'] });
    expect(price.type).toBe('NUMERIC');
    expect(result.columns[2].profile).toMatchObject({ count: 2, missing: 1, min: 180000.5, max: 250000 });
  });

  it('a file with a BOM and CRLF line ends', () => {
    const csv = '\uFEFFx,label\r\n1.5,a\r\n2.5,b\r\n3.5,a\r\n';
    const result = ingestCsv({ csv, labelColumn: 'label' });
    expect(result.columns.map((c) => c.name)).toEqual(['x', 'label']);
    expect(result.rowCount).toBe(3);
    expect(result.labelClasses).toEqual(['a', 'b']);
    expect(result.contentHash).toBe(contentHash(csv));
    expect(result.contentHash).not.toBe(contentHash('x,label\n1.5,a\n2.5,b\n3.5,a\n'));
  });

  it('applies overrides and a given task', () => {
    const result = ingestCsv({
      csv: 'zip,grade\n02134,1\n10001,2\n02134,3\n',
      labelColumn: 'grade',
      columnTypes: { zip: 'CATEGORICAL' },
      task: 'REGRESSION',
    });
    expect(result.task).toBe('REGRESSION');
    expect(result.labelClasses).toBeUndefined();
    expect(result.columns[0]).toMatchObject({ type: 'CATEGORICAL', profile: { distinct: 2 } });
  });

  it('samples 5,000 reference rows from a larger file, the same rows for the same content and seed', () => {
    const csv = `x,y\n${Array.from({ length: 6000 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`;
    const a = ingestCsv({ csv, labelColumn: 'y' });
    expect(a.referenceRowIndices).toHaveLength(5000);
    expect(ingestCsv({ csv, labelColumn: 'y' }).referenceRowIndices).toEqual(a.referenceRowIndices);
    expect(ingestCsv({ csv, labelColumn: 'y', seed: 9 }).referenceRowIndices).not.toEqual(a.referenceRowIndices);
  });
});

describe('ingestCsv: every rejection names where', () => {
  const base = { labelColumn: 'y' };
  const cases: Array<[string, Partial<IngestCsvInput> & { csv: string }, ErrorLocation, RegExp]> = [
    ['empty input', { csv: '' }, { field: 'input.csv' }, /CSV is empty/],
    ['header only', { csv: 'x,y\r\n' }, { field: 'input.csv' }, /header but no data rows/],
    ['empty column name', { csv: 'x,,y\n1,2,3\n' }, { field: 'input.csv', row: 0, index: 1 }, /Header column 2 has an empty name/],
    ['duplicate column name', { csv: 'x,y,x\n1,2,3\n' }, { field: 'input.csv', row: 0, column: 'x', index: 2 }, /Duplicate column name 'x'/],
    [
      'ragged row',
      { csv: 'x,y\n1,0\n2\n' },
      { field: 'input.csv', row: 2, column: 'y' },
      /Data row 2 \(1-based, header excluded; line 3\) has 1 fields, expected 2/,
    ],
    [
      'unknown label column',
      { csv: 'x,y\n1,0\n2,1\n', labelColumn: 'z' },
      { field: 'input.labelColumn', column: 'z' },
      /Label column 'z' is not in the CSV header/,
    ],
    ['label with one class', { csv: 'x,y\n1,0\n2,0\n' }, { field: 'input.labelColumn', column: 'y' }, /single value \('0'\)/],
    ['label with a missing value', { csv: 'x,y\n1,0\n2,1\n3,NA\n' }, { field: 'input.labelColumn', row: 3, column: 'y' }, /missing value in data row 3/],
    ['non-finite number', { csv: 'x,y\n1,0\n-inf,1\n' }, { field: 'input.csv', row: 2, column: 'x' }, /non-finite number '-inf' in data row 2/],
    [
      'NUMERIC override on a non-numeric value',
      { csv: 'x,y\n1,0\nabc,1\n', columnTypes: { x: 'NUMERIC' } },
      { field: 'input.columnTypes.x', row: 2, column: 'x' },
      /overridden as NUMERIC but data row 2 .* holds 'abc'/,
    ],
    [
      'override of an unknown column',
      { csv: 'x,y\n1,0\n2,1\n', columnTypes: { q: 'NUMERIC' } },
      { field: 'input.columnTypes.q', column: 'q' },
      /'q', which is not in the CSV header/,
    ],
    [
      'task that does not fit',
      { csv: 'x,y\n1,a\n2,b\n3,c\n', task: 'BINARY_CLASSIFICATION' },
      { field: 'input.task', column: 'y' },
      /needs exactly 2 label classes/,
    ],
    ['input over the byte limit', { csv: 'x,y\n1,0\n2,1\n', maxBytes: 10 }, { field: 'input.csv' }, /12 bytes, over the limit of 10 bytes/],
    ['input over the column limit', { csv: 'x,y,z\n1,0,1\n', maxColumns: 2 }, { field: 'input.csv', row: 0 }, /3 columns, over the limit of 2/],
    ['only the label column', { csv: 'y\n0\n1\n' }, { field: 'input.csv' }, /only the label column 'y'/],
  ];

  it.each(cases)('%s', (_name, input, location, message) => {
    expectValidationError(() => ingestCsv({ ...base, ...input }), location, message);
  });

  it('rejects over 1,000 columns by default', () => {
    const names = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const csv = `${names.join(',')}\n${names.map(() => '1').join(',')}\n`;
    expectValidationError(() => ingestCsv({ csv, labelColumn: 'c0' }), { field: 'input.csv', row: 0 }, /1001 columns, over the limit of 1000/);
  });
});
