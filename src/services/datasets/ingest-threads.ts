/**
 * Prepares dataset versions off the event loop: each large CSV is handed to a fresh worker thread
 * (`ingest-thread.ts`), which parses, profiles, encodes and compresses it; the thread ends with the
 * job, so its memory goes back at once. Small inputs are prepared inline (a thread costs ~30 ms).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../config/paths';
import { csvText } from '../../domain/datasets/csv-parser';
import { ValidationError } from '../../domain/errors';
import type { IngestReply, IngestRequest } from './ingest-thread';
import { prepareVersion, type IngestOptions, type PreparedVersion } from './prepared-version';

/** Inputs up to this many bytes are prepared on the calling thread. @default 1 MiB */
export const INLINE_INGEST_BYTES = 1024 * 1024;

/** Where the CSV comes from: text (GraphQL), or a file spooled by the upload endpoint (deleted once read). */
export type CsvSource = { text: string } | { file: string; bytes: number };

/** Told when parsing starts. */
export type IngestPhaseListener = (phase: 'PARSING') => void;

/**
 * The thread's young generation: parsing makes short-lived strings by the million, and V8's default
 * lets 50 MB of them pile up between collections, on top of the dataset. 8 MB costs no throughput.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** Starts the thread entry: compiled JavaScript next to this file, or the TypeScript source through the tests' transpiling hook. */
function startThread(): Worker {
  const entry = path.join(__dirname, `ingest-thread${path.extname(__filename)}`);
  if (entry.endsWith('.js')) return new Worker(entry, { resourceLimits: THREAD_LIMITS });
  const hook = path.join(projectRoot, 'test', 'support', 'ts-register.js');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits: THREAD_LIMITS });
}

function sizeOf(source: CsvSource): number {
  return 'text' in source ? source.text.length : source.bytes;
}

/** The text of a small spooled file, which is deleted. */
async function readSmallFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Prepares a version from `source`, on a worker thread when it is over {@link INLINE_INGEST_BYTES}
 * (a smaller file is read whole and prepared inline).
 * @throws the ingest's domain errors (ValidationError naming the field, row and column), as thrown inline.
 */
export async function prepareVersionOffThread(source: CsvSource, options: IngestOptions, onPhase?: IngestPhaseListener): Promise<PreparedVersion> {
  if (sizeOf(source) <= INLINE_INGEST_BYTES) {
    const text = 'text' in source ? source.text : await readSmallFile(source.file);
    onPhase?.('PARSING');
    return prepareVersion(csvText(text), options);
  }
  const request: IngestRequest = { csv: 'text' in source ? { text: source.text } : { file: source.file }, options };
  const thread = startThread();
  try {
    return await new Promise<PreparedVersion>((resolve, reject) => {
      thread.on('message', (reply: IngestReply) => {
        switch (reply.kind) {
          case 'phase':
            onPhase?.(reply.phase);
            return;
          case 'done':
            return resolve(reply.prepared);
          case 'refused':
            // The ingest refuses only with ValidationError (BAD_USER_INPUT).
            return reject(reply.code === 'BAD_USER_INPUT' ? new ValidationError(reply.message, reply.location) : new Error(reply.message));
          case 'failed':
            return reject(new Error(`dataset ingest thread failed: ${reply.message}`));
        }
      });
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`dataset ingest thread exited with code ${code} before answering`)));
      thread.postMessage(request);
    });
  } finally {
    void thread.terminate();
  }
}
