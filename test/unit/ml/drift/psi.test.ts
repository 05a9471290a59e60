import { ValidationError } from '../../../../src/domain/errors';
import { categoryFrequencies } from '../../../../src/ml/drift/category-frequencies';
import { sortedFinite } from '../../../../src/ml/drift/numeric-sample';
import { categoricalPsi, numericPsiSorted, psiFromCounts, quantileEdges } from '../../../../src/ml/drift/psi';
import { grid } from './drift-samples';

/*
 * Cross-checked with numpy 2.4.6 in test/unit/ml/drift/scipy-reference.py (np.quantile deciles,
 * np.unique, searchsorted side='left' for right-closed bins, Evidently's feel_zeroes):
 *   psi hand        0.7593994704263101  edges [10.9, 20.8, ..., 90.10000000000001]
 *   psi 3000x20000  0.03557749516933352
 *   psi binary      0.37582889054861035 edges [0.0, 0.29999999999999716, 1.0]
 *   psi 7 categories 0.14094961812932574
 */
function repeat(value: number, times: number): number[] {
  return new Array<number>(times).fill(value);
}

describe('PSI', () => {
  it('matches a hand-worked case on reference deciles', () => {
    // Reference 1..100: decile k sits at index 99k/10, e.g. 10 + 0.9 = 10.9; ten bins of 10 values.
    const reference = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    const edges = quantileEdges(reference);
    expect(edges[0]).toBeCloseTo(10.9, 12);
    expect(edges[8]).toBeCloseTo(90.1, 12);
    // Window of 50: none in the first bin, 5 in each of bins 2..9, 10 above the reference range.
    const current = sortedFinite([15, 25, 35, 45, 55, 65, 75, 85].flatMap((v) => repeat(v, 5)).concat(repeat(200, 10)));
    // Shares r = 0.1 everywhere; c = 0 (filled with 0.0001, as the smallest non-zero share 0.1 > 0.0001),
    // 0.1 x 8, 0.2. PSI = (0.1 - 0.0001) ln(0.1/0.0001) + 8 x 0 + (0.1 - 0.2) ln(0.1/0.2).
    const expected = 0.0999 * Math.log(1000) + 0.1 * Math.LN2;
    expect(numericPsiSorted(reference, current)).toBeCloseTo(expected, 14);
    expect(numericPsiSorted(reference, current)).toBeCloseTo(0.7593994704263101, 14);
  });

  it('is 0 for a window distributed like the reference', () => {
    const reference = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(numericPsiSorted(reference, reference)).toBe(0);
  });

  it('matches the numpy transcription on 3,000 x 20,000 values', () => {
    const reference = sortedFinite(grid(3000, 7919, 6271, 3037));
    const current = sortedFinite(grid(20000, 104729, 1303, 7727, 0.1));
    expect(numericPsiSorted(reference, current)).toBeCloseTo(0.03557749516933352, 14);
  });

  it('merges repeated cut points of a two-valued reference', () => {
    // 70 zeros and 30 ones: deciles 0 (x7), 0.3, 1 -> bins (-inf,0], (0,0.3], (0.3,1], (1,inf).
    const reference = sortedFinite([...repeat(0, 70), ...repeat(1, 30)]);
    expect(quantileEdges(reference)).toEqual([0, expect.closeTo(0.3, 12), 1]);
    const current = sortedFinite([...repeat(0, 40), ...repeat(1, 60)]);
    // Empty bins get 0.0001 on both sides and cancel: (0.7-0.4) ln(7/4) + (0.3-0.6) ln(1/2).
    const expected = 0.3 * Math.log(7 / 4) + 0.3 * Math.LN2;
    expect(numericPsiSorted(reference, current)).toBeCloseTo(expected, 14);
    expect(numericPsiSorted(reference, current)).toBeCloseTo(0.37582889054861035, 14);
  });

  it('fills empty shares with min / 10^6 when the smallest share is at most 0.0001', () => {
    // Current shares [0, 1/20000, 19999/20000]: the smallest non-zero 0.00005 <= 0.0001, so 0 -> 5e-11.
    const value = psiFromCounts([1, 1, 1], [0, 1, 19999]);
    const r = 1 / 3;
    const c = [5e-11, 1 / 20000, 19999 / 20000];
    expect(value).toBeCloseTo(
      c.reduce((sum, ci) => sum + (r - ci) * Math.log(r / ci), 0),
      12,
    );
  });

  it('bins categories over the union', () => {
    const reference = { categories: ['a', 'b', 'c', 'd', 'e', 'f'], codes: [120, 80, 300, 45, 210, 245].flatMap((n, code) => repeat(code, n)) };
    const current = {
      categories: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      codes: [400, 250, 1200, 160, 700, 890, 90].flatMap((n, code) => repeat(code, n)),
    };
    expect(categoricalPsi(categoryFrequencies(reference, current))).toBeCloseTo(0.14094961812932574, 14);
  });

  it('rejects an empty sample', () => {
    expect(() => psiFromCounts([1, 2], [0, 0])).toThrow(ValidationError);
  });
});
