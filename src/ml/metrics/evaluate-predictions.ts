/**
 * The one entry point for evaluating a model's outputs: picks the metric set of the task.
 * Definitions are scikit-learn 1.9's; see the per-task modules for the details.
 */
import { DEFAULT_THRESHOLD, evaluateBinary, type BinaryEvaluation } from './binary-metrics';
import type { ProbabilityMatrix } from './metric-inputs';
import { evaluateMulticlass, type MulticlassEvaluation } from './multiclass-metrics';
import { evaluateRegression, type RegressionEvaluation } from './regression-metrics';

export type { BinaryEvaluation } from './binary-metrics';
export type { MulticlassEvaluation } from './multiclass-metrics';
export type { RegressionEvaluation } from './regression-metrics';
export type { ProbabilityMatrix } from './metric-inputs';

/** Result of {@link evaluatePredictions}; `task` tells which. */
export type Evaluation = BinaryEvaluation | MulticlassEvaluation | RegressionEvaluation;

/** Options of a binary evaluation. */
export interface BinaryEvaluationOptions {
  /** P(class 1) at or above which a sample is predicted positive. @default 0.5 */
  threshold?: number;
}

/**
 * Binary: `yTrue` holds 0/1, `predictions` P(class 1) per sample.
 * @throws ValidationError on malformed inputs (lengths, labels, probabilities, threshold).
 */
export function evaluatePredictions(
  task: 'BINARY_CLASSIFICATION',
  yTrue: ArrayLike<number>,
  predictions: ArrayLike<number>,
  options?: BinaryEvaluationOptions,
): BinaryEvaluation;
/**
 * Multiclass: `yTrue` holds class indices, `predictions` a row per sample of K class probabilities.
 * @throws ValidationError on malformed inputs (shape, lengths, labels, probabilities).
 */
export function evaluatePredictions(task: 'MULTICLASS_CLASSIFICATION', yTrue: ArrayLike<number>, predictions: ProbabilityMatrix): MulticlassEvaluation;
/**
 * Regression: `yTrue` and `predictions` hold values.
 * @throws ValidationError on malformed inputs (lengths, non-finite values).
 */
export function evaluatePredictions(task: 'REGRESSION', yTrue: ArrayLike<number>, predictions: ArrayLike<number>): RegressionEvaluation;
export function evaluatePredictions(
  task: Evaluation['task'],
  yTrue: ArrayLike<number>,
  predictions: ArrayLike<number> | ProbabilityMatrix,
  options: BinaryEvaluationOptions = {},
): Evaluation {
  switch (task) {
    case 'BINARY_CLASSIFICATION':
      return evaluateBinary(yTrue, predictions as ArrayLike<number>, options.threshold ?? DEFAULT_THRESHOLD);
    case 'MULTICLASS_CLASSIFICATION':
      return evaluateMulticlass(yTrue, predictions as ProbabilityMatrix);
    case 'REGRESSION':
      return evaluateRegression(yTrue, predictions as ArrayLike<number>);
    default: {
      const unreachable: never = task;
      throw new Error(`Unknown task ${String(unreachable)}`);
    }
  }
}
