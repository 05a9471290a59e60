/**
 * Per-column summary statistics stored with a dataset version (JSON-serializable).
 */

import type { CategoricalColumn, DataColumn, NumericColumn } from './data-table';

/** Quantile levels reported for NUMERIC columns. */
export const QUANTILE_LEVELS = { p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;
/** Quantiles by level name (`p01` = 1st percentile). */
export type Quantiles = Record<keyof typeof QUANTILE_LEVELS, number>;

/** Most histogram bins for a NUMERIC column. */
export const MAX_HISTOGRAM_BINS = 30;
/** Categories listed one by one in a CATEGORICAL profile; the rest are counted together. */
export const TOP_CATEGORIES = 50;

/** Equal-width histogram of the non-missing values. */
export interface Histogram {
  /** `counts.length + 1` increasing bin edges; bins are [e_i, e_i+1) except the last, which is closed. */
  edges: number[];
  counts: number[];
}

interface ProfileBase {
  /** Non-missing values. */
  count: number;
  /** Missing values (`count + missing` is the row count). */
  missing: number;
  /** Distinct non-missing values. */
  distinct: number;
}

/** Profile of a NUMERIC column. */
export interface NumericProfile extends ProfileBase {
  type: 'NUMERIC';
  /** Arithmetic mean; null when `count` is 0. */
  mean: number | null;
  /** Sample standard deviation (divisor n - 1); null when `count` < 2. */
  std: number | null;
  min: number | null;
  max: number | null;
  quantiles: Quantiles | null;
  histogram: Histogram | null;
}

/** How often one category occurs. */
export interface CategoryCount {
  value: string;
  count: number;
}

/** Profile of a CATEGORICAL column. */
export interface CategoricalProfile extends ProfileBase {
  type: 'CATEGORICAL';
  /** The {@link TOP_CATEGORIES} most frequent categories: count descending, ties by value (UTF-16 order). */
  topCategories: CategoryCount[];
  /** Values in all other categories together. */
  otherCount: number;
}

/** Profile of any column, discriminated by `type`. */
export type ColumnProfile = NumericProfile | CategoricalProfile;

/**
 * Profiles one column; missing values (NaN, code -1) are counted and otherwise left out. A NUMERIC
 * column's values are sorted in `scratch` (at least as long as the column; one is made when not
 * given): profiling many columns with one scratch array allocates no sorted copy of each.
 */
export function profileColumn(column: DataColumn, scratch?: Float64Array): ColumnProfile {
  return column.type === 'NUMERIC' ? profileNumeric(column, scratch ?? new Float64Array(column.values.length)) : profileCategorical(column);
}

function profileNumeric(column: NumericColumn, scratch: Float64Array): NumericProfile {
  let count = 0;
  for (const value of column.values) if (!Number.isNaN(value)) scratch[count++] = value;
  const present = scratch.subarray(0, count).sort();
  const missing = column.values.length - count;
  let distinct = 0;
  for (let i = 0; i < count; i++) if (i === 0 || present[i] !== present[i - 1]) distinct++;
  const base = { type: 'NUMERIC' as const, count, missing, distinct };
  if (count === 0) {
    return { ...base, mean: null, std: null, min: null, max: null, quantiles: null, histogram: null };
  }
  let sum = 0;
  for (let i = 0; i < count; i++) sum += present[i];
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (present[i] - mean) ** 2;
  const quantiles = Object.fromEntries(Object.entries(QUANTILE_LEVELS).map(([key, level]) => [key, quantileOfSorted(present, level)])) as Quantiles;
  return {
    ...base,
    mean,
    std: count > 1 ? Math.sqrt(squares / (count - 1)) : null,
    min: present[0],
    max: present[count - 1],
    quantiles,
    histogram: histogram(present, Math.min(MAX_HISTOGRAM_BINS, Math.ceil(Math.sqrt(count)))),
  };
}

/**
 * Quantile of ascending `sorted` values at `level` in [0, 1], by numpy's default method
 * (`np.quantile(x, q)`, method 'linear', Hyndman-Fan type 7): position h = (n - 1) * level, then
 * linear interpolation between the neighbouring order statistics, computed as numpy's `_lerp` does.
 */
export function quantileOfSorted(sorted: ArrayLike<number>, level: number): number {
  const position = (sorted.length - 1) * level;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const t = position - below;
  const a = sorted[below];
  const b = sorted[above];
  const difference = b - a;
  // numpy interpolates from the nearer end, which keeps results monotone and exact at the ends.
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}

/**
 * Histogram of ascending `sorted` values with `bins` equal-width bins spanning [min, max], exactly
 * as `np.histogram(x, bins=bins)` computes it: edges by `np.linspace`, the last bin closed, and
 * (when min == max) the range widened to [min - 0.5, max + 0.5]. mlplane uses
 * bins = min(30, ceil(sqrt(count))).
 */
export function histogram(sorted: ArrayLike<number>, bins: number): Histogram {
  let low = sorted[0];
  let high = sorted[sorted.length - 1];
  if (low === high) {
    low -= 0.5;
    high += 0.5;
  }
  const step = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + i * step));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i];
    let bin = Math.floor(((value - low) / (high - low)) * bins);
    if (bin === bins) bin--;
    // Floating point can put a value next to an edge in the neighbouring bin; numpy corrects against the edges.
    if (value < edges[bin]) bin--;
    else if (bin !== bins - 1 && value >= edges[bin + 1]) bin++;
    counts[bin]++;
  }
  return { edges, counts };
}

function profileCategorical(column: CategoricalColumn): CategoricalProfile {
  const perCategory = new Array<number>(column.categories.length).fill(0);
  let missing = 0;
  for (const code of column.codes) {
    if (code < 0) missing++;
    else perCategory[code]++;
  }
  const ranked = column.categories
    .map((value, code) => ({ value, count: perCategory[code] }))
    .filter((entry) => entry.count > 0)
    .sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
  const topCategories = ranked.slice(0, TOP_CATEGORIES);
  const otherCount = ranked.slice(TOP_CATEGORIES).reduce((total, entry) => total + entry.count, 0);
  return {
    type: 'CATEGORICAL',
    count: column.codes.length - missing,
    missing,
    distinct: ranked.length,
    topCategories,
    otherCount,
  };
}
