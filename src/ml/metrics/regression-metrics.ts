/**
 * Regression metrics as scikit-learn's `mean_absolute_error`, `root_mean_squared_error` and
 * `r2_score` (default `force_finite=True`).
 */
import { requireFinite, requireSameLength } from './metric-inputs';

/** Metrics of a regression model on one set of samples. */
export interface RegressionEvaluation {
  task: 'REGRESSION';
  sampleCount: number;
  mae: number;
  rmse: number;
  /**
   * Coefficient of determination `1 - SS_res / SS_tot`. With constant true values (SS_tot = 0)
   * it is 1 for a perfect prediction and 0 otherwise, as scikit-learn's `force_finite=True`;
   * `null` for fewer than two samples, where scikit-learn returns NaN with a warning.
   */
  r2: number | null;
}

/**
 * Evaluates predicted values against true values.
 * @throws ValidationError on unequal or empty inputs or non-finite values.
 */
export function evaluateRegression(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionEvaluation {
  requireSameLength(yTrue, yPred, 'regression metrics');
  requireFinite(yTrue, 'True value');
  requireFinite(yPred, 'Predicted value');
  const n = yTrue.length;
  let absoluteSum = 0;
  let squaredSum = 0;
  let trueSum = 0;
  for (let i = 0; i < n; i++) {
    const error = yTrue[i] - yPred[i];
    absoluteSum += Math.abs(error);
    squaredSum += error * error;
    trueSum += yTrue[i];
  }
  const trueMean = trueSum / n;
  let totalSquares = 0;
  for (let i = 0; i < n; i++) totalSquares += (yTrue[i] - trueMean) ** 2;
  let r2: number | null;
  if (n < 2) r2 = null;
  else if (squaredSum === 0) r2 = 1;
  else if (totalSquares === 0) r2 = 0;
  else r2 = 1 - squaredSum / totalSquares;
  return { task: 'REGRESSION', sampleCount: n, mae: absoluteSum / n, rmse: Math.sqrt(squaredSum / n), r2 };
}
