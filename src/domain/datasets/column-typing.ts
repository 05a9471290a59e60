/**
 * Decides each column's type (NUMERIC or CATEGORICAL) and turns its raw strings into the
 * column-oriented `DataTable`.
 */

import { ValidationError } from '../errors';
import type { Cells } from './cell-column';
import { CSV_FIELD, quoteValue } from './csv-parser';
import type { CategoricalColumn, ColumnType, DataColumn, DataTable, NumericColumn } from './data-table';

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
  checkOverrides(parsed.header, overrides);
  const columns = parsed.header.map((name, c) => typeColumn(name, parsed.cells[c], overrides[name]));
  return { rowCount: parsed.rowCount, columns };
}

/** `overrides` as the client sent them: their types are checked here. */
function checkOverrides(header: string[], overrides: Readonly<Record<string, unknown>>): void {
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

function typeColumn(name: string, cells: Cells, override: ColumnType | undefined): DataColumn {
  if (override === 'CATEGORICAL') return toCategorical(name, cells);
  const numeric = toNumeric(name, cells, override === 'NUMERIC');
  return numeric ?? toCategorical(name, cells);
}

/**
 * Reads the column as numbers, or returns undefined when it is not numeric. Throws for a
 * non-finite number in an otherwise numeric column, and for any non-number when `required`.
 */
function toNumeric(name: string, cells: Cells, required: boolean): NumericColumn | undefined {
  const values = new Float64Array(cells.length);
  let present = 0;
  let firstNonFinite = -1;
  for (let r = 0; r < cells.length; r++) {
    const text = cellAt(cells, r);
    if (isMissingValue(text)) {
      values[r] = NaN;
      continue;
    }
    const value = parseDecimal(text);
    if (value !== undefined && Number.isFinite(value)) {
      values[r] = value;
      present++;
    } else if (isNonFiniteNumber(text)) {
      if (required) throw nonFiniteError(name, text, r);
      if (firstNonFinite < 0) firstNonFinite = r;
    } else if (required) {
      throw new ValidationError(
        `Column '${quoteValue(name)}' is overridden as NUMERIC but data row ${r + 1} (1-based, header excluded) holds '${quoteValue(text)}', which is not a number`,
        { field: `${COLUMN_TYPES_FIELD}.${name}`, row: r + 1, column: name },
      );
    } else {
      return undefined;
    }
  }
  if (firstNonFinite >= 0) throw nonFiniteError(name, cellAt(cells, firstNonFinite), firstNonFinite);
  if (present === 0 && !required) return undefined;
  return { name, type: 'NUMERIC', values };
}

/** The text of row `row`, which is below `cells.length`. */
function cellAt(cells: Cells, row: number): string {
  const text = cells.at(row);
  if (text === undefined) throw new RangeError(`row ${row} is outside a column of ${cells.length} cells`);
  return text;
}

function nonFiniteError(name: string, text: string, index: number): ValidationError {
  return new ValidationError(
    `Column '${quoteValue(name)}' has the non-finite number '${quoteValue(text)}' in data row ${index + 1} (1-based, header excluded); numbers must be finite`,
    { field: CSV_FIELD, row: index + 1, column: name },
  );
}

function toCategorical(name: string, cells: Cells): CategoricalColumn {
  const categories: string[] = [];
  const codeOf = new Map<string, number>();
  const codes = new Int32Array(cells.length);
  for (let r = 0; r < cells.length; r++) {
    const text = cellAt(cells, r);
    if (isMissingValue(text)) {
      codes[r] = -1;
      continue;
    }
    let code = codeOf.get(text);
    if (code === undefined) {
      code = categories.length;
      categories.push(text);
      codeOf.set(text, code);
    }
    codes[r] = code;
  }
  return { name, type: 'CATEGORICAL', categories, codes };
}
