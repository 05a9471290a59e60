import fc from 'fast-check';
import { hostileNumber, hostileString } from './fuzz';

/**
 * CSV files for properties and fuzzers: as writers produce them and as broken ones would (ragged
 * rows, quotes, BOMs, line endings, blank lines, hostile cells and names), and column by column
 * (numeric columns, some of which turn to text late, categorical and empty ones).
 */

/** A cell as a CSV writer might produce it, or as a broken one would. */
export const csvCell = fc.oneof(
  { weight: 6, arbitrary: hostileNumber.map(String) },
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', '', 'NA', 'null', 'true', ' 1 ', '1,5', '1e3', '-', '0x10', 'Infinity') },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileString.map((text) => `"${text.replace(/"/g, '""')}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"unterminated', 'a"b', '"a""', '"\n"', '"x",y') },
);

const headerName = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('x', 'y', 'z', 'label', 'color', 'x') }, { weight: 1, arbitrary: hostileString });

/** A CSV and its header names (as written, before any parsing). */
export interface CsvDocument {
  header: string[];
  csv: string;
}

const layout = fc.record({ newline: fc.constantFrom('\n', '\r\n', '\r'), bom: fc.boolean(), blankLines: fc.boolean() });

function render(header: string[], body: string[], { newline, bom, blankLines }: { newline: string; bom: boolean; blankLines: boolean }): CsvDocument {
  const lines = [header.join(','), ...body];
  if (blankLines) lines.splice(1 + Math.floor(lines.length / 2), 0, '');
  return { header, csv: `${bom ? '\uFEFF' : ''}${lines.join(newline)}${newline}` };
}

/** Rows of hostile cells, regular or ragged. */
const freeForm: fc.Arbitrary<CsvDocument> = fc
  .record({
    header: fc.array(headerName, { minLength: 1, maxLength: 5 }),
    rows: fc.array(fc.array(csvCell, { minLength: 0, maxLength: 6 }), { maxLength: 25 }),
    regular: fc.boolean(),
    layout,
  })
  .map(({ header, rows, regular, layout: look }) =>
    render(
      header,
      rows.map((cells) => (regular ? header.map((_, i) => cells[i] ?? '1') : cells).join(',')),
      look,
    ),
  );

const number = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((value) => value.toFixed(3)),
  fc.constantFrom('1e3', '.5', '+2', '007', '1.0', '1'),
);
const missing = fc.constantFrom('', 'NA', 'nan', 'NaN');
const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('red', 'green', 'blue', 'x y', '"q,uoted"', 'é') },
  { weight: 1, arbitrary: fc.constantFrom('inf', '-Infinity', '1e999') },
);

/** A label column: classes (numbers or words, every row labelled) or numbers. */
const labels = (rows: number): fc.Arbitrary<string[]> =>
  fc.oneof(
    fc.array(fc.constantFrom('0', '1'), { minLength: rows, maxLength: rows }),
    fc.array(fc.constantFrom('yes', 'no', 'maybe'), { minLength: rows, maxLength: rows }),
    fc.array(fc.integer({ min: 0, max: 4 }).map(String), { minLength: rows, maxLength: rows }),
    fc.array(number, { minLength: rows, maxLength: rows }),
  );

/** The cells of one column, by kind. */
const column = (rows: number): fc.Arbitrary<string[]> =>
  fc.oneof(
    fc.array(fc.oneof({ weight: 9, arbitrary: number }, { weight: 1, arbitrary: missing }), { minLength: rows, maxLength: rows }),
    fc
      .tuple(fc.array(fc.oneof({ weight: 9, arbitrary: number }, { weight: 1, arbitrary: missing }), { minLength: rows, maxLength: rows }), fc.nat(), word)
      .map(([cells, at, text]) => cells.map((cell, row) => (row === at % rows ? text : cell))),
    fc.array(fc.oneof(word, number, missing), { minLength: rows, maxLength: rows }),
    fc.array(missing, { minLength: rows, maxLength: rows }),
  );

/** Well-formed files built column by column: features numeric, numeric turning to text at some row, mixed or empty; a label last. */
const columnWise: fc.Arbitrary<CsvDocument> = fc
  .record({ rows: fc.integer({ min: 1, max: 40 }), columns: fc.integer({ min: 0, max: 4 }) })
  .chain(({ rows, columns }) => fc.record({ features: fc.array(column(rows), { minLength: columns, maxLength: columns }), label: labels(rows), layout }))
  .map(({ features, label, layout: look }) => {
    const cells = [...features, label];
    const header = cells.map((_, c) => (c === cells.length - 1 ? 'label' : `c${c}`));
    const body = cells[0].map((_, row) => cells.map((values) => values[row]).join(','));
    return render(header, body, look);
  });

/** Any CSV file: free-form (mostly refused) or column-wise (mostly accepted). */
export const csvDocument: fc.Arbitrary<CsvDocument> = fc.oneof(freeForm, columnWise);
