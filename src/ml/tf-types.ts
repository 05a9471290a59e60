/**
 * The TensorFlow.js handle the training core works with. Every function in `src/ml` takes it as
 * an argument instead of importing a package, so the caller decides which build (tfjs-node with
 * its native backend, or pure-JS tfjs) and which backend is active.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** The `tf` namespace: `@tensorflow/tfjs` or `@tensorflow/tfjs-node` (a superset). */
export type Tf = typeof tfjs;
export type LayersModel = tfjs.LayersModel;
export type Sequential = tfjs.Sequential;
export type Tensor = tfjs.Tensor;
export type Tensor2D = tfjs.Tensor2D;
export type Scalar = tfjs.Scalar;
export type Optimizer = tfjs.Optimizer;
export type Variable = tfjs.Variable;

/** A dense row-major matrix: row `r`, column `c` sits at `data[r * cols + c]`. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** The learning task of a model; it fixes the output layer, the loss and the metrics. */
export type ModelTask = 'BINARY_CLASSIFICATION' | 'MULTICLASS_CLASSIFICATION' | 'REGRESSION';
