/**
 * Entry of the monitor's long-lived drift thread (see `drift-threads.ts`): it answers the requests
 * in the order they arrive, one at a time. A request names a reference by its key and carries it
 * the first time (the thread keeps the most recent `workerData.references` references, dropping
 * the least recently used, exactly as the main thread's mirror of its cache does); it carries the
 * window's samples and the settings, and is answered with the result of the same function as the
 * inline path (`computeDriftReport`), or the error's message and stack.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { yieldToTheEventLoop } from '../../infra/thread-priority';
import { computeDriftReport, type DriftReference, type DriftReportResult, type DriftWindow } from './drift-report';

/** What the thread is started with. */
export interface DriftThreadData {
  /** References kept, the most recently used. */
  references: number;
}

/** What the thread is asked. */
export interface DriftRequest {
  /** The reference's key (version and reference size). */
  key: string;
  /** The reference, when the thread does not hold it under `key` (first use, or replaced). */
  reference?: DriftReference;
  window: Pick<DriftWindow, 'features' | 'prediction'>;
  settings: DriftMonitoringSettings;
}

/** The thread's messages: `ready` once, when its code is loaded; then one answer per request, in order. */
export type DriftReply = { kind: 'ready' } | { kind: 'done'; result: DriftReportResult } | { kind: 'failed'; message: string; stack: string | undefined };

const { references: kept } = workerData as DriftThreadData;
/** The references held, least recently used first. */
const references = new Map<string, DriftReference>();

/** The request's reference, kept (or moved) as the most recently used; the oldest beyond `kept` are dropped. */
function referenceOf(request: DriftRequest): DriftReference {
  const reference = request.reference ?? references.get(request.key);
  references.delete(request.key);
  if (!reference) throw new Error(`the drift thread holds no reference ${request.key}`);
  references.set(request.key, reference);
  while (references.size > kept) references.delete(references.keys().next().value as string);
  return reference;
}

/** Tests the requested window and answers on `port` with the result, or the error's message and stack. */
function test(port: MessagePort, request: DriftRequest): void {
  let reply: DriftReply;
  try {
    reply = { kind: 'done', result: computeDriftReport(referenceOf(request), request.window, request.settings) };
  } catch (error) {
    reply =
      error instanceof Error ? { kind: 'failed', message: error.message, stack: error.stack } : { kind: 'failed', message: String(error), stack: undefined };
  }
  port.postMessage(reply);
}

const port = parentPort;
if (port) {
  yieldToTheEventLoop();
  port.on('message', (request: DriftRequest) => test(port, request));
  port.postMessage({ kind: 'ready' } satisfies DriftReply);
}
