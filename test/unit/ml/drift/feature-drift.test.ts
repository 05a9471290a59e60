import type { CategoricalColumn, NumericColumn } from '../../../../src/domain/datasets/data-table';
import { ValidationError } from '../../../../src/domain/errors';
import { datasetDrift, testFeatureDrift } from '../../../../src/ml/drift/feature-drift';
import { grid } from './drift-samples';

/* Statistic values: scipy 1.17.1 / numpy 2.4.6 via test/unit/ml/drift/scipy-reference.py. */
function numeric(values: ArrayLike<number>, name = 'x'): NumericColumn {
  return { name, type: 'NUMERIC', values: Float64Array.from(values) };
}

function categorical(counts: number[], name = 'c'): CategoricalColumn {
  return {
    name,
    type: 'CATEGORICAL',
    categories: counts.map((_, k) => `k${k}`),
    codes: Int32Array.from(counts.flatMap((n, code) => new Array<number>(n).fill(code))),
  };
}

describe('testFeatureDrift', () => {
  it('uses KS for a numeric reference of at most 1,000 values, with drift at p < 0.05', () => {
    // ks_2samp(grid(800..), grid(12000.., 0.05)): D = 0.044749999999999956, p = 0.0962216471179177.
    const result = testFeatureDrift(numeric(grid(800, 7919, 6271, 3037)), numeric(grid(12000, 104729, 1303, 7727, 0.05)));
    expect(result).toMatchObject({ type: 'NUMERIC', method: 'KOLMOGOROV_SMIRNOV', threshold: 0.05, drifted: false });
    expect(result.statistic).toBeCloseTo(0.044749999999999956, 15);
    expect(result.pValue).toBeCloseTo(0.0962216471179177, 13);
    expect(result.referenceCount).toBe(800);
    expect(result.currentCount).toBe(12000);
    const looser = testFeatureDrift(numeric(grid(800, 7919, 6271, 3037)), numeric(grid(12000, 104729, 1303, 7727, 0.05)), {
      thresholds: { KOLMOGOROV_SMIRNOV: 0.1 },
    });
    expect(looser.drifted).toBe(true);
  });

  it('switches to the normed Wasserstein distance above 1,000 reference values, with drift at >= 0.1', () => {
    // W1 / std(reference) = 0.19231791658113834; PSI 0.03557749516933352.
    const result = testFeatureDrift(numeric(grid(3000, 7919, 6271, 3037)), numeric(grid(20000, 104729, 1303, 7727, 0.1)));
    expect(result).toMatchObject({ method: 'WASSERSTEIN_NORMED', pValue: null, threshold: 0.1, drifted: true });
    expect(result.statistic).toBeCloseTo(0.19231791658113834, 13);
    expect(result.psi).toBeCloseTo(0.03557749516933352, 14);
  });

  it('counts the reference size without missing values', () => {
    const values = [...grid(1000, 7919, 6271, 3037), NaN, NaN];
    expect(testFeatureDrift(numeric(values), numeric(grid(50, 1303, 7727, 104729))).method).toBe('KOLMOGOROV_SMIRNOV');
    expect(testFeatureDrift(numeric(grid(1001, 7919, 6271, 3037)), numeric(grid(50, 1303, 7727, 104729))).method).toBe('WASSERSTEIN_NORMED');
  });

  it('uses chi-squared for a small categorical reference and Jensen-Shannon for a large one', () => {
    // Reference 50/30/20 against window 30/30/40: statistic 28, p = exp(-14) (hand-worked in
    // categorical-drift.test.ts). PSI with shares .5/.3/.2 vs .3/.3/.4:
    // (.5-.3) ln(.5/.3) + 0 + (.2-.4) ln(.2/.4).
    const small = testFeatureDrift(categorical([50, 30, 20]), categorical([30, 30, 40]));
    expect(small).toMatchObject({ type: 'CATEGORICAL', method: 'CHI_SQUARED', statistic: 28, drifted: true });
    expect(small.pValue).toBeCloseTo(Math.exp(-14), 20);
    expect(small.psi).toBeCloseTo(0.2 * Math.log(5 / 3) + 0.2 * Math.LN2, 14);
    // Same proportions with 1,020 reference values: JS distance between .5/.3/.2 and .3/.3/.4,
    // m = .4/.3/.3: KL(p||m) = .5 ln 1.25 + .2 ln(2/3) = 0.03047, KL(q||m) = .3 ln .75 + .4 ln(4/3)
    // = 0.02877; sqrt(0.05924 / 2) = 0.1721 >= 0.1.
    const large = testFeatureDrift(categorical([510, 306, 204]), categorical([30, 30, 40]));
    expect(large.method).toBe('JENSEN_SHANNON');
    const m = [0.4, 0.3, 0.3];
    const kl = (p: number[]): number => p.reduce((sum, pi, k) => sum + pi * Math.log(pi / m[k]), 0);
    expect(large.statistic).toBeCloseTo(Math.sqrt((kl([0.5, 0.3, 0.2]) + kl([0.3, 0.3, 0.4])) / 2), 14);
    expect(large.statistic).toBeCloseTo(0.1721, 4);
    expect(large.drifted).toBe(true);
  });

  it('accepts a forced method that suits the type, and refuses one that does not', () => {
    const forced = testFeatureDrift(numeric([1, 2, 3, 4]), numeric([2, 3, 4, 5]), { method: 'WASSERSTEIN_NORMED' });
    // W1 = 1 (a shift by 1); std([1,2,3,4]) = sqrt(1.25).
    expect(forced.statistic).toBeCloseTo(1 / Math.sqrt(1.25), 14);
    expect(() => testFeatureDrift(numeric([1, 2]), numeric([1, 2]), { method: 'CHI_SQUARED' })).toThrow(ValidationError);
  });

  it('refuses samples of different types or without values, naming the feature', () => {
    expect(() => testFeatureDrift(numeric([1, 2], 'age'), categorical([1, 2], 'age'))).toThrow(/Feature age is NUMERIC/);
    let caught: unknown;
    try {
      testFeatureDrift(numeric([1, 2], 'age'), numeric([NaN], 'age'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).location).toEqual({ column: 'age' });
  });
});

describe('datasetDrift', () => {
  it('drifts when at least half of the features drift', () => {
    const flags = (...drifted: boolean[]) => drifted.map((d) => ({ drifted: d }));
    expect(datasetDrift(flags(true, false, true, false))).toEqual({
      featureCount: 4,
      driftedCount: 2,
      driftedShare: 0.5,
      share: 0.5,
      drifted: true,
    });
    expect(datasetDrift(flags(true, false, false)).drifted).toBe(false);
    expect(datasetDrift(flags(true, false, false), 0.3).drifted).toBe(true);
    expect(datasetDrift([]).drifted).toBe(false);
    expect(() => datasetDrift(flags(true), 0)).toThrow(ValidationError);
  });
});
