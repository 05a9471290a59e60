/**
 * First Wasserstein (earth mover's) distance between two empirical distributions, as scipy's
 * `wasserstein_distance(u, v)`: the integral of |U(x) - V(x)| over the pooled values, with U and V
 * the empirical CDFs. Evidently's drift test divides it by the reference's population standard
 * deviation, floored at 0.001 (`wasserstein_distance_norm.py`).
 */
import { ValidationError } from '../../domain/errors';
import { populationStd, sortedFinite } from './numeric-sample';

/** Evidently's floor on the reference std, so that a constant reference does not divide by zero. */
export const WASSERSTEIN_MIN_NORM = 0.001;

/**
 * W1 between two ascending, finite, non-empty samples, in one merge pass.
 * @throws ValidationError when either sample is empty.
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n = u.length;
  const m = v.length;
  if (n === 0 || m === 0) throw new ValidationError('The Wasserstein distance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let previous = u[0] < v[0] ? u[0] : v[0];
  let distance = 0;
  while (i < n || j < m) {
    const value = j >= m || (i < n && u[i] <= v[j]) ? u[i] : v[j];
    // Between `previous` and `value` both CDFs are flat at i/n and j/m.
    distance += Math.abs(i / n - j / m) * (value - previous);
    if (j >= m || (i < n && u[i] <= v[j])) i++;
    else j++;
    previous = value;
  }
  return distance;
}

/**
 * W1 between two samples; non-finite values are dropped first.
 * @throws ValidationError when either sample has no finite value.
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(sortedFinite(u), sortedFinite(v));
}

/**
 * W1 divided by max(std(reference), 0.001), Evidently's normed Wasserstein distance; both samples
 * ascending, finite and non-empty.
 * @throws ValidationError when either sample is empty.
 */
export function normedWassersteinSorted(reference: Float64Array, current: Float64Array): number {
  return wassersteinSorted(reference, current) / Math.max(populationStd(reference), WASSERSTEIN_MIN_NORM);
}
