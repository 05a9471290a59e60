import { chiSquaredSurvival, logGamma } from '../../../../src/ml/drift/special-functions';

/* scipy 1.17.1 chi2.sf(x, k), from test/unit/ml/drift/scipy-reference.py. */
describe('chi-squared survival function', () => {
  it('matches closed forms', () => {
    // Two degrees of freedom: sf(x) = exp(-x/2).
    expect(chiSquaredSurvival(28, 2)).toBeCloseTo(Math.exp(-14), 20);
    // One degree of freedom at the 5% critical value 3.8415: about 0.05.
    expect(chiSquaredSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquaredSurvival(0, 3)).toBe(1);
  });

  it.each([
    [28, 2, 8.31528719103568e-7],
    [3.84, 1, 0.05004352124870519],
    [10, 3, 0.01856613546304325],
    [50, 20, 0.0002214766382487835],
    [200, 150, 0.003973185970821635],
    [1200, 1000, 1.2255942330622893e-5],
    [5, 30, 0.9999999308468613],
    [100, 10, 5.4497019829205215e-17],
    [1e-5, 4, 0.9999999999875],
  ])('chi2.sf(%p, %p)', (x, k, expected) => {
    expect(Math.abs(chiSquaredSurvival(x, k) - expected)).toBeLessThanOrEqual(1e-11 * expected);
  });

  it('has an accurate log-gamma', () => {
    // ln Γ(1/2) = ln √π; ln Γ(11) = ln 10!.
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 13);
  });
});
