/**
 * Multiclass metrics with scikit-learn's definitions (`zero_division=0`). Classes are the indices
 * `0..K-1` of the model's outputs; the predicted class is the first column with the largest
 * probability (numpy's `argmax`).
 */
import { precisionRecallF1, type PrecisionRecallF1 } from './classification-scores';
import { multiclassLogLoss } from './log-loss';
import { requireClassIndices, requireMatrixShape, requireProbabilities, requireSameLength, type ProbabilityMatrix } from './metric-inputs';

/** Precision, recall and F1 of one class, with its support (number of true samples). */
export interface ClassMetrics extends PrecisionRecallF1 {
  label: number;
  support: number;
}

/** Everything that follows from true and predicted class indices alone. */
export interface MulticlassReport {
  sampleCount: number;
  classCount: number;
  accuracy: number;
  /** Unweighted mean over {@link averagedLabels} (scikit-learn `average='macro'`). */
  macro: PrecisionRecallF1;
  /** Support-weighted mean over {@link averagedLabels} (scikit-learn `average='weighted'`). */
  weighted: PrecisionRecallF1;
  /**
   * The classes the averages run over: those present in the true or the predicted labels,
   * which is scikit-learn's default (`labels=None`). A class absent from both would only add a
   * zero to the macro average.
   */
  averagedLabels: number[];
  /** One entry per class `0..K-1`, absent classes included (all zeros). */
  perClass: ClassMetrics[];
  /** K x K counts; row = true class, column = predicted class (scikit-learn's layout). */
  confusionMatrix: number[][];
}

/** Metrics of a multiclass classifier on one set of samples. */
export interface MulticlassEvaluation extends MulticlassReport {
  task: 'MULTICLASS_CLASSIFICATION';
  logLoss: number;
}

/** Index of the first largest value of each row (numpy `argmax(axis=1)`). */
export function argmaxRows(matrix: ProbabilityMatrix): Int32Array {
  requireMatrixShape(matrix);
  const result = new Int32Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) {
    const offset = r * matrix.cols;
    let best = 0;
    for (let c = 1; c < matrix.cols; c++) {
      if (matrix.data[offset + c] > matrix.data[offset + best]) best = c;
    }
    result[r] = best;
  }
  return result;
}

/**
 * K x K confusion matrix (row = true class, column = predicted class).
 * @throws ValidationError on unequal or empty inputs or labels outside `0..classCount-1`.
 */
export function multiclassConfusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classCount: number): number[][] {
  requireSameLength(yTrue, yPred, 'a confusion matrix');
  requireClassIndices(yTrue, classCount, 'True label');
  requireClassIndices(yPred, classCount, 'Predicted label');
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  return matrix;
}

function average(perClass: ClassMetrics[], weightOf: (entry: ClassMetrics) => number): PrecisionRecallF1 {
  let totalWeight = 0;
  const sum = { precision: 0, recall: 0, f1: 0 };
  for (const entry of perClass) {
    const weight = weightOf(entry);
    totalWeight += weight;
    sum.precision += weight * entry.precision;
    sum.recall += weight * entry.recall;
    sum.f1 += weight * entry.f1;
  }
  if (totalWeight === 0) return { precision: 0, recall: 0, f1: 0 };
  return { precision: sum.precision / totalWeight, recall: sum.recall / totalWeight, f1: sum.f1 / totalWeight };
}

/**
 * Accuracy, per-class, macro and weighted precision/recall/F1 and the confusion matrix of
 * predicted class indices.
 * @throws ValidationError on unequal or empty inputs or labels outside `0..classCount-1`.
 */
export function multiclassReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classCount: number): MulticlassReport {
  const confusionMatrix = multiclassConfusionMatrix(yTrue, yPred, classCount);
  const perClass: ClassMetrics[] = [];
  let correct = 0;
  for (let label = 0; label < classCount; label++) {
    let predictedCount = 0;
    for (let t = 0; t < classCount; t++) predictedCount += confusionMatrix[t][label];
    const support = confusionMatrix[label].reduce((a, b) => a + b, 0);
    const truePositives = confusionMatrix[label][label];
    correct += truePositives;
    perClass.push({ label, ...precisionRecallF1(truePositives, predictedCount, support), support });
  }
  const present = new Set<number>();
  for (let i = 0; i < yTrue.length; i++) {
    present.add(yTrue[i]);
    present.add(yPred[i]);
  }
  const averaged = perClass.filter((entry) => present.has(entry.label));
  return {
    sampleCount: yTrue.length,
    classCount,
    accuracy: correct / yTrue.length,
    macro: average(averaged, () => 1),
    weighted: average(averaged, (entry) => entry.support),
    averagedLabels: averaged.map((entry) => entry.label),
    perClass,
    confusionMatrix,
  };
}

/**
 * Evaluates a probability matrix (one column per class) against true class indices.
 * @throws ValidationError on a malformed matrix, unequal or empty inputs, labels outside the
 *   classes, probabilities outside [0, 1].
 */
export function evaluateMulticlass(yTrue: ArrayLike<number>, probabilities: ProbabilityMatrix): MulticlassEvaluation {
  requireMatrixShape(probabilities);
  requireSameLength(yTrue, { length: probabilities.rows }, 'multiclass metrics');
  requireProbabilities(probabilities.data, 'Predicted probability');
  const report = multiclassReport(yTrue, argmaxRows(probabilities), probabilities.cols);
  return { task: 'MULTICLASS_CLASSIFICATION', ...report, logLoss: multiclassLogLoss(yTrue, probabilities) };
}
