/**
 * Binary classification metrics at a decision threshold, with scikit-learn's definitions
 * (positive class 1, `zero_division=0`). A sample is predicted positive when its probability is
 * `>= threshold`, the rule of scikit-learn's `FixedThresholdClassifier` and of `roc_curve`.
 */
import { ValidationError } from '../../domain/errors';
import { precisionRecallF1 } from './classification-scores';
import { binaryLogLoss } from './log-loss';
import { requireClassIndices, requireFinite, requireSameLength } from './metric-inputs';
import { rocCurve, rocCurveArea, thinRocCurve } from './roc-auc';

/** The default decision threshold on P(class 1). */
export const DEFAULT_THRESHOLD = 0.5;

/** Metrics of a binary classifier on one set of samples. */
export interface BinaryEvaluation {
  task: 'BINARY_CLASSIFICATION';
  sampleCount: number;
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** `null` when the samples hold a single class (scikit-learn: NaN and a warning). */
  rocAuc: number | null;
  /** The ROC curve thinned to at most 201 points for drawing; null with a single class (absent from evaluations stored before it). */
  rocCurve?: { falsePositiveRate: number[]; truePositiveRate: number[] } | null;
  logLoss: number;
  /** `[[tn, fp], [fn, tp]]`: rows are true classes 0 and 1, columns predicted ones, as scikit-learn. */
  confusionMatrix: number[][];
}

function requireThreshold(threshold: number): void {
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new ValidationError(`Threshold must be in [0, 1], got ${threshold}`, { field: 'threshold' });
  }
}

/**
 * Confusion matrix `[[tn, fp], [fn, tp]]` of 0/1 labels against scores thresholded at `threshold`.
 * @throws ValidationError on unequal or empty inputs, labels other than 0/1, non-finite scores,
 *   a threshold outside [0, 1].
 */
export function binaryConfusionMatrix(yTrue: ArrayLike<number>, scores: ArrayLike<number>, threshold = DEFAULT_THRESHOLD): number[][] {
  requireSameLength(yTrue, scores, 'a confusion matrix');
  requireClassIndices(yTrue, 2, 'True label');
  requireFinite(scores, 'Score');
  requireThreshold(threshold);
  const matrix = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < yTrue.length; i++) {
    matrix[yTrue[i]][scores[i] >= threshold ? 1 : 0]++;
  }
  return matrix;
}

/**
 * Evaluates P(class 1) against 0/1 labels.
 * @throws ValidationError on unequal or empty inputs, labels other than 0/1, probabilities outside
 *   [0, 1], a threshold outside [0, 1].
 */
export function evaluateBinary(yTrue: ArrayLike<number>, positiveProbabilities: ArrayLike<number>, threshold = DEFAULT_THRESHOLD): BinaryEvaluation {
  const logLoss = binaryLogLoss(yTrue, positiveProbabilities);
  const confusionMatrix = binaryConfusionMatrix(yTrue, positiveProbabilities, threshold);
  const [[trueNegatives, falsePositives], [falseNegatives, truePositives]] = confusionMatrix;
  const curve = rocCurve(yTrue, positiveProbabilities);
  const scores = precisionRecallF1(truePositives, truePositives + falsePositives, truePositives + falseNegatives);
  return {
    task: 'BINARY_CLASSIFICATION',
    sampleCount: yTrue.length,
    threshold,
    accuracy: (truePositives + trueNegatives) / yTrue.length,
    ...scores,
    rocAuc: curve === null ? null : rocCurveArea(curve),
    rocCurve: curve === null ? null : thinRocCurve(curve),
    logLoss,
    confusionMatrix,
  };
}
