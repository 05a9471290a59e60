/**
 * Reads the CSV text a user uploads, chunk by chunk, into a header and one record per data row,
 * rejecting everything that cannot become a dataset with a `ValidationError` that names where.
 * Nothing here holds the whole text: a 100 MB upload is read 1 MiB at a time.
 */

import { CsvError, Parser } from 'csv-parse';
import { findUnstorableCharacter, type UnstorableCharacter } from '../common/storable-text';
import { CellColumn } from './cell-column';
import { ValidationError } from '../errors';

/** Input field the CSV text arrives in; every parse error points at it. */
export const CSV_FIELD = 'input.csv';

/** @default 100 MB (100 * 1024 * 1024 bytes of UTF-8) */
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
/** @default 1,000 columns */
export const DEFAULT_MAX_COLUMNS = 1000;

/** Size limits applied before and while parsing. */
export interface CsvLimits {
  /** Largest accepted input, in bytes of its UTF-8 encoding. @default DEFAULT_MAX_BYTES */
  maxBytes?: number;
  /** Most columns accepted in the header. @default DEFAULT_MAX_COLUMNS */
  maxColumns?: number;
}

/**
 * CSV text delivered in chunks, which can be delivered again from the start (typing a column that
 * turns out to be categorical late reads the rows before that again).
 */
export interface CsvText {
  /** The text in order. A chunk ends on a whole character: a surrogate pair is never split. */
  chunks(): Iterable<string>;
  /** UTF-8 bytes of the whole text, when known before reading: an oversize input is refused unread. */
  readonly byteLength?: number;
}

/** Characters per chunk of {@link csvText}. */
const TEXT_CHUNK_CHARS = 1024 * 1024;

/** A string as {@link CsvText}, in chunks of about 1 Mi characters (slices: nothing is copied). */
export function csvText(text: string): CsvText {
  return {
    byteLength: Buffer.byteLength(text, 'utf8'),
    *chunks() {
      for (let start = 0; start < text.length;) {
        let end = Math.min(text.length, start + TEXT_CHUNK_CHARS);
        const code = text.charCodeAt(end - 1);
        // Never end a chunk between the two halves of a surrogate pair.
        if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
        yield text.slice(start, end);
        start = end;
      }
    },
  };
}

/** What {@link readCsv} hands on as it reads. */
export interface CsvSink {
  header(names: string[]): void;
  /** Data row `row` (1-based, header excluded); `cells` has exactly one (trimmed) value per column. */
  record(cells: string[], row: number): void;
  /** Every chunk of the input as UTF-8 bytes, in order (for the content hash). */
  bytes?(chunk: Buffer): void;
}

/** What {@link readCsv} read. */
export interface CsvShape {
  header: string[];
  rowCount: number;
  /** UTF-8 bytes of the whole input. */
  byteLength: number;
}

/** A parsed CSV: column names and, per column, one raw (trimmed) string per data row. */
export interface ParsedCsv {
  header: string[];
  /** `cells[c].at(r)` is the value of column `c` in data row `r + 1` (stored compactly). */
  cells: CellColumn[];
  rowCount: number;
}

/** Where the first character PostgreSQL cannot store is, in the whole input. */
interface UnstorableAt extends UnstorableCharacter {
  /** UTF-8 byte offset of that character. */
  byte: number;
}

/**
 * Reads CSV per RFC 4180: fields separated by commas, records by LF or CRLF, fields optionally
 * double-quoted, quotes escaped by doubling, commas and newlines allowed inside quotes. A leading
 * UTF-8 byte order mark is dropped. Spaces around fields (outside quotes) are trimmed; spaces inside
 * quotes are kept. Blank lines are skipped. The first record is the header. Streaming: each chunk is
 * parsed as it comes (by csv-parse, fed chunk by chunk) and handed to `sink` record by record.
 *
 * Rows in errors are data rows: data row 1 is the first record after the header, and the header
 * itself is row 0. They differ from file line numbers when quoted fields span lines or blank lines
 * are skipped, so parse errors also give the line.
 *
 * @throws ValidationError (field `input.csv`) for: input over `maxBytes` (whatever else is wrong
 *   with it: after any other error the rest is only counted); empty input; a header with no data
 *   rows; more than `maxColumns` columns; an empty (or all-space) or duplicate column name (row 0,
 *   `index` = 0-based column position); a row with a different number of fields than the header
 *   (row, and for a short row the first absent column); malformed quoting (row and line); a cell
 *   or column name PostgreSQL cannot store as sent, a NUL or a lone surrogate (row and column).
 *   Errors thrown by `sink` propagate as they are.
 */
export function readCsv(text: CsvText, sink: CsvSink, limits: CsvLimits = {}): CsvShape {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxColumns = limits.maxColumns ?? DEFAULT_MAX_COLUMNS;
  if (text.byteLength !== undefined && text.byteLength > maxBytes) throw tooLarge(text.byteLength, maxBytes);

  let header: string[] | undefined;
  let rowCount = 0;
  let unstorable: UnstorableAt | undefined;

  const onRecord = (record: string[], line: number, bytesRead: number): void => {
    if (unstorable && bytesRead > unstorable.byte) throw unstorableCellError(record, header, rowCount + (header === undefined ? 0 : 1), unstorable.reason);
    if (header === undefined) {
      header = checkHeader(record, maxColumns);
      sink.header(header);
      return;
    }
    const row = rowCount + 1;
    if (record.length !== header.length) {
      throw raggedRowError(record.length, header, row, line);
    }
    sink.record(record, row);
    rowCount = row;
  };
  const parser = new Parser({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    on_record: (record: string[], context) => {
      onRecord(record, context.lines, context.bytes);
      return null;
    },
  });
  const parse = (chunk: Buffer | undefined): void => {
    let failure: Error | null | undefined;
    const done = (error?: Error | null) => {
      failure = error;
    };
    if (chunk === undefined) parser._flush(done);
    else parser._transform(chunk, 'utf8', done);
    if (failure instanceof CsvError) throw csvSyntaxError(failure);
    if (failure) throw failure;
  };

  let chars = 0;
  let bytes = 0;
  let refusal: ValidationError | undefined;
  for (const chunk of text.chunks()) {
    const chunkBytes = Buffer.byteLength(chunk, 'utf8');
    if (refusal === undefined && bytes + chunkBytes > maxBytes) refusal = tooLarge(bytes + chunkBytes, maxBytes);
    if (refusal !== undefined) {
      // Refused already: only the size is still of interest (an oversize input is refused as such).
      bytes += chunkBytes;
      continue;
    }
    const found = unstorable ? undefined : findUnstorableCharacter(chunk);
    if (found) unstorable = { offset: chars + found.offset, byte: bytes + Buffer.byteLength(chunk.slice(0, found.offset), 'utf8'), reason: found.reason };
    const encoded = Buffer.from(chunk, 'utf8');
    chars += chunk.length;
    bytes += chunkBytes;
    sink.bytes?.(encoded);
    try {
      parse(encoded);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      refusal = error;
    }
  }
  if (bytes > maxBytes) throw tooLarge(bytes, maxBytes);
  if (refusal) throw refusal;
  parse(undefined);

  if (unstorable) {
    throw new ValidationError(`CSV ${unstorable.reason} at character ${unstorable.offset}`, { field: CSV_FIELD });
  }
  if (header === undefined) {
    throw new ValidationError('CSV is empty: expected a header row and at least one data row', { field: CSV_FIELD });
  }
  if (rowCount === 0) {
    throw new ValidationError('CSV has a header but no data rows', { field: CSV_FIELD });
  }
  return { header, rowCount, byteLength: bytes };
}

/** Reads a whole CSV string into cells (see {@link readCsv} for the rules and errors). */
export function parseCsv(text: string, limits: CsvLimits = {}): ParsedCsv {
  let cells: CellColumn[] = [];
  const { header, rowCount } = readCsv(
    csvText(text),
    {
      header: (names) => {
        cells = names.map(() => new CellColumn());
      },
      record: (record) => record.forEach((cell, c) => cells[c].push(cell)),
    },
    limits,
  );
  return { header, cells, rowCount };
}

function tooLarge(byteLength: number, maxBytes: number): ValidationError {
  return new ValidationError(`CSV is ${byteLength} bytes, over the limit of ${maxBytes} bytes`, { field: CSV_FIELD });
}

function checkHeader(names: string[], maxColumns: number): string[] {
  if (names.length > maxColumns) {
    throw new ValidationError(`CSV has ${names.length} columns, over the limit of ${maxColumns}`, {
      field: CSV_FIELD,
      row: 0,
    });
  }
  const firstPosition = new Map<string, number>();
  names.forEach((name, index) => {
    if (name.trim() === '') {
      throw new ValidationError(`Header column ${index + 1} has an empty name`, { field: CSV_FIELD, row: 0, index });
    }
    const earlier = firstPosition.get(name);
    if (earlier !== undefined) {
      throw new ValidationError(`Duplicate column name '${quoteValue(name)}' in the header (columns ${earlier + 1} and ${index + 1})`, {
        field: CSV_FIELD,
        row: 0,
        column: name,
        index,
      });
    }
    firstPosition.set(name, index);
  });
  return names;
}

/**
 * The error for the record that holds an unstorable character. csv-parse reads UTF-8 bytes, where a
 * lone surrogate has become U+FFFD: the column is the first cell with a NUL or a U+FFFD.
 */
function unstorableCellError(record: readonly string[], header: readonly string[] | undefined, row: number, reason: string): ValidationError {
  const index = record.findIndex((cell) => cell.includes('\u0000') || cell.includes('\uFFFD'));
  const column = index < 0 ? undefined : header?.[index];
  const place = header === undefined ? `Header column ${index + 1}` : `Data row ${row}${column === undefined ? '' : `, column '${quoteValue(column)}',`}`;
  return new ValidationError(`${place} ${reason}`, {
    field: CSV_FIELD,
    row,
    ...(column !== undefined ? { column } : index >= 0 ? { index } : {}),
  });
}

function raggedRowError(fieldCount: number, header: string[], row: number, line: number): ValidationError {
  const expected = header.length;
  const message = `Data row ${row} (1-based, header excluded; line ${line}) has ${fieldCount} fields, expected ${expected}`;
  // A short row is missing a known column; a long row has extra fields no column names.
  const column = fieldCount < expected ? header[fieldCount] : undefined;
  return new ValidationError(column === undefined ? message : `${message}: column '${quoteValue(column)}' is absent`, {
    field: CSV_FIELD,
    row,
    ...(column === undefined ? {} : { column }),
  });
}

function csvSyntaxError(error: CsvError): ValidationError {
  // csv-parse counts records including the header, so the failing record's data row number equals the
  // count of records completed before it.
  const context = error as CsvError & { lines?: number; records?: number };
  const row = context.records ?? 0;
  const line = context.lines ?? '?';
  const place = row === 0 ? `header (line ${line})` : `data row ${row} (1-based, header excluded; line ${line})`;
  return new ValidationError(`Malformed CSV in ${place}: ${error.message}`, { field: CSV_FIELD, row });
}

/** Shortens a user value for an error message. */
export function quoteValue(value: string, maxLength = 40): string {
  return value.length <= maxLength ? value : `${value.slice(0, maxLength)}…`;
}
