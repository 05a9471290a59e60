/**
 * Tests drift windows off the event loop. A window of {@link INLINE_DRIFT_ROWS} rows or more is
 * handed to a fresh worker thread (`drift-thread.ts`) that runs the same `computeDriftReport` as the
 * inline path (same code, same numbers) and ends with the report, so its memory goes back at once
 * and no handle outlives the call (nothing for the monitor's `stop()` to close).
 *
 * The threshold: with a 5,000-row reference and 30 features, the statistics take ~20 ms on a
 * 500-row window (the default; the reference's side dominates), ~40 ms on 5,000 rows, ~250-400 ms
 * on 100,000. A thread costs ~40 ms to start, plus ~100 ms of not yet optimized code in its fresh
 * isolate, all off the event loop; the event loop pays only the copy of the reference and the
 * transfer of the window. Below 5,000 rows a report blocks the loop for tens of milliseconds at
 * most, and a thread would double its CPU; from there on, the thread's fixed cost is small beside
 * the statistics it keeps off the loop and is paid at most once per 5,000 predictions.
 *
 * One thread per report rather than a long-lived one: a warm thread would save its start and its
 * JIT warm-up, but would have to be kept, serialized, restarted after a crash and closed by the
 * monitor; a report on a window this large is rare enough that its start does not matter.
 */
import path from 'node:path';
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../config/paths';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import type { FeatureSample } from '../../ml/drift/feature-drift';
import { computeDriftReport, type DriftReference, type DriftReportResult, type DriftWindow } from './drift-report';
import type { DriftReply, DriftRequest } from './drift-thread';

/** Windows with fewer rows than this are tested on the calling thread. @default 5,000 */
export const INLINE_DRIFT_ROWS = 5_000;

/** The window's side as the monitor has it (`WindowColumns.samples`). */
export type DriftSamples = Pick<DriftWindow, 'features' | 'prediction'>;

/**
 * The thread's young generation: the statistics' large arrays are typed arrays, allocated outside
 * the JavaScript heap; what is short-lived on it is small, and V8's default would let 50 MB pile up.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** Starts the thread entry: compiled JavaScript next to this file, or the TypeScript source through the tests' transpiling hook. */
function startThread(): Worker {
  const entry = path.join(__dirname, `drift-thread${path.extname(__filename)}`);
  if (entry.endsWith('.js')) return new Worker(entry, { resourceLimits: THREAD_LIMITS });
  const hook = path.join(projectRoot, 'test', 'support', 'ts-register.js');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits: THREAD_LIMITS });
}

/** The rows of a sample. */
function rowsOf(sample: FeatureSample): number {
  return sample.type === 'NUMERIC' ? sample.values.length : sample.codes.length;
}

/** The typed arrays' buffers of `samples`. */
function buffersOf(samples: readonly FeatureSample[]): Set<ArrayBufferLike> {
  const buffers = new Set<ArrayBufferLike>();
  for (const sample of samples) {
    const array = sample.type === 'NUMERIC' ? sample.values : sample.codes;
    if (ArrayBuffer.isView(array)) buffers.add(array.buffer);
  }
  return buffers;
}

/**
 * The window's buffers that may be moved to the thread rather than copied: plain ArrayBuffers (not
 * shared ones; checked across realms, as under jest) that no reference sample uses, since the
 * references are cached and must stay whole. The reference itself is copied (structured clone).
 */
function transferable(reference: DriftReference, samples: DriftSamples): ArrayBuffer[] {
  const kept = buffersOf([...reference.features, reference.prediction]);
  const moved: ArrayBuffer[] = [];
  for (const buffer of buffersOf([...samples.features, samples.prediction])) {
    if (types.isArrayBuffer(buffer) && !kept.has(buffer)) moved.push(buffer);
  }
  return moved;
}

/**
 * Tests `samples` against `reference` (same feature order) with `settings`: inline under
 * `inlineRows` rows ({@link INLINE_DRIFT_ROWS} unless told), on a worker thread from there on. The
 * result equals the inline computation's.
 *
 * On the thread path the window's typed arrays are transferred (detached here after the call);
 * the reference's are copied, never detached.
 * @throws what the statistics throw, with the thread's message (and stack); or why the thread ended without answering.
 */
export async function testWindowOffThread(
  reference: DriftReference,
  samples: DriftSamples,
  settings: DriftMonitoringSettings,
  inlineRows = INLINE_DRIFT_ROWS,
): Promise<DriftReportResult> {
  if (rowsOf(samples.prediction) < inlineRows) return computeDriftReport(reference, samples, settings);
  const request: DriftRequest = {
    reference: { size: reference.size, features: reference.features, prediction: reference.prediction },
    window: { features: samples.features, prediction: samples.prediction },
    settings,
  };
  const transfer = transferable(reference, samples);
  const thread = startThread();
  try {
    return await new Promise<DriftReportResult>((resolve, reject) => {
      thread.once('message', (reply: DriftReply) => {
        if (reply.kind === 'done') return resolve(reply.result);
        const error = new Error(reply.message);
        if (reply.stack) error.stack = reply.stack;
        reject(error);
      });
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`drift thread exited with code ${code} before answering`)));
      thread.postMessage(request, transfer);
    });
  } finally {
    void thread.terminate();
  }
}
