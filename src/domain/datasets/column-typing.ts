/**
 * Decides each column's type (NUMERIC or CATEGORICAL) and turns its raw strings into the
 * column-oriented `DataTable`, cell by cell as a CSV streams in (`ColumnBuilder`).
 */

import { ValidationError } from '../errors';
import type { Cells } from './cell-column';
import { GrowableFloat64Array, GrowableInt32Array } from './growable-array';
import { CSV_FIELD, quoteValue } from './csv-parser';
import type { ColumnType, DataColumn, DataTable } from './data-table';

/** Input field of the per-column type overrides. */
export const COLUMN_TYPES_FIELD = 'input.columnTypes';

/** Per-column type overrides, by column name. */
export type ColumnTypeOverrides = Record<string, ColumnType>;

const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY_WORD = /^[+-]?inf(?:inity)?$/i;

/**
 * Missing-value rule: a cell is missing when its text (already trimmed of surrounding spaces by
 * the CSV parser) is empty, is exactly `NA`, or is `NaN` in any letter case (`NaN`, `nan`, `NAN`).
 * Missing cells become `NaN` in NUMERIC columns and code `-1` in CATEGORICAL columns, and are
 * never a category.
 */
export function isMissingValue(text: string): boolean {
  return text === '' || text === 'NA' || (text.length === 3 && text.toLowerCase() === 'nan');
}

/**
 * Number syntax: a cell is a number when it is written in decimal or exponent form, i.e. matches
 * `^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$` (`12`, `-0.5`, `+3.`, `.25`, `1e-3`, `6.02E23`). Hex,
 * octal and binary literals, thousands separators, `Infinity` and numeric words are not numbers.
 * Returns the value (possibly ±Infinity when the exponent overflows, as for `1e999`), or
 * `undefined` when the text is not a number.
 */
export function parseDecimal(text: string): number | undefined {
  return DECIMAL_NUMBER.test(text) ? Number(text) : undefined;
}

/**
 * Non-finite number: a cell that has number syntax but overflows to ±Infinity (`1e999`), or is
 * an infinity word: `inf` or `infinity` in any letter case with an optional sign (`Infinity`,
 * `-inf`, `+INF`).
 */
export function isNonFiniteNumber(text: string): boolean {
  if (INFINITY_WORD.test(text)) return true;
  const value = parseDecimal(text);
  return value !== undefined && !Number.isFinite(value);
}

/**
 * Typing rule (after the missing-value rule of {@link isMissingValue}):
 * - A column is NUMERIC when every non-missing cell is a finite number in decimal or exponent
 *   notation ({@link parseDecimal}) and at least one cell is not missing.
 * - Otherwise it is CATEGORICAL: its distinct non-missing texts are its categories, compared
 *   exactly (case- and space-sensitive), in order of first appearance. An all-missing column is
 *   CATEGORICAL with no categories.
 * - Non-finite numbers are rejected: when every non-missing cell of a column is a number or a
 *   non-finite number ({@link isNonFiniteNumber}) and at least one is non-finite, ingestion fails
 *   naming the first such row, rather than typing a numeric column CATEGORICAL because of an
 *   `Infinity`. In a column that also holds other text, `inf` is an ordinary category.
 * - Overrides (`columnTypes`) replace the inference: NUMERIC requires every non-missing cell to
 *   be a finite number (the first other cell is rejected with its row); CATEGORICAL keeps every
 *   non-missing cell as text, numbers included (e.g. zip codes).
 *
 * @throws ValidationError naming row (1-based data row) and column for a non-finite number or a
 *   non-numeric value in a NUMERIC override, and naming the field `input.columnTypes.<name>` for an
 *   override of an unknown column or with a type other than NUMERIC or CATEGORICAL.
 */
export function typeColumns(parsed: { header: string[]; rowCount: number; cells: readonly Cells[] }, overrides: ColumnTypeOverrides = {}): DataTable {
  checkColumnTypeOverrides(parsed.header, overrides);
  const builders = parsed.header.map((name, c) => {
    const builder = new ColumnBuilder(name, overrides[name], parsed.rowCount);
    const cells = parsed.cells[c];
    for (let r = 0; r < cells.length; r++) builder.add(cellAt(cells, r, name));
    return builder;
  });
  for (const builder of builders) {
    const error = builder.error();
    if (error) throw error;
  }
  const columns = builders.map((builder, c) => {
    for (let r = 0; r < builder.rowsToReread; r++) builder.addReread(cellAt(parsed.cells[c], r, builder.name));
    return builder.finish();
  });
  return { rowCount: parsed.rowCount, columns };
}

/** The text of the column's cell in `row`. @throws RangeError past the column's end. */
function cellAt(cells: Cells, row: number, column: string): string {
  const text = cells.at(row);
  if (text === undefined) throw new RangeError(`Column '${column}' has ${cells.length} cells, no row ${row}`);
  return text;
}

/**
 * Checks the overrides against the header (see {@link typeColumns}); they come from the client's
 * JSON, so each type is checked whatever it is.
 * @throws ValidationError naming the field `input.columnTypes.<name>`.
 */
export function checkColumnTypeOverrides(header: string[], overrides: Readonly<Record<string, unknown>>): void {
  const known = new Set(header);
  for (const [name, type] of Object.entries(overrides)) {
    const field = `${COLUMN_TYPES_FIELD}.${name}`;
    if (!known.has(name)) {
      throw new ValidationError(`columnTypes names column '${quoteValue(name)}', which is not in the CSV header`, {
        field,
        column: name,
      });
    }
    if (type !== 'NUMERIC' && type !== 'CATEGORICAL') {
      throw new ValidationError(`columnTypes.${name} must be NUMERIC or CATEGORICAL, got '${String(type)}'`, {
        field,
        column: name,
      });
    }
  }
}

/** Categories in order of first appearance, and a code per cell (-1 for a missing value). */
class CategoryCoder {
  readonly categories: string[] = [];
  readonly codes: GrowableInt32Array;
  private readonly codeOf = new Map<string, number>();

  constructor(capacity: number) {
    this.codes = new GrowableInt32Array(capacity);
  }

  add(text: string): void {
    this.codes.push(isMissingValue(text) ? -1 : this.codeFor(text));
  }

  /** The code of a category, adding it when it is new. */
  codeFor(text: string): number {
    let code = this.codeOf.get(text);
    if (code === undefined) {
      code = this.categories.length;
      this.categories.push(text);
      this.codeOf.set(text, code);
    }
    return code;
  }
}

/**
 * Types one column by the rules of {@link typeColumns} as its cells arrive, keeping only the typed
 * form: float64 values while every cell so far is a number (or missing), category codes from the
 * first cell that is not. The rows before that cell are coded at the end, from their text read
 * again ({@link rowsToReread}, {@link addReread}): no cell's text is kept while the CSV streams.
 */
export class ColumnBuilder {
  private numbers: GrowableFloat64Array | undefined;
  private present = 0;
  private firstNonFinite: { row: number; text: string } | undefined;
  private failure: ValidationError | undefined;
  /** Codes of the rows from {@link tailStart} on (every row when the override is CATEGORICAL). */
  private tail: CategoryCoder | undefined;
  private tailStart = 0;
  /** Codes of the rows before {@link tailStart}, from their text read again. */
  private head: CategoryCoder | undefined;
  private rows = 0;

  /** `capacity`: the most rows the column can have (memory is reserved for them, and used as they come). */
  constructor(
    readonly name: string,
    private readonly override: ColumnType | undefined,
    private readonly capacity: number,
  ) {
    if (override === 'CATEGORICAL') this.tail = new CategoryCoder(capacity);
    else this.numbers = new GrowableFloat64Array(capacity);
  }

  /** The next row's cell. */
  add(text: string): void {
    const row = this.rows++;
    if (this.failure) return;
    if (this.tail) return this.tail.add(text);
    const numbers = this.numbers;
    if (!numbers) throw new Error(`internal error: column '${this.name}' has neither numbers nor categories`);
    if (isMissingValue(text)) return numbers.push(NaN);
    const value = parseDecimal(text);
    if (value !== undefined && Number.isFinite(value)) {
      this.present++;
      return numbers.push(value);
    }
    const required = this.override === 'NUMERIC';
    if (isNonFiniteNumber(text)) {
      if (required) this.failure = nonFiniteError(this.name, text, row);
      this.firstNonFinite ??= { row, text };
      return numbers.push(NaN);
    }
    if (required) {
      this.failure = new ValidationError(
        `Column '${quoteValue(this.name)}' is overridden as NUMERIC but data row ${row + 1} (1-based, header excluded) holds '${quoteValue(text)}', which is not a number`,
        { field: `${COLUMN_TYPES_FIELD}.${this.name}`, row: row + 1, column: this.name },
      );
      return;
    }
    this.numbers = undefined;
    this.tail = new CategoryCoder(this.capacity);
    this.tailStart = row;
    this.tail.add(text);
  }

  /** Why the column cannot be typed, once every cell was added: the error {@link finish} would throw. */
  error(): ValidationError | undefined {
    if (this.failure) return this.failure;
    if (this.numbers && this.firstNonFinite) return nonFiniteError(this.name, this.firstNonFinite.text, this.firstNonFinite.row);
    return undefined;
  }

  /** How many rows, from the first, {@link finish} needs the text of again (those before the column turned CATEGORICAL). */
  get rowsToReread(): number {
    return this.tail ? this.tailStart : 0;
  }

  /** The text of the next of the first {@link rowsToReread} rows, read again. */
  addReread(text: string): void {
    (this.head ??= new CategoryCoder(this.tailStart)).add(text);
  }

  /**
   * The typed column; the builder's storage is released.
   * @throws ValidationError as {@link error} says; RangeError when the rows to read again were not all given.
   */
  finish(): DataColumn {
    const error = this.error();
    if (error) throw error;
    if (this.numbers) {
      if (this.present === 0 && this.override !== 'NUMERIC') {
        return { name: this.name, type: 'CATEGORICAL', categories: [], codes: new Int32Array(this.rows).fill(-1) };
      }
      return { name: this.name, type: 'NUMERIC', values: this.numbers.take() };
    }
    const tail = this.tail;
    if (!tail) throw new Error(`internal error: column '${this.name}' has neither numbers nor categories`);
    if (this.tailStart === 0) return { name: this.name, type: 'CATEGORICAL', categories: tail.categories, codes: tail.codes.take() };
    const head = this.head;
    if (head?.codes.length !== this.tailStart) {
      throw new RangeError(`Column '${this.name}' needs the text of its first ${this.tailStart} rows again, got ${head?.codes.length ?? 0}`);
    }
    // Categories keep their order of first appearance: the head's, then the tail's new ones.
    const tailToFinal = tail.categories.map((category) => head.codeFor(category));
    const codes = new Int32Array(this.rows);
    codes.set(head.codes.take());
    const tailCodes = tail.codes.take();
    for (let i = 0; i < tailCodes.length; i++) codes[this.tailStart + i] = tailCodes[i] < 0 ? -1 : tailToFinal[tailCodes[i]];
    return { name: this.name, type: 'CATEGORICAL', categories: head.categories, codes };
  }
}

function nonFiniteError(name: string, text: string, index: number): ValidationError {
  return new ValidationError(
    `Column '${quoteValue(name)}' has the non-finite number '${quoteValue(text)}' in data row ${index + 1} (1-based, header excluded); numbers must be finite`,
    { field: CSV_FIELD, row: index + 1, column: name },
  );
}
