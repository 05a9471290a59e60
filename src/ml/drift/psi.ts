/**
 * Population Stability Index, PSI = sum over bins of (r - c) * ln(r / c), r and c the reference
 * and current shares of a bin.
 *
 * Bins: for numeric samples, 10 bins cut at the reference's deciles (numpy `quantile`, linear
 * interpolation, at 0.1 .. 0.9; repeated cut points merged), right-closed, the outer two open-ended
 * so that values outside the reference range still count; for categorical samples, one bin per
 * category of the union. (Evidently's own `psi` test bins numeric columns on a Sturges histogram of
 * both samples instead; the deciles here are what mlplane specifies.)
 *
 * Empty bins: Evidently's rule (`get_binned_data`, `feel_zeroes=True`), applied to each side
 * separately: a zero share becomes min(non-zero shares) / 10^6 when that minimum is <= 0.0001,
 * else 0.0001.
 */
import { quantileOfSorted } from '../../domain/datasets/column-profile';
import { ValidationError } from '../../domain/errors';
import type { CategoryFrequencies } from './category-frequencies';
import { countAtMost } from './numeric-sample';

/** Number of reference-quantile bins. */
export const PSI_BINS = 10;

/** The distinct inner cut points of `bins` reference-quantile bins, ascending. */
export function quantileEdges(sortedReference: ArrayLike<number>, bins = PSI_BINS): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileOfSorted(sortedReference, k / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

function fillEmptyShares(shares: Float64Array): void {
  let minimum = Infinity;
  for (const share of shares) if (share > 0 && share < minimum) minimum = share;
  const fill = minimum <= 0.0001 ? minimum / 1e6 : 0.0001;
  for (let k = 0; k < shares.length; k++) if (shares[k] === 0) shares[k] = fill;
}

/**
 * PSI from per-bin counts, with Evidently's empty-bin rule.
 * @throws ValidationError when either side has no counts.
 */
export function psiFromCounts(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  const total = (counts: ArrayLike<number>): number => {
    let sum = 0;
    for (let k = 0; k < counts.length; k++) sum += counts[k];
    return sum;
  };
  const referenceTotal = total(referenceCounts);
  const currentTotal = total(currentCounts);
  if (referenceTotal === 0 || currentTotal === 0) throw new ValidationError('PSI needs two non-empty samples');
  const r = Float64Array.from(referenceCounts, (count) => count / referenceTotal);
  const c = Float64Array.from(currentCounts, (count) => count / currentTotal);
  fillEmptyShares(r);
  fillEmptyShares(c);
  let psi = 0;
  for (let k = 0; k < r.length; k++) psi += (r[k] - c[k]) * Math.log(r[k] / c[k]);
  return psi;
}

/** Counts of an ascending sample in the right-closed bins (-inf, e1], (e1, e2], ..., (e_last, inf). */
export function binCountsSorted(sorted: ArrayLike<number>, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let below = 0;
  edges.forEach((edge, k) => {
    const atMost = countAtMost(sorted, edge);
    counts[k] = atMost - below;
    below = atMost;
  });
  counts[edges.length] = sorted.length - below;
  return counts;
}

/**
 * PSI of a numeric window on the reference's decile bins; both samples ascending and finite.
 * @throws ValidationError when either sample is empty.
 */
export function numericPsiSorted(sortedReference: Float64Array, sortedCurrent: Float64Array, bins = PSI_BINS): number {
  if (sortedReference.length === 0 || sortedCurrent.length === 0) {
    throw new ValidationError('PSI needs two non-empty samples');
  }
  const edges = quantileEdges(sortedReference, bins);
  return psiFromCounts(binCountsSorted(sortedReference, edges), binCountsSorted(sortedCurrent, edges));
}

/**
 * PSI of a categorical window, one bin per category of the union.
 * @throws ValidationError when either sample has no non-missing value.
 */
export function categoricalPsi(frequencies: CategoryFrequencies): number {
  return psiFromCounts(frequencies.reference, frequencies.current);
}
