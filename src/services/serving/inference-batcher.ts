import { performance } from 'node:perf_hooks';
import type { BatchingSettings } from '../../domain/deployments/batching';
import { predictWith } from '../../ml/predictor';
import { predictionOutputs, type PredictionOutput } from '../../ml/serving/prediction-request';
import type { Matrix } from '../../ml/tf-types';
import type { ServedModel } from './served-model';
import type { ServingEvents } from './serving-events';

interface Queued {
  x: Matrix;
  resolve: (outputs: PredictionOutput[]) => void;
  reject: (error: unknown) => void;
}

interface VersionQueue {
  loaded: ServedModel;
  items: Queued[];
  rows: number;
  /** The scheduled flush (a timer, or an immediate for maxDelayMs 0). */
  scheduled: { cancel: () => void } | null;
}

/**
 * Dynamic batching, as TF Serving and Triton do it: the encoded rows of concurrent requests to one
 * model version are concatenated and inferred in one model call, then split back so each request
 * gets its own outputs. A batch runs when it holds `maxBatchSize` rows, or `maxDelayMs` after its
 * first request (0: at the end of the current event-loop turn). Inference is synchronous, so a
 * model handed to a batch is in use only during its flush.
 */
export class InferenceBatcher {
  private readonly queues = new Map<string, VersionQueue>();

  constructor(private readonly events: ServingEvents) {}

  /** The outputs of `x`'s rows, in order, once its batch ran. */
  infer(versionId: string, loaded: ServedModel, x: Matrix, settings: BatchingSettings): Promise<PredictionOutput[]> {
    return new Promise<PredictionOutput[]>((resolve, reject) => {
      let queue = this.queues.get(versionId);
      if (queue && queue.rows + x.rows > settings.maxBatchSize) {
        this.flush(versionId);
        queue = undefined;
      }
      if (!queue) {
        queue = { loaded, items: [], rows: 0, scheduled: null };
        this.queues.set(versionId, queue);
      }
      queue.items.push({ x, resolve, reject });
      queue.rows += x.rows;
      if (queue.rows >= settings.maxBatchSize) this.flush(versionId);
      else if (!queue.scheduled) queue.scheduled = schedule(() => this.flush(versionId), settings.maxDelayMs);
    });
  }

  /** Rows waiting for their batch, over all versions. */
  queuedRows(): number {
    let rows = 0;
    for (const queue of this.queues.values()) rows += queue.rows;
    return rows;
  }

  private flush(versionId: string): void {
    const queue = this.queues.get(versionId);
    if (!queue) return;
    this.queues.delete(versionId);
    queue.scheduled?.cancel();
    const { items, loaded } = queue;
    const started = performance.now();
    let outputs: PredictionOutput[];
    try {
      outputs = predictionOutputs(predictWith((rows) => loaded.forward.outputs(rows), loaded.preprocessing, concatRows(items.map((item) => item.x))));
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    this.events.emit('batchInferred', { modelVersionId: versionId, requests: items.length, rows: queue.rows, inferMs: performance.now() - started });
    let offset = 0;
    for (const item of items) {
      item.resolve(outputs.slice(offset, offset + item.x.rows));
      offset += item.x.rows;
    }
  }
}

function schedule(run: () => void, delayMs: number): { cancel: () => void } {
  if (delayMs <= 0) {
    const immediate = setImmediate(run);
    return { cancel: () => clearImmediate(immediate) };
  }
  const timer = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(timer) };
}

/** The matrices stacked (all have the same columns). */
export function concatRows(matrices: readonly Matrix[]): Matrix {
  if (matrices.length === 1) return matrices[0];
  const cols = matrices[0].cols;
  const rows = matrices.reduce((sum, m) => sum + m.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const m of matrices) {
    data.set(m.data.subarray(0, m.rows * cols), offset);
    offset += m.rows * cols;
  }
  return { data, rows, cols };
}
