import { ValidationError } from '../../../../src/domain/errors';
import { evaluateRegression } from '../../../../src/ml/metrics/regression-metrics';

/*
 * Reference values: scikit-learn 1.9.1 (numpy 2.4.6), computed once (script in
 * test/unit/ml/metrics/sklearn-reference.py):
 *
 *   yr = np.array([((i * 37) % 101) / 10 - 3 for i in range(150)])
 *   pr = np.array([v + (((i * 53) % 29) - 14) / 20 for i, v in enumerate(yr)])
 *   mean_absolute_error(yr, pr), root_mean_squared_error(yr, pr), r2_score(yr, pr)
 *   -> 0.36133333333333334, 0.41825032376954996, 0.9794324323265101
 *   r2_score([3, 3, 3], [3, 3, 3]) -> 1.0; r2_score([3, 3, 3], [3, 2, 3]) -> 0.0
 */
describe('regression metrics', () => {
  it('match a hand-worked case (the scikit-learn documentation example)', () => {
    const result = evaluateRegression([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
    // Errors 0.5, -0.5, 0, -1: MAE = 2/4; MSE = (0.25 + 0.25 + 0 + 1)/4 = 0.375.
    expect(result.mae).toBe(0.5);
    expect(result.rmse).toBeCloseTo(Math.sqrt(0.375), 15);
    // Mean 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875; SS_res = 1.5.
    expect(result.r2).toBeCloseTo(1 - 1.5 / 29.1875, 15);
    expect(result.r2).toBeCloseTo(0.9486081370449679, 15);
  });

  it('match scikit-learn on 150 samples', () => {
    const yTrue = Array.from({ length: 150 }, (_, i) => ((i * 37) % 101) / 10 - 3);
    const yPred = yTrue.map((v, i) => v + (((i * 53) % 29) - 14) / 20);
    const result = evaluateRegression(yTrue, yPred);
    expect(result.mae).toBeCloseTo(0.36133333333333334, 14);
    expect(result.rmse).toBeCloseTo(0.41825032376954996, 14);
    expect(result.r2).toBeCloseTo(0.9794324323265101, 14);
  });

  it('follows scikit-learn on constant true values: 1 if perfect, else 0', () => {
    expect(evaluateRegression([3, 3, 3], [3, 3, 3]).r2).toBe(1);
    expect(evaluateRegression([3, 3, 3], [3, 2, 3]).r2).toBe(0);
  });

  it('gives a negative R2 for a constant prediction away from the mean, and none for one sample', () => {
    // Predicting 0 for [1, 2, 3]: SS_res = 14, SS_tot = 2 -> R2 = 1 - 7 = -6.
    expect(evaluateRegression([1, 2, 3], [0, 0, 0]).r2).toBe(-6);
    expect(evaluateRegression([1], [1]).r2).toBeNull();
  });

  it('rejects malformed inputs', () => {
    expect(() => evaluateRegression([1, 2], [1])).toThrow(ValidationError);
    expect(() => evaluateRegression([1, NaN], [1, 2])).toThrow(/index 1/);
  });
});
