/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, as scipy 1.17's `ks_2samp(a, b)` with its
 * default `method='auto'`:
 * - statistic D = max |F_a(x) - F_b(x)| over the pooled values (empirical CDFs counting ties, i.e.
 *   searchsorted side='right');
 * - exact p-value when both samples have at most 10,000 values: D is snapped to h / lcm(n, m) and
 *   P(D >= h / lcm) is counted on lattice paths (Hodges 1958; for n != m the "inside" recursion
 *   computing 1 - p directly, Viehmann 2021), as scipy's `_attempt_exact_2kssamp`;
 * - otherwise, or if the exact computation fails, the asymptotic p-value
 *   `kstwo.sf(D, round(n m / (n + m)))`.
 */
import { ValidationError } from '../../domain/errors';
import { kolmogorovSurvival } from './kolmogorov-distribution';
import { roundHalfEven, sortedFinite } from './numeric-sample';

/** scipy's MAX_AUTO_N: above this sample size 'auto' uses the asymptotic distribution. */
export const KS_EXACT_MAX_SIZE = 10000;

/** Outcome of {@link ksTwoSample}. */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** D over two ascending samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    // Advance past every copy of the smaller value in both samples, then compare the CDFs there.
    const value = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] === value) i++;
    while (j < m && b[j] === value) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  // Past the end of one sample the other CDF only rises towards 1, so the gap only shrinks.
  return d;
}

/** P(D_{n,n} >= h/n) (scipy `_compute_prob_outside_square`). */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/** P(D_{m,n} >= h/lcm(m,n)) by the inside method on 1 - p (scipy `_compute_outer_prob_inside_method`). */
function probabilityOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let value = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      value = (A[jj + minj - lastminj] * i + value * j) / (i + j);
      A[jj] = value;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/** Most exact p-values kept by {@link exactPValue} (about 60 bytes each). */
export const EXACT_P_CACHE_LIMIT = 20_000;

/** Values computed once per key, at most `limit` of them; the oldest goes first. */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.values.size;
  }

  get(key: string, compute: () => V): V {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value as string);
    this.values.set(key, value);
    return value;
  }
}

/** This thread's exact p-values (exported for tests). */
export const exactPValues = new BoundedMemo<number>(EXACT_P_CACHE_LIMIT);

/**
 * P(D >= h / lcm(n, m)), the exact p-value, which depends on nothing but (n, m, h). A drift monitor
 * tests windows of one size against one reference, feature after feature and window after window,
 * so the same triples recur and each is computed once (the lattice-path count is O(n m) and was most
 * of a drift report's CPU).
 */
function exactPValue(n: number, m: number, g: number, h: number): number {
  return exactPValues.get(n <= m ? `${n} ${m} ${h}` : `${m} ${n} ${h}`, () =>
    n === m ? probabilityOutsideSquare(n, h) : probabilityOutsideInside(n, m, g, h),
  );
}

/**
 * Two-sided two-sample KS test of ascending, finite samples.
 * @throws ValidationError when either sample is empty.
 */
export function ksTwoSampleSorted(a: Float64Array, b: Float64Array): KsResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new ValidationError('The Kolmogorov-Smirnov test needs two non-empty samples');
  let d = ksStatistic(a, b);
  if (Math.max(n, m) <= KS_EXACT_MAX_SIZE) {
    const g = gcd(n, m);
    const lcm = (n / g) * m;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const p = exactPValue(n, m, g, h);
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' };
  }
  const [big, small] = n >= m ? [n, m] : [m, n];
  const effective = roundHalfEven((big * small) / (big + small));
  return { statistic: d, pValue: kolmogorovSurvival(effective, d), method: 'asymptotic' };
}

/**
 * Two-sided two-sample KS test; non-finite values are dropped first.
 * @throws ValidationError when either sample has no finite value.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ksTwoSampleSorted(sortedFinite(a), sortedFinite(b));
}
