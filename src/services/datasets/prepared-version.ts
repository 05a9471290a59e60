/**
 * Everything a dataset version stores, computed from its CSV before the write transaction opens:
 * the ingest (parse, types, checks, profiles, hash, reference sample), one columnar encoding per
 * column, and the gzip of the source. Pure and synchronous: run it off the event loop for large
 * inputs (`ingest-threads.ts`).
 */
import { gzipSync } from 'node:zlib';
import { encodeDataTable } from '../../domain/datasets/columnar-codec';
import { ingestCsv, type IngestCsvInput, type IngestedColumn } from '../../domain/datasets/dataset-ingest';
import type { Task } from '../../domain/datasets/label-rules';

/** The ingest's settings (everything of `ingestCsv`'s input but the text). */
export type IngestOptions = Omit<IngestCsvInput, 'csv'>;

/** A dataset version ready to be written; every field survives a structured clone (worker threads). */
export interface PreparedVersion {
  columns: IngestedColumn[];
  task: Task;
  labelClasses?: string[];
  contentHash: string;
  referenceRowIndices: number[];
  rowCount: number;
  sizeBytes: number;
  /** One encoded single-column table per column, in CSV order. */
  encodedColumns: Uint8Array<ArrayBuffer>[];
  sourceCsvGzip: Uint8Array<ArrayBuffer>;
}

/** @throws ValidationError for every rejection of `ingestCsv`. */
export function prepareVersion(csv: string, options: IngestOptions): PreparedVersion {
  const ingested = ingestCsv({ ...options, csv });
  return {
    columns: ingested.columns,
    task: ingested.task,
    ...(ingested.labelClasses ? { labelClasses: ingested.labelClasses } : {}),
    contentHash: ingested.contentHash,
    referenceRowIndices: ingested.referenceRowIndices,
    rowCount: ingested.rowCount,
    sizeBytes: Buffer.byteLength(csv, 'utf8'),
    encodedColumns: ingested.table.columns.map((column) => new Uint8Array(encodeDataTable({ rowCount: ingested.table.rowCount, columns: [column] }))),
    sourceCsvGzip: new Uint8Array(gzipSync(csv)),
  };
}
