import { isMissingValue, isNonFiniteNumber, parseDecimal, typeColumns } from '../../../src/domain/datasets/column-typing';
import { parseCsv } from '../../../src/domain/datasets/csv-parser';
import type { CategoricalColumn, NumericColumn } from '../../../src/domain/datasets/data-table';
import { expectValidationError } from './expect-validation-error';

const typed = (csv: string, overrides = {}) => typeColumns(parseCsv(csv), overrides);

describe('missing values and number syntax', () => {
  it('treats empty, NA and any-case NaN as missing, and nothing else', () => {
    for (const text of ['', 'NA', 'NaN', 'nan', 'NAN']) expect(isMissingValue(text)).toBe(true);
    for (const text of ['na', 'N/A', 'null', 'None', '-', '0', 'nano']) expect(isMissingValue(text)).toBe(false);
  });

  it('accepts decimal and exponent notation only', () => {
    expect(['12', '-0.5', '+3.', '.25', '1e-3', '6.02E23', '007'].map(parseDecimal)).toEqual([12, -0.5, 3, 0.25, 0.001, 6.02e23, 7]);
    for (const text of ['0x1F', '0b101', '0o7', '1_000', '1,000', 'Infinity', '1e', 'e5', '.', '-', '1 2', '']) {
      expect(parseDecimal(text)).toBeUndefined();
    }
  });

  it('recognizes infinity words and overflowing exponents as non-finite', () => {
    for (const text of ['Infinity', '-Infinity', '+inf', 'INF', '-inf', '1e999', '-1e400']) expect(isNonFiniteNumber(text)).toBe(true);
    for (const text of ['1e308', 'info', 'infinite', 'abc', '']) expect(isNonFiniteNumber(text)).toBe(false);
  });
});

describe('typeColumns', () => {
  it('types numeric, categorical and all-missing columns, with missing as NaN and -1', () => {
    const table = typed('x,c,blank,mixed\n1.5,a,,1\nNA,b,NA,two\n-2e1,a,NaN,3\n,NA,,\n');
    expect(table.rowCount).toBe(4);
    const [x, c, blank, mixed] = table.columns;
    expect(x.type).toBe('NUMERIC');
    expect(Array.from((x as NumericColumn).values)).toEqual([1.5, NaN, -20, NaN]);
    expect(c).toEqual({ name: 'c', type: 'CATEGORICAL', categories: ['a', 'b'], codes: Int32Array.from([0, 1, 0, -1]) });
    expect(blank).toEqual({ name: 'blank', type: 'CATEGORICAL', categories: [], codes: Int32Array.from([-1, -1, -1, -1]) });
    expect(mixed).toEqual({ name: 'mixed', type: 'CATEGORICAL', categories: ['1', 'two', '3'], codes: Int32Array.from([0, 1, 2, -1]) });
  });

  it('keeps category text exactly (case and inner spaces matter)', () => {
    const c = typed('c\nYes\nyes\n" yes"\n').columns[0] as CategoricalColumn;
    expect(c.categories).toEqual(['Yes', 'yes', ' yes']);
  });

  it('rejects a non-finite number in an otherwise numeric column, naming the first such row', () => {
    expectValidationError(
      () => typed('x,y\n1,a\n2,b\ninf,c\n1e999,d\n'),
      { field: 'input.csv', row: 3, column: 'x' },
      /^Column 'x' has the non-finite number 'inf' in data row 3 \(1-based, header excluded\); numbers must be finite$/,
    );
    expectValidationError(() => typed('x,y\n1e999,a\n2,b\n'), { field: 'input.csv', row: 1, column: 'x' }, /'1e999' in data row 1/);
    expectValidationError(() => typed('x,y\nNA,a\n-Infinity,b\n'), { field: 'input.csv', row: 2, column: 'x' }, /'-Infinity'/);
  });

  it('keeps an infinity word as a category in a column that also holds other text', () => {
    const c = typed('level,y\nlow,1\ninf,2\nhigh,3\n').columns[0] as CategoricalColumn;
    expect(c.categories).toEqual(['low', 'inf', 'high']);
  });

  it('applies a CATEGORICAL override to numeric text', () => {
    const zip = typed('zip,y\n02134,1\n10001,0\n', { zip: 'CATEGORICAL' }).columns[0] as CategoricalColumn;
    expect(zip.categories).toEqual(['02134', '10001']);
  });

  it('applies a NUMERIC override, including to an all-missing column', () => {
    const table = typed('x,y\n,a\nNA,b\n', { x: 'NUMERIC' });
    expect(table.columns[0].type).toBe('NUMERIC');
    expect(Array.from((table.columns[0] as NumericColumn).values)).toEqual([NaN, NaN]);
  });

  it('rejects a NUMERIC override on a non-numeric value, naming row and column', () => {
    expectValidationError(
      () => typed('id,size\n1,3\n2,large\n3,4\n', { size: 'NUMERIC' }),
      { field: 'input.columnTypes.size', row: 2, column: 'size' },
      /^Column 'size' is overridden as NUMERIC but data row 2 \(1-based, header excluded\) holds 'large', which is not a number$/,
    );
  });

  it('rejects a non-finite value under a NUMERIC override as non-finite', () => {
    expectValidationError(
      () => typed('x,y\n1,a\nInfinity,b\nz,c\n', { x: 'NUMERIC' }),
      { field: 'input.csv', row: 2, column: 'x' },
      /non-finite number 'Infinity'/,
    );
  });

  it('rejects overrides of unknown columns and unknown types', () => {
    expectValidationError(
      () => typed('x,y\n1,2\n', { z: 'NUMERIC' }),
      { field: 'input.columnTypes.z', column: 'z' },
      /columnTypes names column 'z', which is not in the CSV header/,
    );
    expectValidationError(
      () => typed('x,y\n1,2\n', { x: 'TEXT' }),
      { field: 'input.columnTypes.x', column: 'x' },
      /must be NUMERIC or CATEGORICAL, got 'TEXT'/,
    );
  });
});
