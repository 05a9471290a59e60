import { ValidationError } from '../../../../src/domain/errors';
import { kolmogorovSurvival } from '../../../../src/ml/drift/kolmogorov-distribution';
import { BoundedMemo, exactPValues, ksTwoSample } from '../../../../src/ml/drift/ks-two-sample';
import { grid } from './drift-samples';

/*
 * Reference values: scipy 1.17.1, `ks_2samp(a, b)` (method 'auto') and `kstwo.sf(d, n)`, from
 * test/unit/ml/drift/scipy-reference.py (grid() is the same formula in both languages):
 *   ks separated 3x3            1.0                  0.09999999999999999
 *   ks ties                     0.4                  0.873015873015873
 *   ks exact 60x45              0.28888888888888886  0.02258055429922651
 *   ks exact 1000x1000 same law 0.005                1.0
 *   ks exact 800x5000           0.04475              0.1224604098434055
 *   ks asymp 800x12000          0.044749999999999956 0.0962216471179177
 *   ks asymp 30x20000           0.35266666666666663  0.0007658384899651427
 */
function expectRelative(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

describe('two-sample Kolmogorov-Smirnov test', () => {
  it('matches a hand-worked exact case', () => {
    // [1,2,3] vs [4,5,6]: the CDFs are 1 apart at 3, D = 1. Of the C(6,3) = 20 equally likely
    // orderings of the pooled sample, only the two fully separated ones reach D = 1: p = 2/20.
    const result = ksTwoSample([1, 2, 3], [4, 5, 6]);
    expect(result).toEqual({ statistic: 1, pValue: expect.closeTo(0.1, 15), method: 'exact' });
  });

  it('counts tied values on both sides at once', () => {
    // At 2: F_a = 4/5 (1,1,2,2), F_b = 2/5 (2,2) -> 0.4, the largest gap.
    const result = ksTwoSample([1, 1, 2, 2, 3], [2, 2, 3, 3, 4]);
    expect(result.statistic).toBeCloseTo(0.4, 15);
    expectRelative(result.pValue, 0.873015873015873, 1e-13);
  });

  it.each([
    ['exact, unequal sizes', grid(60, 7919, 6271, 3037), grid(45, 104729, 1303, 7727, 0.25), 0.28888888888888886, 0.02258055429922651, 'exact'],
    ['exact, same law', grid(1000, 7919, 6271, 3037), grid(1000, 104729, 1303, 7727), 0.005, 1.0, 'exact'],
    ['exact, 800 x 5000', grid(800, 7919, 6271, 3037), grid(5000, 104729, 1303, 7727, 0.05), 0.04475, 0.1224604098434055, 'exact'],
    [
      'asymptotic above 10,000 values',
      grid(800, 7919, 6271, 3037),
      grid(12000, 104729, 1303, 7727, 0.05),
      0.044749999999999956,
      0.0962216471179177,
      'asymptotic',
    ],
    ['asymptotic, small reference', grid(30, 7919, 6271, 3037), grid(20000, 104729, 1303, 7727, 0.4), 0.35266666666666663, 0.0007658384899651427, 'asymptotic'],
  ])('matches scipy ks_2samp: %s', (_name, a, b, statistic, pValue, method) => {
    const result = ksTwoSample(a, b);
    expect(result.method).toBe(method);
    expect(result.statistic).toBeCloseTo(statistic, 15);
    expectRelative(result.pValue, pValue, 1e-12);
    // The test is symmetric in its samples.
    expect(ksTwoSample(b, a).pValue).toBe(result.pValue);
  });

  it('computes an exact p-value once per sample sizes and statistic, whatever the values', () => {
    const a = grid(60, 7919, 6271, 3037);
    const b = grid(45, 104729, 1303, 7727, 0.25);
    const first = ksTwoSample(a, b);
    const kept = exactPValues.size;
    // Shifted and scaled alike, the samples interleave as before: same sizes, same D, same p.
    const moved = ksTwoSample(
      a.map((x) => 3 * x + 1000),
      b.map((x) => 3 * x + 1000),
    );
    expect(moved).toEqual(first);
    expect(exactPValues.size).toBe(kept);
    expectRelative(first.pValue, 0.02258055429922651, 1e-12);
  });

  it('keeps at most its limit of values, dropping the oldest', () => {
    const memo = new BoundedMemo<number>(2);
    let computed = 0;
    const value = (key: string) => memo.get(key, () => ++computed);
    expect([value('a'), value('b'), value('a')]).toEqual([1, 2, 1]);
    expect(value('c')).toBe(3);
    expect(memo.size).toBe(2);
    expect(value('a')).toBe(4);
    expect(value('c')).toBe(3);
  });

  it('drops missing values', () => {
    expect(ksTwoSample([1, NaN, 2, 3], [4, 5, Infinity, 6]).statistic).toBe(1);
  });

  it('rejects an empty sample', () => {
    expect(() => ksTwoSample([NaN], [1, 2])).toThrow(ValidationError);
  });
});

describe('Kolmogorov distribution survival function', () => {
  // scipy kstwo.sf(d, n); the comment names the method scipy (and this port) uses there.
  it.each([
    [5, 0.7, 0.005560000000000004], // d >= 0.5: 2 x Smirnov
    [100, 0.05, 0.9532159710635725], // n d^2 <= 0.754693: Durbin matrix
    [100, 0.2, 0.0005551927327988775], // n d^2 <= 4: Pomeranz
    [100, 0.3, 1.7719869892662917e-8], // n <= 140, n d^2 > 4: 2 x Smirnov
    [1000, 0.01, 0.9999496745370611], // n > 140, n d^1.5 <= 1.4: Durbin matrix
    [1000, 0.03, 0.3226902143914636], // n > 140: Pelz-Good
    [1000, 0.06, 0.001428597887952891], // n > 140, n d^2 >= 2.2: 2 x Smirnov
    [25000, 0.005, 0.5578336507542061], // Pelz-Good
    [10, 0.09, 0.9999610360566907], // n d <= 1: Ruben-Gambino, 1 - n!/n^n (2nd - 1)^n
    [10, 0.95, 1.9531250000000172e-13], // n d >= n - 1: 2 (1 - d)^n
  ])('kstwo.sf(%p, n=%p)', (n, d, expected) => {
    expectRelative(kolmogorovSurvival(n, d), expected, 1e-11);
  });

  it('is 1 at 0 and 0 at 1', () => {
    expect(kolmogorovSurvival(50, 0)).toBe(1);
    expect(kolmogorovSurvival(50, 1)).toBe(0);
  });
});
