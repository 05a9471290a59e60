/**
 * Precision, recall and F1 from counts, as scikit-learn's precision_recall_fscore_support with
 * `zero_division=0`: a ratio whose denominator is zero is 0, and F1 is `2 tp / (2 tp + fp + fn)`
 * (0 when that denominator is zero), which equals the harmonic mean whenever that is defined.
 */

/** Precision, recall and F1 of one class. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** `numerator / denominator`, or 0 when the denominator is 0 (scikit-learn's `zero_division=0`). */
export function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * Scores one class from its counts.
 * @param truePositives samples of the class predicted as the class.
 * @param predictedCount samples predicted as the class (tp + fp).
 * @param actualCount samples truly of the class (tp + fn), the class's support.
 */
export function precisionRecallF1(truePositives: number, predictedCount: number, actualCount: number): PrecisionRecallF1 {
  return {
    precision: ratioOrZero(truePositives, predictedCount),
    recall: ratioOrZero(truePositives, actualCount),
    f1: ratioOrZero(2 * truePositives, predictedCount + actualCount),
  };
}
