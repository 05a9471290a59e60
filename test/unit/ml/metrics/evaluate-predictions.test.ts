import { evaluatePredictions } from '../../../../src/ml/metrics/evaluate-predictions';

describe('evaluatePredictions', () => {
  it('returns the metric set of each task', () => {
    const binary = evaluatePredictions('BINARY_CLASSIFICATION', [0, 1, 1], [0.2, 0.6, 0.4], { threshold: 0.35 });
    expect(binary.task).toBe('BINARY_CLASSIFICATION');
    expect(binary.threshold).toBe(0.35);
    // At 0.35 all but 0.2 are positive: every sample right.
    expect(binary.accuracy).toBe(1);

    const multiclass = evaluatePredictions('MULTICLASS_CLASSIFICATION', [1, 0], {
      data: [0.1, 0.9, 0.6, 0.4],
      rows: 2,
      cols: 2,
    });
    expect(multiclass.task).toBe('MULTICLASS_CLASSIFICATION');
    expect(multiclass.accuracy).toBe(1);

    const regression = evaluatePredictions('REGRESSION', [1, 2], [1, 4]);
    expect(regression).toEqual({ task: 'REGRESSION', sampleCount: 2, mae: 1, rmse: Math.SQRT2, r2: -7 });
  });

  it('uses 0.5 as the default threshold', () => {
    expect(evaluatePredictions('BINARY_CLASSIFICATION', [0, 1], [0.49, 0.5]).accuracy).toBe(1);
  });
});
