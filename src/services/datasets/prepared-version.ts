/**
 * Everything a dataset version stores, computed from its CSV before the write transaction opens:
 * the ingest (parse, types, checks, profiles, hash, reference sample), one columnar encoding per
 * column, and the gzip of the source. The text streams through (see `ingestCsv`); run it off the
 * event loop for large inputs (`ingest-threads.ts`).
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { encodeDataTableParts } from '../../domain/datasets/columnar-codec';
import type { CsvText } from '../../domain/datasets/csv-parser';
import type { DataTable } from '../../domain/datasets/data-table';
import { ingestCsv, type IngestCsvInput, type IngestedDataset } from '../../domain/datasets/dataset-ingest';

/** The ingest's settings (everything of `ingestCsv`'s input but the text). */
export type IngestOptions = Omit<IngestCsvInput, 'csv'>;

/** Bytes per page of the stored gzip. */
export const GZIP_PAGE_BYTES = 1024 * 1024;

/** A dataset version ready to be written; every field survives a structured clone (worker threads). */
export interface PreparedVersion extends Omit<IngestedDataset, 'table' | 'byteLength'> {
  sizeBytes: number;
  /**
   * One encoded single-column table per column, in CSV order, each as pieces to lay end to end
   * (its header, then its values in the very memory the ingest typed them in: nothing is copied).
   */
  encodedColumns: Uint8Array<ArrayBuffer>[][];
  /** The gzip of the CSV text (as `gzip` of the whole text would make it), in pages of {@link GZIP_PAGE_BYTES}. */
  sourceCsvGzip: Uint8Array<ArrayBuffer>[];
}

/** @throws ValidationError for every rejection of `ingestCsv`. */
export async function prepareVersion(csv: CsvText, options: IngestOptions): Promise<PreparedVersion> {
  const { table, byteLength, ...ingested } = ingestCsv({ ...options, csv });
  return {
    ...ingested,
    sizeBytes: byteLength,
    encodedColumns: encodeColumns(table),
    sourceCsvGzip: await gzipPages(csv),
  };
}

function encodeColumns(table: DataTable): Uint8Array<ArrayBuffer>[][] {
  return table.columns.map((column) => encodeDataTableParts({ rowCount: table.rowCount, columns: [column] }) as Uint8Array<ArrayBuffer>[]);
}

/** The memory of a prepared version, each buffer once: what a worker thread hands over without copying it. */
export function buffersOf(prepared: PreparedVersion): ArrayBuffer[] {
  return [...new Set([...prepared.encodedColumns.flat(), ...prepared.sourceCsvGzip].map((bytes) => bytes.buffer))];
}

/** Gzips the text as it is read again, into pages (no single buffer of the whole gzip, no copy of the text). */
async function gzipPages(csv: CsvText): Promise<Uint8Array<ArrayBuffer>[]> {
  const pages: Uint8Array<ArrayBuffer>[] = [];
  let page = new Uint8Array(GZIP_PAGE_BYTES);
  let used = 0;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (let start = 0; start < chunk.length;) {
        const taken = Math.min(chunk.length - start, GZIP_PAGE_BYTES - used);
        page.set(chunk.subarray(start, start + taken), used);
        used += taken;
        start += taken;
        if (used === GZIP_PAGE_BYTES) {
          pages.push(page);
          page = new Uint8Array(GZIP_PAGE_BYTES);
          used = 0;
        }
      }
      done();
    },
  });
  await pipeline(Readable.from(utf8Chunks(csv)), createGzip(), collect);
  if (used > 0) pages.push(page.slice(0, used));
  return pages;
}

function* utf8Chunks(csv: CsvText): Iterable<Buffer> {
  for (const chunk of csv.chunks()) yield Buffer.from(chunk, 'utf8');
}
