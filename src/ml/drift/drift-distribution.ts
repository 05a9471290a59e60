/**
 * What a drift report draws: the reference and current distributions of one column side by side,
 * as shares (each side sums to 1 over its non-missing values).
 * - numeric: equal-width bins over the range of both samples together (one bin when the range is
 *   a single value); bin i covers [edges[i], edges[i+1]), the last bin includes its right edge;
 * - categorical: the categories of both samples, most frequent first (reference plus current
 *   share), at most `MAX_DRIFT_CATEGORIES`; the rest are summed under `otherShare`.
 */
import { categoryFrequencies } from './category-frequencies';
import type { FeatureSample } from './feature-drift';

export const DRIFT_HISTOGRAM_BINS = 20;
export const MAX_DRIFT_CATEGORIES = 20;

export interface DriftDistribution {
  /** Numeric: bin edges (bins + 1 values); null for categorical columns. */
  edges: number[] | null;
  /** Categorical: the categories shown; null for numeric columns. */
  categories: string[] | null;
  /** Share of the reference's non-missing values per bin or category. */
  reference: number[];
  /** Share of the window's non-missing values per bin or category. */
  current: number[];
  /** Categorical: shares of the categories left out, reference then current; null for numeric. */
  otherShare: [number, number] | null;
}

function finiteValues(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]);
  return out;
}

function shares(counts: ArrayLike<number>, total: number): number[] {
  return Array.from(counts, (count) => (total > 0 ? count / total : 0));
}

function numericDistribution(reference: ArrayLike<number>, current: ArrayLike<number>, bins: number): DriftDistribution {
  const ref = finiteValues(reference);
  const cur = finiteValues(current);
  let lo = Infinity;
  let hi = -Infinity;
  for (const sample of [ref, cur]) {
    for (const v of sample) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return { edges: [], categories: null, reference: [], current: [], otherShare: null };
  const count = hi > lo ? bins : 1;
  const width = hi > lo ? (hi - lo) / count : 0;
  const edges = Array.from({ length: count + 1 }, (_, i) => (i === count ? (hi > lo ? hi : lo) : lo + i * width));
  const binOf = (v: number) => (width === 0 ? 0 : Math.min(count - 1, Math.floor((v - lo) / width)));
  const refCounts = new Float64Array(count);
  const curCounts = new Float64Array(count);
  for (const v of ref) refCounts[binOf(v)]++;
  for (const v of cur) curCounts[binOf(v)]++;
  return { edges, categories: null, reference: shares(refCounts, ref.length), current: shares(curCounts, cur.length), otherShare: null };
}

/** The two distributions of one column, binned alike. */
export function driftDistribution(reference: FeatureSample, current: FeatureSample): DriftDistribution {
  if (reference.type === 'NUMERIC' && current.type === 'NUMERIC') {
    return numericDistribution(reference.values, current.values, DRIFT_HISTOGRAM_BINS);
  }
  if (reference.type !== 'CATEGORICAL' || current.type !== 'CATEGORICAL') {
    throw new Error('driftDistribution: reference and current must have the same type');
  }
  const freq = categoryFrequencies(reference, current);
  const refShares = shares(freq.reference, freq.referenceTotal);
  const curShares = shares(freq.current, freq.currentTotal);
  const order = freq.categories.map((_, k) => k).sort((a, b) => refShares[b] + curShares[b] - (refShares[a] + curShares[a]) || a - b);
  const shown = order.slice(0, MAX_DRIFT_CATEGORIES);
  const rest = order.slice(MAX_DRIFT_CATEGORIES);
  const sum = (values: number[], ks: number[]) => ks.reduce((s, k) => s + values[k], 0);
  return {
    edges: null,
    categories: shown.map((k) => freq.categories[k]),
    reference: shown.map((k) => refShares[k]),
    current: shown.map((k) => curShares[k]),
    otherShare: [sum(refShares, rest), sum(curShares, rest)],
  };
}
