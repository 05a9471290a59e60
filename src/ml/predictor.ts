/**
 * Model outputs for a feature matrix in large batches (TensorFlow.js' `predict` defaults to 32
 * rows per batch, which costs 18-35x on 1,000 rows), and their mapping to labels or values.
 */
import { decodeRegressionTargets, type PreprocessingSpec } from './preprocessing';
import type { LayersModel, Matrix, Tensor, Tf } from './tf-types';

/** Rows per forward pass. */
export const PREDICT_CHUNK_ROWS = 65_536;

export interface ClassPredictions {
  kind: 'CLASSES';
  classes: string[];
  /** Row-major, one column per class (binary: [1 - p, p]). */
  probabilities: Float32Array;
  /** Predicted class index per row. */
  classIndex: Int32Array;
  labels: string[];
}

export interface ValuePredictions {
  kind: 'VALUES';
  /** In label units. */
  values: Float64Array;
}

export type Predictions = ClassPredictions | ValuePredictions;

export interface PredictOptions {
  /** Binary classification: predict the positive class (`classes[1]`) when p >= threshold. @default 0.5 */
  threshold?: number;
}

/**
 * Outputs of `x` computed {@link PREDICT_CHUNK_ROWS} rows at a time by `run` (given a chunk's
 * row-major values and its row count), row-major (`rows x width`).
 */
export function outputsInChunks(x: Matrix, width: number, run: (values: Float32Array, rows: number) => Float32Array): Float32Array {
  if (x.rows <= PREDICT_CHUNK_ROWS) return run(x.data.subarray(0, x.rows * x.cols), x.rows);
  const result = new Float32Array(x.rows * width);
  for (let start = 0; start < x.rows; start += PREDICT_CHUNK_ROWS) {
    const count = Math.min(PREDICT_CHUNK_ROWS, x.rows - start);
    result.set(run(x.data.subarray(start * x.cols, (start + count) * x.cols), count), start * width);
  }
  return result;
}

/** Raw model outputs, row-major (`rows x outputs`), computed without dropout. */
export function predictOutputs(tf: Tf, model: LayersModel, x: Matrix): Float32Array {
  return outputsInChunks(x, model.outputs[0].shape[1] ?? 1, (values, rows) => {
    const chunk = tf.tidy(() => model.predict(tf.tensor2d(values, [rows, x.cols]), { batchSize: rows }) as Tensor);
    // Copied before the tensor (whose memory dataSync may share) is disposed.
    const data = new Float32Array(chunk.dataSync());
    chunk.dispose();
    return data;
  });
}

/** Predicts classes with probabilities, or regression values in label units. */
export function predict(tf: Tf, model: LayersModel, spec: PreprocessingSpec, x: Matrix, options: PredictOptions = {}): Predictions {
  return predictWith((rows) => predictOutputs(tf, model, rows), spec, x, options);
}

/** {@link predict} from raw outputs computed by `forward` (a served model's compiled or eager forward pass). */
export function predictWith(forward: (x: Matrix) => Float32Array, spec: PreprocessingSpec, x: Matrix, options: PredictOptions = {}): Predictions {
  const outputs = forward(x);
  if (spec.label.kind === 'TARGET') return { kind: 'VALUES', values: decodeRegressionTargets(spec, outputs) };
  const { classes } = spec.label;
  const k = classes.length;
  const probabilities = new Float32Array(x.rows * k);
  const classIndex = new Int32Array(x.rows);
  if (spec.task === 'BINARY_CLASSIFICATION') {
    const threshold = options.threshold ?? 0.5;
    for (let r = 0; r < x.rows; r++) {
      const p = outputs[r];
      probabilities[r * 2] = 1 - p;
      probabilities[r * 2 + 1] = p;
      classIndex[r] = p >= threshold ? 1 : 0;
    }
  } else {
    probabilities.set(outputs);
    for (let r = 0; r < x.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (outputs[r * k + c] > outputs[r * k + best]) best = c;
      classIndex[r] = best;
    }
  }
  return { kind: 'CLASSES', classes: [...classes], probabilities, classIndex, labels: Array.from(classIndex, (i) => classes[i]) };
}
