/**
 * Jensen-Shannon distance between the category distributions of two samples, as Evidently's
 * `jensenshannon` stat test: proportions over the union of observed categories (no epsilon:
 * Evidently bins with `feel_zeroes=False` here, and the distance is finite with empty categories),
 * then scipy's `distance.jensenshannon(p, q)` with its default natural logarithm,
 * sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2. It lies in [0, sqrt(ln 2)].
 */
import { ValidationError } from '../../domain/errors';
import type { CategoryFrequencies } from './category-frequencies';

function relativeEntropyTerm(p: number, m: number): number {
  return p > 0 ? p * Math.log(p / m) : 0;
}

/**
 * Jensen-Shannon distance (base e) of the two samples' category proportions.
 * @throws ValidationError when either sample has no non-missing value.
 */
export function jensenShannonDistance(frequencies: CategoryFrequencies): number {
  const { reference, current, referenceTotal, currentTotal } = frequencies;
  if (referenceTotal === 0 || currentTotal === 0) {
    throw new ValidationError('The Jensen-Shannon distance needs two non-empty samples');
  }
  let divergence = 0;
  for (let k = 0; k < reference.length; k++) {
    const p = reference[k] / referenceTotal;
    const q = current[k] / currentTotal;
    const m = (p + q) / 2;
    divergence += relativeEntropyTerm(p, m) + relativeEntropyTerm(q, m);
  }
  // Rounding can leave a tiny negative sum for identical distributions.
  return Math.sqrt(Math.max(divergence, 0) / 2);
}
