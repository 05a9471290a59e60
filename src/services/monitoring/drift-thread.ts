/**
 * Entry of the worker thread that tests one drift window (see `drift-threads.ts`): it takes one
 * request (the reference, the window's samples and the settings), runs the same functions as the
 * inline path (`testColumn` on every feature and the output, then `summarizeDriftReport`) and
 * answers with the result, so a large window's statistics do not hold the API's event loop.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { yieldToTheEventLoop } from '../../infra/thread-priority';
import { computeDriftReport, type DriftReference, type DriftReportResult, type DriftWindow } from './drift-report';

/** What the thread is asked. */
export interface DriftRequest {
  reference: DriftReference;
  window: Pick<DriftWindow, 'features' | 'prediction'>;
  settings: DriftMonitoringSettings;
}

export type DriftReply = { kind: 'done'; result: DriftReportResult } | { kind: 'failed'; message: string; stack: string | undefined };

/** Tests the requested window and answers on `port` with the result, or the error's message and stack. */
function test(port: MessagePort, request: DriftRequest): void {
  yieldToTheEventLoop();
  let reply: DriftReply;
  try {
    reply = { kind: 'done', result: computeDriftReport(request.reference, request.window, request.settings) };
  } catch (error) {
    reply =
      error instanceof Error ? { kind: 'failed', message: error.message, stack: error.stack } : { kind: 'failed', message: String(error), stack: undefined };
  }
  port.postMessage(reply);
}

const port = parentPort;
port?.once('message', (request: DriftRequest) => test(port, request));
