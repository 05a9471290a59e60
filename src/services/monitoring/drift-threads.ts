/**
 * Tests drift windows off the event loop, on ONE long-lived worker thread per monitor
 * (`drift-thread.ts`), which runs the same `computeDriftReport` as the inline path (same code,
 * same numbers).
 *
 * Why a long-lived thread: with the default 5,000-row reference and 30 features, the statistics of
 * the default 500-row window take 20-70 ms (the reference's side dominates: sorting its columns,
 * exact KS p-values), a block of the event loop every predict behind it pays. A thread started per
 * report costs ~40 ms to start and 100-200 ms of not yet optimized code in its fresh isolate, so
 * one thread is started at the first report and kept: warm, it costs the event loop a message
 * round trip (the window's arrays are transferred, not copied).
 *
 * The protocol: requests are answered in order, one at a time; at most `maxQueued` wait or run
 * (beyond, `test` rejects at once). A reference is sent once per key (the monitor's reference key:
 * version id and reference size) and kept on the thread, the `references` most recently used ones;
 * this side mirrors that cache (same order, same evictions, applied in the order the requests are
 * posted), so it knows which keys the thread holds. A reference object other than the one sent
 * under its key (reloaded after the monitor's cache dropped it) is sent again.
 *
 * If the thread dies (a crash, an exit, `terminate`), the requests waiting on it reject with why,
 * and the next request starts a new thread, sending its reference again. `close()` terminates the
 * thread (the monitor's `stop()`); a later request would start another.
 */
import path from 'node:path';
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../config/paths';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import type { FeatureSample } from '../../ml/drift/feature-drift';
import type { DriftReference, DriftReportResult, DriftWindow } from './drift-report';
import type { DriftReply, DriftRequest, DriftThreadData } from './drift-thread';

/** The window's side as the monitor has it (`WindowColumns.samples`). */
export type DriftSamples = Pick<DriftWindow, 'features' | 'prediction'>;

export interface DriftThreadOptions {
  /** Requests waiting or running at once; beyond, `test` rejects. @default 64 */
  maxQueued?: number;
  /** References the thread keeps, the most recently used. @default 8 */
  references?: number;
}

/** What the thread did, for tests and diagnostics. */
export interface DriftThreadStats {
  /** Threads started so far (the first report, then after each death or close). */
  threadsStarted: number;
  /** References posted to a thread. */
  referencesSent: number;
  /** Requests posted to a thread. */
  requests: number;
  /** Requests waiting or running now. */
  queued: number;
  /** Whether a thread is up. */
  running: boolean;
  /** Whether it has loaded its code (see `ready`). */
  ready: boolean;
  /** The keys the current thread holds, least recently used first. */
  heldKeys: string[];
}

/**
 * The thread's young generation: the statistics' large arrays are typed arrays, allocated outside
 * the JavaScript heap; what is short-lived on it is small, and V8's default would let 50 MB pile up.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** Starts the thread entry: compiled JavaScript next to this file, or the TypeScript source through the tests' transpiling hook. */
function startWorker(data: DriftThreadData): Worker {
  const entry = path.join(__dirname, `drift-thread${path.extname(__filename)}`);
  if (entry.endsWith('.js')) return new Worker(entry, { resourceLimits: THREAD_LIMITS, workerData: data });
  const hook = path.join(projectRoot, 'test', 'support', 'ts-register.js');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});`, {
    eval: true,
    resourceLimits: THREAD_LIMITS,
    workerData: data,
  });
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

interface Pending {
  resolve: (result: DriftReportResult) => void;
  reject: (error: Error) => void;
}

/** One started thread, with its requests in order and the mirror of its reference cache. */
interface Current {
  worker: Worker;
  pending: Pending[];
  /** What the thread holds under each key, least recently used first. */
  held: Map<string, DriftReference>;
  /** Whether the thread said its code is loaded. */
  ready: boolean;
}

/** The monitor's drift thread: started at the first request (or `warm`), kept, replaced after its death. */
export class DriftThread {
  private current: Current | null = null;
  private readonly maxQueued: number;
  private readonly references: number;
  private readonly counters = { threadsStarted: 0, referencesSent: 0, requests: 0 };

  constructor(options: DriftThreadOptions = {}) {
    this.maxQueued = options.maxQueued ?? 64;
    this.references = options.references ?? 8;
  }

  /**
   * Tests `samples` against `reference` (same feature order), kept on the thread under `key`, with
   * `settings`. The result equals the inline computation's. The window's typed arrays are
   * transferred (detached here once the call returns), unless the reference uses them; the
   * reference is copied when sent, never detached.
   * @throws what the statistics throw, with the thread's message (and stack); that the queue is full; or why the thread ended before answering.
   */
  test(key: string, reference: DriftReference, samples: DriftSamples, settings: DriftMonitoringSettings): Promise<DriftReportResult> {
    const current = this.current ?? this.start();
    if (current.pending.length >= this.maxQueued) {
      return Promise.reject(new Error(`the drift thread has ${current.pending.length} windows queued (at most ${this.maxQueued}); this window is not tested`));
    }
    const send = current.held.get(key) !== reference;
    const request: DriftRequest = {
      key,
      reference: send ? { size: reference.size, features: reference.features, prediction: reference.prediction } : undefined,
      window: { features: samples.features, prediction: samples.prediction },
      settings,
    };
    try {
      current.worker.postMessage(request, transferable(reference, samples));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The thread applies the same moves and evictions to its cache, in this order.
    current.held.delete(key);
    current.held.set(key, reference);
    while (current.held.size > this.references) current.held.delete(current.held.keys().next().value as string);
    this.counters.requests += 1;
    if (send) this.counters.referencesSent += 1;
    const answer = new Promise<DriftReportResult>((resolve, reject) => current.pending.push({ resolve, reject }));
    // A thread with work keeps the process alive until it answers; an idle one does not (see start()).
    if (current.pending.length === 1) current.worker.ref();
    return answer;
  }

  stats(): DriftThreadStats {
    return {
      ...this.counters,
      queued: this.current?.pending.length ?? 0,
      running: this.current !== null,
      ready: this.ready(),
      heldKeys: [...(this.current?.held.keys() ?? [])],
    };
  }

  /**
   * Whether a thread is up and has loaded its code: a request then waits only for its statistics
   * (and, on a fresh thread, its JIT warm-up), not for the thread's start (~40 ms from compiled
   * JavaScript; a second or more through the tests' TypeScript hook).
   */
  ready(): boolean {
    return this.current?.ready ?? false;
  }

  /** Starts the thread if none is up, without a request. */
  warm(): void {
    if (!this.current) this.start();
  }

  /** Terminates the thread, if one is up; the requests waiting on it reject. A later request starts a new one. */
  async close(): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.end(current, new Error('the drift thread was closed before answering'));
    await current.worker.terminate();
  }

  /** Test hook: terminates the thread as a crash would (its requests reject once it exited); the next request starts another. */
  async kill(): Promise<void> {
    await this.current?.worker.terminate();
  }

  private start(): Current {
    const worker = startWorker({ references: this.references });
    // Idle, the thread must not keep its process alive: a process (or a test) that never calls
    // close() still exits once its own work is done. It is referenced while requests wait on it.
    worker.unref();
    const current: Current = { worker, pending: [], held: new Map(), ready: false };
    this.current = current;
    this.counters.threadsStarted += 1;
    worker.on('message', (reply: DriftReply) => {
      if (reply.kind === 'ready') {
        current.ready = true;
        return;
      }
      const pending = current.pending.shift();
      if (current.pending.length === 0) worker.unref();
      if (!pending) return;
      if (reply.kind === 'done') return pending.resolve(reply.result);
      const error = new Error(reply.message);
      if (reply.stack) error.stack = reply.stack;
      pending.reject(error);
    });
    worker.on('error', (error) => {
      this.end(current, new Error(`the drift thread failed: ${error.message}`));
      void worker.terminate();
    });
    worker.on('exit', (code) => this.end(current, new Error(`the drift thread exited with code ${code} before answering`)));
    return current;
  }

  /** Forgets `current` (the next request starts a new thread) and rejects what waits on it. */
  private end(current: Current, error: Error): void {
    if (this.current === current) this.current = null;
    for (const pending of current.pending.splice(0)) pending.reject(error);
    current.held.clear();
  }
}
