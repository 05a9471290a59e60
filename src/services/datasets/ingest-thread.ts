/**
 * Entry of the worker thread that prepares a dataset version (see `ingest-threads.ts`): it takes
 * one request (CSV text, bytes, or a file to read), prepares it and answers, so a large CSV is
 * parsed, profiled, encoded and compressed without holding the API's event loop.
 */
import { readFileSync, rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { DomainError } from '../../domain/errors';
import { prepareVersion, type IngestOptions, type PreparedVersion } from './prepared-version';

/** What the thread is asked: the CSV as text, UTF-8 bytes, or a spooled file it deletes after reading. */
export interface IngestRequest {
  csv: { text: string } | { bytes: Uint8Array } | { file: string };
  options: IngestOptions;
}

export type IngestReply =
  | { kind: 'phase'; phase: 'PARSING' }
  | { kind: 'done'; prepared: PreparedVersion }
  | { kind: 'refused'; code: DomainError['code']; message: string; location: DomainError['location'] }
  | { kind: 'failed'; message: string };

function readCsv(csv: IngestRequest['csv']): string {
  if ('text' in csv) return csv.text;
  if ('bytes' in csv) return Buffer.from(csv.bytes.buffer, csv.bytes.byteOffset, csv.bytes.byteLength).toString('utf8');
  try {
    return readFileSync(csv.file, 'utf8');
  } finally {
    rmSync(csv.file, { force: true });
  }
}

const port = parentPort;
port?.once('message', (request: IngestRequest) => {
  const reply = (message: IngestReply, transfer: ArrayBuffer[] = []) => {
    port.postMessage(message, transfer);
  };
  try {
    const text = readCsv(request.csv);
    reply({ kind: 'phase', phase: 'PARSING' });
    const prepared = prepareVersion(text, request.options);
    reply({ kind: 'done', prepared }, [...prepared.encodedColumns.map((column) => column.buffer), prepared.sourceCsvGzip.buffer]);
  } catch (error) {
    if (error instanceof DomainError) reply({ kind: 'refused', code: error.code, message: error.message, location: error.location });
    else reply({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
