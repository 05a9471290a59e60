/**
 * Checks shared by the metric functions: the inputs are user data (a dataset version and a
 * model's outputs), so a mismatch is a {@link ValidationError} naming the offending index.
 */
import { ValidationError } from '../../domain/errors';

/** Dense row-major matrix of class probabilities: row `r`, class `c` at `data[r * cols + c]`. */
export interface ProbabilityMatrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/**
 * Throws unless `actual` and `predicted` are non-empty and of equal length.
 * @throws ValidationError
 */
export function requireSameLength(actual: ArrayLike<unknown>, predicted: ArrayLike<unknown>, what: string): void {
  if (actual.length === 0) {
    throw new ValidationError(`Cannot compute ${what} on zero samples`);
  }
  if (actual.length !== predicted.length) {
    throw new ValidationError(`Cannot compute ${what}: ${actual.length} true values but ${predicted.length} predictions`);
  }
}

/**
 * Throws unless `matrix.data` holds exactly `rows * cols` values and there are at least two classes.
 * @throws ValidationError
 */
export function requireMatrixShape(matrix: ProbabilityMatrix): void {
  if (matrix.cols < 2 || matrix.data.length !== matrix.rows * matrix.cols) {
    const expected = matrix.rows * matrix.cols;
    throw new ValidationError(
      `A ${matrix.rows} x ${matrix.cols} probability matrix needs at least 2 classes and ${expected} values, got ${matrix.data.length}`,
    );
  }
}

/**
 * Throws unless every value is a finite number.
 * @throws ValidationError (with `index`)
 */
export function requireFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ValidationError(`${what} at index ${i} is not a finite number: ${values[i]}`, { index: i });
    }
  }
}

/**
 * Throws unless every value is a probability in [0, 1] (scikit-learn's log_loss rejects others too).
 * @throws ValidationError (with `index`)
 */
export function requireProbabilities(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    if (!(p >= 0 && p <= 1)) {
      throw new ValidationError(`${what} at index ${i} is not a probability in [0, 1]: ${p}`, { index: i });
    }
  }
}

/**
 * Throws unless every value is an integer class index in [0, classCount).
 * @throws ValidationError (with `index`)
 */
export function requireClassIndices(values: ArrayLike<number>, classCount: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0 || label >= classCount) {
      throw new ValidationError(`${what} at index ${i} must be a class index in [0, ${classCount - 1}], got ${label}`, { index: i });
    }
  }
}
