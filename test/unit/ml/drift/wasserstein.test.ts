import { ValidationError } from '../../../../src/domain/errors';
import { sortedFinite } from '../../../../src/ml/drift/numeric-sample';
import { normedWassersteinSorted, wassersteinDistance } from '../../../../src/ml/drift/wasserstein';
import { grid } from './drift-samples';

/*
 * scipy 1.17.1 wasserstein_distance, from test/unit/ml/drift/scipy-reference.py:
 *   [0,1,3] vs [5,6,8] -> 5.0 (the example in scipy's documentation)
 *   [1,2,3] vs [1,1,1,4] -> 0.75
 *   grid(3000, 7919, 6271, 3037) vs grid(20000, 104729, 1303, 7727, 0.1) -> 0.10000000000000006,
 *   normed by max(np.std(reference), 0.001) -> 0.19231791658113834
 */
describe('Wasserstein distance', () => {
  it('is the shift between two translated samples (scipy documentation example)', () => {
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
  });

  it('integrates the CDF gap with ties', () => {
    // On [1,2): U = 1/3, V = 3/4 -> 5/12; on [2,3): 2/3 vs 3/4 -> 1/12; on [3,4): 1 vs 3/4 -> 3/12.
    expect(wassersteinDistance([1, 2, 3], [1, 1, 1, 4])).toBeCloseTo(9 / 12, 15);
  });

  it('matches scipy on 3,000 x 20,000 values, plain and normed', () => {
    const reference = grid(3000, 7919, 6271, 3037);
    const current = grid(20000, 104729, 1303, 7727, 0.1);
    expect(wassersteinDistance(reference, current)).toBeCloseTo(0.10000000000000006, 13);
    expect(normedWassersteinSorted(sortedFinite(reference), sortedFinite(current))).toBeCloseTo(0.19231791658113834, 13);
  });

  it('norms by the population std of the reference, floored at 0.001', () => {
    // std([0,1,3]) = sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 3) = sqrt(42/27).
    expect(normedWassersteinSorted(Float64Array.of(0, 1, 3), Float64Array.of(5, 6, 8))).toBeCloseTo(5 / Math.sqrt(42 / 27), 14);
    // A constant reference: W1 = 0.5, divided by the floor 0.001.
    expect(normedWassersteinSorted(Float64Array.of(2, 2), Float64Array.of(2, 3))).toBeCloseTo(500, 10);
  });

  it('rejects an empty sample', () => {
    expect(() => wassersteinDistance([], [1])).toThrow(ValidationError);
  });
});
