/**
 * Chi-squared drift test of a categorical window against the reference, as Evidently's
 * `chisquare` stat test (`chisquare_stattest.py`): over the union of observed categories, the
 * expected window counts are the reference counts scaled to the window size
 * (`reference_count * window_size / reference_size`), and scipy's `chisquare(observed, expected)`
 * gives Pearson's statistic and its p-value on (categories - 1) degrees of freedom.
 *
 * A category never seen in the reference has an expected count of 0: the statistic is then
 * infinite and the p-value 0 (drift), which is what scipy returns for Evidently's call. With a
 * single category there is nothing to test; scipy would return NaN (no drift in Evidently), this
 * returns statistic 0 and p-value 1.
 */
import { ValidationError } from '../../domain/errors';
import type { CategoryFrequencies } from './category-frequencies';
import { chiSquaredSurvival } from './special-functions';

/** Pearson's statistic, its degrees of freedom and p-value. */
export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

/**
 * Tests the window's category counts against the reference proportions.
 * @throws ValidationError when either sample has no non-missing value.
 */
export function chiSquareTest(frequencies: CategoryFrequencies): ChiSquareResult {
  const { reference, current, referenceTotal, currentTotal } = frequencies;
  if (referenceTotal === 0 || currentTotal === 0) {
    throw new ValidationError('The chi-squared test needs two non-empty samples');
  }
  const scale = currentTotal / referenceTotal;
  let statistic = 0;
  for (let k = 0; k < reference.length; k++) {
    const expected = reference[k] * scale;
    statistic += expected === 0 ? Infinity : (current[k] - expected) ** 2 / expected;
  }
  const degreesOfFreedom = reference.length - 1;
  if (degreesOfFreedom === 0) return { statistic: 0, degreesOfFreedom, pValue: 1 };
  return { statistic, degreesOfFreedom, pValue: chiSquaredSurvival(statistic, degreesOfFreedom) };
}
