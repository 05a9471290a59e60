/**
 * Entry of the worker thread that prepares a dataset version (see `ingest-threads.ts`): it takes
 * one request (CSV text, or a file to read in chunks), prepares it and answers, so a large CSV is
 * parsed, profiled, encoded and compressed without holding the API's event loop.
 */
import { rmSync } from 'node:fs';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { csvText } from '../../domain/datasets/csv-parser';
import { DomainError } from '../../domain/errors';
import { yieldToTheEventLoop } from '../../infra/thread-priority';
import { csvFile } from './csv-file';
import { buffersOf, prepareVersion, type IngestOptions, type PreparedVersion } from './prepared-version';

/** What the thread is asked: the CSV as text, or a spooled file it deletes when done. */
export interface IngestRequest {
  csv: { text: string } | { file: string };
  options: IngestOptions;
}

export type IngestReply =
  | { kind: 'phase'; phase: 'PARSING' }
  | { kind: 'done'; prepared: PreparedVersion }
  | { kind: 'refused'; code: DomainError['code']; message: string; location: DomainError['location'] }
  | { kind: 'failed'; message: string };

/** Prepares the requested version and answers on `port`: the phase, then the result or why it failed. */
async function ingest(port: MessagePort, request: IngestRequest): Promise<void> {
  yieldToTheEventLoop();
  const reply = (message: IngestReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    reply({ kind: 'phase', phase: 'PARSING' });
    const prepared = await prepareVersion('text' in request.csv ? csvText(request.csv.text) : csvFile(request.csv.file), request.options);
    reply({ kind: 'done', prepared }, buffersOf(prepared));
  } catch (error) {
    if (error instanceof DomainError) reply({ kind: 'refused', code: error.code, message: error.message, location: error.location });
    else reply({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    if ('file' in request.csv) rmSync(request.csv.file, { force: true });
  }
}

const port = parentPort;
port?.once('message', (request: IngestRequest) => void ingest(port, request));
