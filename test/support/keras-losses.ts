/**
 * Keras' loss formulas (keras/src/losses/losses.py and its backend's cross-entropies), written out
 * in float64 from their documentation, independently of mlplane's trainer and compiled graph: per
 * row, averaged over the output units (cross-entropy: summed over classes), with probabilities
 * clipped to [1e-7, 1 - 1e-7] as Keras' backend epsilon does.
 */
import type { LossName } from '../../src/ml/hyperparameters';

const EPSILON = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPSILON), 1 - EPSILON);

/** Loss of one row: `target` and `output` hold its output units. */
export function kerasRowLoss(loss: LossName, target: ArrayLike<number>, output: ArrayLike<number>, delta = 1): number {
  const units = target.length;
  let total = 0;
  for (let i = 0; i < units; i++) {
    const y = target[i];
    const o = output[i];
    switch (loss) {
      case 'MEAN_SQUARED_ERROR':
        total += (o - y) ** 2 / units;
        break;
      case 'MEAN_ABSOLUTE_ERROR':
        total += Math.abs(o - y) / units;
        break;
      case 'HUBER': {
        // keras.losses.huber: where(|e| <= delta, 0.5 e^2, delta |e| - 0.5 delta^2), mean over the last axis.
        const e = Math.abs(o - y);
        total += (e <= delta ? 0.5 * e * e : delta * e - 0.5 * delta * delta) / units;
        break;
      }
      case 'BINARY_CROSSENTROPY':
        total += -(y * Math.log(clip(o)) + (1 - y) * Math.log(1 - clip(o))) / units;
        break;
      case 'CATEGORICAL_CROSSENTROPY':
        total += -y * Math.log(clip(o));
        break;
    }
  }
  return total;
}

/** Mean loss over rows stored row-major with `units` per row (Keras' `sum_over_batch_size`). */
export function kerasMeanLoss(loss: LossName, target: ArrayLike<number>, output: ArrayLike<number>, units: number): number {
  const rows = target.length / units;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const slice = (m: ArrayLike<number>) => Array.from({ length: units }, (_, c) => m[r * units + c]);
    sum += kerasRowLoss(loss, slice(target), slice(output));
  }
  return sum / rows;
}
