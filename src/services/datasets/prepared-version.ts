/**
 * Everything a dataset version stores, computed from its CSV before the write transaction opens:
 * the ingest (parse, types, checks, profiles, hash, reference sample), one columnar encoding per
 * column, and the gzip of the source. Pure and synchronous: run it off the event loop for large
 * inputs (`ingest-threads.ts`).
 */
import { gzipSync } from 'node:zlib';
import { encodeDataTable } from '../../domain/datasets/columnar-codec';
import { ingestCsv, type IngestCsvInput, type IngestedDataset } from '../../domain/datasets/dataset-ingest';

/** The ingest's settings (everything of `ingestCsv`'s input but the text). */
export type IngestOptions = Omit<IngestCsvInput, 'csv'>;

/** A dataset version ready to be written; every field survives a structured clone (worker threads). */
export interface PreparedVersion extends Omit<IngestedDataset, 'table'> {
  sizeBytes: number;
  /** One encoded single-column table per column, in CSV order. */
  encodedColumns: Uint8Array<ArrayBuffer>[];
  sourceCsvGzip: Uint8Array<ArrayBuffer>;
}

/** @throws ValidationError for every rejection of `ingestCsv`. */
export function prepareVersion(csv: string, options: IngestOptions): PreparedVersion {
  const { table, ...ingested } = ingestCsv({ ...options, csv });
  return {
    ...ingested,
    sizeBytes: Buffer.byteLength(csv, 'utf8'),
    encodedColumns: table.columns.map((column) => new Uint8Array(encodeDataTable({ rowCount: table.rowCount, columns: [column] }))),
    sourceCsvGzip: new Uint8Array(gzipSync(csv)),
  };
}
