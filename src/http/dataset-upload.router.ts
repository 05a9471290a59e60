/**
 * `POST /datasets/{name}/versions`: a dataset version uploaded as a streamed CSV body (the way for
 * large files; `createDataset` takes CSV inside a JSON string, up to the JSON body limit). The body
 * is counted as it streams to a spool file and refused (413) the moment it passes
 * `MLPLANE_MAX_DATASET_BYTES` (at once when `Content-Length` says so); the spooled file is parsed on
 * a worker thread by the same use case as `createDataset` / `createDatasetVersion`; progress is
 * published on `datasetIngestProgress(uploadId)`.
 *
 * Errors are GraphQL-shaped: `{ errors: [{ message, extensions: { code, field, row, column } }] }`
 * with a 4xx status (5xx with a request id for server faults).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import { noteAuditTargets } from './route-guard';
import { findUnstorableCharacter, storableRecordOf } from '../domain/common/storable-text';
import { isUuid } from '../domain/common/uuid';
import { parseInput } from '../domain/common/input-schema';
import { TASK_SCHEMA } from '../domain/datasets/label-rules';
import { DomainError, ValidationError, type DomainErrorCode } from '../domain/errors';
import { isDatabaseUnavailable } from '../infra/db/connection-errors';
import type { Logger } from '../infra/logger';
import type { DatasetService } from '../services/datasets/dataset.service';
import type { EventPublisher } from '../services/events/event-publisher';
import type { IngestPhase, IngestProgressEvent } from '../services/datasets/ingest-progress';

export interface DatasetUploadRouterOptions {
  datasets: Pick<DatasetService, 'uploadDataset'>;
  events: EventPublisher;
  /** Largest body accepted (`MLPLANE_MAX_DATASET_BYTES`). */
  maxBytes: number;
  logger: Logger;
  /** Where bodies are spooled while they stream in. @default os.tmpdir() */
  spoolDir?: string;
  /** Least time between two RECEIVING events of one upload. @default 250 */
  progressEveryMs?: number;
}

const MAX_QUERY_TEXT = 10_000;

/** Longest error message a FAILED progress event carries (the event travels as a NOTIFY, whose payload stays under 8,000 bytes). */
const MAX_PROGRESS_MESSAGE_LENGTH = 1_000;
/** How long a refused upload's remaining bytes are read and dropped before the answer goes out. */
const LINGER_MS = 2_000;

const STATUS: Record<DomainErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  IN_USE: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SERVICE_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
};

/** Thrown by the byte counter when the body passes the limit. */
class TooLarge extends ValidationError {}

function tooLarge(bytes: number, maxBytes: number, exact: boolean): TooLarge {
  return new TooLarge(`the CSV is ${exact ? '' : 'over '}${bytes} bytes, over the limit of ${maxBytes} bytes (MLPLANE_MAX_DATASET_BYTES)`, { field: 'body' });
}

/** A query parameter as text, checked like GraphQL string arguments. */
function textParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`${name} must be given once`, { field: name });
  if (value.length > MAX_QUERY_TEXT) throw new ValidationError(`${name} is over ${MAX_QUERY_TEXT} characters long`, { field: name });
  const bad = findUnstorableCharacter(value);
  if (bad) throw new ValidationError(`${name} ${bad.reason}`, { field: name });
  return value;
}

function sendError(res: Response, error: unknown, logger: Logger): void {
  const requestId = (res.locals.requestId as string | undefined) ?? randomUUID();
  if (error instanceof DomainError) {
    res.locals.errorCode = error.code;
    res
      .status(error instanceof TooLarge ? 413 : STATUS[error.code])
      .json({ errors: [{ message: error.message, extensions: { code: error.code, ...error.location } }] });
    return;
  }
  if (isDatabaseUnavailable(error)) {
    logger.warn({ err: error, requestId }, 'dataset upload failed: the database is unavailable');
    res.locals.errorCode = 'SERVICE_UNAVAILABLE';
    res.status(503).json({ errors: [{ message: 'The service is unavailable, try again', extensions: { code: 'SERVICE_UNAVAILABLE', requestId } }] });
    return;
  }
  logger.error({ err: error, requestId }, 'dataset upload failed');
  res.locals.errorCode = 'INTERNAL_SERVER_ERROR';
  res.status(500).json({ errors: [{ message: `Internal server error (request id ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
}

/**
 * Streams the request body to `file`, counting bytes; stops reading and rejects with a 413 error
 * once it passes `maxBytes` (the file is left for the caller to delete). Backpressure: reading
 * pauses while the file write buffer is full, so memory stays at a few chunks.
 */
function spoolBody(req: Request, file: string, maxBytes: number, onBytes: (bytes: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    let bytes = 0;
    const fail = (error: unknown) => {
      req.pause();
      req.removeAllListeners('data');
      out.destroy();
      reject(error);
    };
    out.on('error', fail);
    out.on('finish', resolve);
    req.on('error', fail);
    req.on('aborted', () => fail(new Error('the client closed the upload')));
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return fail(tooLarge(bytes, maxBytes, false));
      onBytes(bytes);
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    req.on('end', () => out.end());
  });
}

/**
 * Reads and drops the rest of a refused body before the answer is sent, for at most
 * {@link LINGER_MS}: an answer sent while the client is still writing is followed by a close, and
 * the client's next bytes reach a closed socket, whose reset can destroy the answer before the
 * client reads it. Resolves true when the body ended; false when the time ran out (the answer then
 * goes out anyway and the connection is cut after it). Nothing read here is kept.
 */
function discardRest(req: Request): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(ended);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    const timer = setTimeout(() => done(false), LINGER_MS);
    timer.unref();
    req.removeAllListeners('data');
    req.on('data', () => undefined);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.resume();
  });
}

/** The upload route, on a router an authentication middleware can be put in front of. */
export function datasetUploadRouter(options: DatasetUploadRouterOptions): express.Router {
  const router = express.Router();
  const spoolDir = options.spoolDir ?? os.tmpdir();
  const progressEveryMs = options.progressEveryMs ?? 250;
  const log = options.logger.child({ component: 'dataset-upload' });

  router.post('/datasets/:name/versions', async (req: Request, res: Response) => {
    let uploadId: string = randomUUID();
    let bytesReceived = 0;
    let totalBytes: number | null = null;
    // One event after the other: each NOTIFY may take another pooled connection, so events sent at
    // once could arrive out of order (a small upload's PARSING before its last RECEIVING).
    let published = Promise.resolve();
    const publish = (phase: IngestPhase, extra: Partial<IngestProgressEvent> = {}) => {
      const event = { uploadId, phase, bytesReceived, totalBytes, ...extra };
      published = published
        .then(() => options.events.publish('datasetIngestProgress', event, uploadId))
        .catch((error: unknown) => log.warn({ err: error, uploadId }, 'publishing ingest progress failed'));
      return published;
    };
    const spool = path.join(spoolDir, `mlplane-upload-${randomUUID()}.csv`);
    let spooled = false;
    let lastProgress = 0;
    try {
      const given = textParam(req, 'uploadId');
      if (given !== undefined) {
        if (!isUuid(given)) throw new ValidationError('uploadId must be a UUID', { field: 'uploadId' });
        uploadId = given;
      }
      res.setHeader('x-upload-id', uploadId);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (contentType !== 'text/csv') throw new ValidationError(`Content-Type must be text/csv, got "${contentType}"`, { field: 'Content-Type' });
      const taskParam = textParam(req, 'task');
      const task = taskParam === undefined ? undefined : parseInput(TASK_SCHEMA, taskParam, 'task');
      const declared = req.headers['content-length'];
      if (declared !== undefined) {
        totalBytes = Number(declared);
        if (totalBytes > options.maxBytes) throw tooLarge(totalBytes, options.maxBytes, true);
      }
      const labelColumn = textParam(req, 'labelColumn');
      const description = textParam(req, 'description');

      spooled = true;
      await spoolBody(req, spool, options.maxBytes, (bytes) => {
        bytesReceived = bytes;
        const now = Date.now();
        if (now - lastProgress < progressEveryMs) return;
        lastProgress = now;
        void publish('RECEIVING');
      });
      void publish('RECEIVING');
      const result = await options.datasets.uploadDataset({
        name: String(req.params.name),
        csv: { file: spool, bytes: bytesReceived },
        labelColumn,
        description,
        task,
        onPhase: (phase) => void publish(phase),
      });
      spooled = false;
      noteAuditTargets(res, [result.dataset.id, result.version.id]);
      void publish('STORED', { datasetId: result.dataset.id, datasetVersionId: result.version.id });
      res.status(result.created ? 201 : 200).json({
        uploadId,
        created: result.created,
        dataset: { id: result.dataset.id, name: result.dataset.name, task: result.dataset.task },
        version: {
          id: result.version.id,
          version: result.version.version,
          rowCount: result.version.rowCount,
          contentHash: result.version.contentHash,
          sizeBytes: result.version.sizeBytes,
        },
      });
    } catch (error) {
      if (spooled) await rm(spool, { force: true });
      void publish('FAILED', {
        // The HTTP answer carries the whole message; the event (a NOTIFY, under 8,000 bytes) its start.
        message: error instanceof DomainError ? storableRecordOf(error.message, MAX_PROGRESS_MESSAGE_LENGTH) : 'internal error',
        code: error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR',
      });
      // A refused body is not stored: the rest is read and dropped (for a bounded time) before
      // the answer, and the connection closes after it.
      if (!req.complete) {
        res.setHeader('connection', 'close');
        const ended = await discardRest(req);
        if (!ended) res.once('finish', () => req.socket.destroy());
      }
      sendError(res, error, log);
    }
  });
  return router;
}
