/**
 * Log loss (cross-entropy) as scikit-learn 1.9's `log_loss`: probabilities are clipped to
 * `[eps, 1 - eps]` with `eps` the machine epsilon of the probabilities' dtype, then the mean of
 * `-ln p(true class)` is taken. All arithmetic here is float64, so `eps = 2^-52`
 * (`Number.EPSILON`), which is what scikit-learn uses for float64 input. (Given float32 input,
 * scikit-learn would clip at the float32 epsilon, 2^-23, instead.) Rows are not renormalized:
 * scikit-learn 1.9 only warns when they do not sum to one.
 */
import { requireClassIndices, requireMatrixShape, requireProbabilities, requireSameLength, type ProbabilityMatrix } from './metric-inputs';

/** The clipping bound: float64 machine epsilon, as scikit-learn uses for float64 probabilities. */
export const LOG_LOSS_EPSILON = Number.EPSILON;

function clippedNegativeLog(p: number): number {
  const clipped = Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
  return -Math.log(clipped);
}

/**
 * Binary log loss; `yTrue` holds 0/1 and `positiveProbabilities` P(class 1), as scikit-learn's
 * `log_loss(y_true, p, labels=[0, 1])`.
 * @throws ValidationError on unequal or empty inputs, labels other than 0/1, values outside [0, 1].
 */
export function binaryLogLoss(yTrue: ArrayLike<number>, positiveProbabilities: ArrayLike<number>): number {
  requireSameLength(yTrue, positiveProbabilities, 'log loss');
  requireClassIndices(yTrue, 2, 'True label');
  requireProbabilities(positiveProbabilities, 'Predicted probability');
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = positiveProbabilities[i];
    // scikit-learn builds the column [1 - p, p] first and clips afterwards, so do the same.
    sum += clippedNegativeLog(yTrue[i] === 1 ? p : 1 - p);
  }
  return sum / yTrue.length;
}

/**
 * Multiclass log loss over the classes `0..cols-1` of `probabilities`, as scikit-learn's
 * `log_loss(y_true, P, labels=range(cols))`.
 * @throws ValidationError on unequal or empty inputs, labels outside the classes, values outside [0, 1].
 */
export function multiclassLogLoss(yTrue: ArrayLike<number>, probabilities: ProbabilityMatrix): number {
  requireMatrixShape(probabilities);
  requireSameLength(yTrue, { length: probabilities.rows }, 'log loss');
  requireClassIndices(yTrue, probabilities.cols, 'True label');
  requireProbabilities(probabilities.data, 'Predicted probability');
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    sum += clippedNegativeLog(probabilities.data[i * probabilities.cols + yTrue[i]]);
  }
  return sum / yTrue.length;
}
