import fs from 'node:fs';
import path from 'node:path';
import { CellColumn } from '../../../src/domain/datasets/cell-column';
import { parseCsv } from '../../../src/domain/datasets/csv-parser';
import { expectValidationError } from './expect-validation-error';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8');

describe('parseCsv', () => {
  it('reads quoted fields with embedded commas, quotes and newlines', () => {
    const parsed = parseCsv('city,note,y\n"Paris, FR","said ""hi""",1\n"Oslo","two\nlines",0\n');
    expect(parsed.header).toEqual(['city', 'note', 'y']);
    expect(parsed.rowCount).toBe(2);
    expect(parsed.cells.map((column) => column.toArray())).toEqual([
      ['Paris, FR', 'Oslo'],
      ['said "hi"', 'two\nlines'],
      ['1', '0'],
    ]);
  });

  it('drops a UTF-8 BOM and reads CRLF line ends', () => {
    const parsed = parseCsv('\uFEFFa,b\r\n1,"x\r\ny"\r\n2,z\r\n');
    expect(parsed.header).toEqual(['a', 'b']);
    expect(parsed.cells.map((column) => column.toArray())).toEqual([
      ['1', '2'],
      ['x\r\ny', 'z'],
    ]);
  });

  it('trims spaces outside quotes, keeps them inside, and skips blank lines', () => {
    const parsed = parseCsv(' a , b \n 1 , " x " \n\n2,y\n\n');
    expect(parsed.header).toEqual(['a', 'b']);
    expect(parsed.cells.map((column) => column.toArray())).toEqual([
      ['1', '2'],
      [' x ', 'y'],
    ]);
  });

  it('reads the CRLF iris fixture: 150 rows, 5 columns', () => {
    const parsed = parseCsv(fixture('iris.csv'));
    expect(parsed.header).toEqual(['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm', 'species']);
    expect(parsed.rowCount).toBe(150);
    expect(parsed.cells[4].at(149)).toBe('virginica');
  });

  describe('rejections', () => {
    it('rejects empty input', () => {
      expectValidationError(() => parseCsv(''), { field: 'input.csv' }, /CSV is empty/);
      expectValidationError(() => parseCsv('\uFEFF\r\n\n'), { field: 'input.csv' }, /CSV is empty/);
    });

    it('rejects a header without data rows', () => {
      expectValidationError(() => parseCsv('a,b,c\r\n'), { field: 'input.csv' }, /header but no data rows/);
    });

    it('rejects an empty column name, giving its position', () => {
      expectValidationError(() => parseCsv('a,,c\n1,2,3\n'), { field: 'input.csv', row: 0, index: 1 }, /Header column 2 has an empty name/);
      expectValidationError(() => parseCsv('a,b,"  "\n1,2,3\n'), { field: 'input.csv', row: 0, index: 2 }, /Header column 3/);
    });

    it('rejects a duplicate column name', () => {
      expectValidationError(
        () => parseCsv('a,b,a\n1,2,3\n'),
        { field: 'input.csv', row: 0, column: 'a', index: 2 },
        /Duplicate column name 'a' in the header \(columns 1 and 3\)/,
      );
    });

    it('rejects a short row, naming its data row and the first absent column', () => {
      expectValidationError(
        () => parseCsv('a,b,c\n1,2,3\n4,5\n'),
        { field: 'input.csv', row: 2, column: 'c' },
        /^Data row 2 \(1-based, header excluded; line 3\) has 2 fields, expected 3: column 'c' is absent$/,
      );
    });

    it('rejects a long row, counting data rows (not lines) across a quoted newline', () => {
      expectValidationError(
        () => parseCsv('a,b\n"x\ny",1\n2,3,4\n'),
        { field: 'input.csv', row: 2 },
        /^Data row 2 \(1-based, header excluded; line 4\) has 3 fields, expected 2$/,
      );
    });

    it('turns csv-parse syntax errors into ValidationErrors with the data row and line', () => {
      expectValidationError(
        () => parseCsv('a,b\n1,2\n3,"ab"c\n'),
        { field: 'input.csv', row: 2 },
        /^Malformed CSV in data row 2 \(1-based, header excluded; line 3\): Invalid Closing Quote/,
      );
      expectValidationError(() => parseCsv('a,b\n1,2\n3,"open\n4,5\n'), { field: 'input.csv', row: 2 }, /Malformed CSV in data row 2 .*Quote Not Closed/);
      expectValidationError(() => parseCsv('a,"b\n'), { field: 'input.csv', row: 0 }, /Malformed CSV in header/);
    });

    it('rejects input over the byte limit (default 100 MB), counting UTF-8 bytes', () => {
      const text = 'a,b\n1,é\n'; // 9 bytes: é is two bytes in UTF-8
      expect(parseCsv(text, { maxBytes: 9 }).rowCount).toBe(1);
      expectValidationError(() => parseCsv(text, { maxBytes: 8 }), { field: 'input.csv' }, /9 bytes, over the limit of 8 bytes/);
      const overDefault = 'x'.repeat(100 * 1024 * 1024 + 1);
      expectValidationError(() => parseCsv(overDefault), { field: 'input.csv' }, /104857601 bytes, over the limit of 104857600 bytes/);
    });

    it('rejects a NUL or a lone surrogate in a cell or a column name, naming its row and column', () => {
      expectValidationError(
        () => parseCsv('a,b\n1,2\n3,x\u0000y\n'),
        { field: 'input.csv', row: 2, column: 'b' },
        /Data row 2, column 'b', contains a NUL character/,
      );
      expectValidationError(
        () => parseCsv('a,"b\uD800"\n1,2\n'),
        { field: 'input.csv', row: 0, index: 1 },
        /Header column 2 contains a lone UTF-16 surrogate \(U\+D800\)/,
      );
      expectValidationError(() => parseCsv('a,b\n"\uDFFF",2\n'), { field: 'input.csv', row: 1, column: 'a' }, /lone UTF-16 surrogate/);
      expect(parseCsv('a,b\n🔑,é\n').cells.map((column) => column.toArray())).toEqual([['🔑'], ['é']]);
    });

    it('rejects more columns than the limit, and by default over 1,000', () => {
      expect(parseCsv('a,b,c\n1,2,3\n', { maxColumns: 3 }).header).toHaveLength(3);
      expectValidationError(() => parseCsv('a,b,c\n1,2,3\n', { maxColumns: 2 }), { field: 'input.csv', row: 0 }, /3 columns, over the limit of 2/);
      const names = Array.from({ length: 1001 }, (_, i) => `c${i}`);
      const wide = `${names.join(',')}\n${names.map(() => '1').join(',')}\n`;
      expectValidationError(() => parseCsv(wide), { field: 'input.csv', row: 0 }, /1001 columns, over the limit of 1000/);
      expect(
        parseCsv(
          `${names.slice(1).join(',')}\n${names
            .slice(1)
            .map(() => '1')
            .join(',')}\n`,
        ).header,
      ).toHaveLength(1000);
    });
  });
});

describe('CellColumn', () => {
  it('gives back every cell as pushed, across growth, whatever its characters', () => {
    const column = new CellColumn();
    const cells = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? '' : i % 5 === 0 ? `ville-é-🔑-${i}` : String(i * 1.5)));
    for (const cell of cells) column.push(cell);
    expect(column.length).toBe(cells.length);
    expect(column.toArray()).toEqual(cells);
    expect([column.at(-1), column.at(cells.length)]).toEqual([undefined, undefined]);
  });
});
