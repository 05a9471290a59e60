import { toEvaluation, toWindowMetrics } from '../../../src/graphql/model-versions/model-version.mapping';
import { evaluatePredictions } from '../../../src/ml/metrics/evaluate-predictions';

describe('metrics as GraphQL fields', () => {
  it("maps a window's multiclass metrics to the fields of its task, the others null, with the version for the class names", () => {
    const probabilities = [0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1];
    const metrics = evaluatePredictions('MULTICLASS_CLASSIFICATION', [0, 1, 2, 1], { data: probabilities, rows: 4, cols: 3 });
    const window = toWindowMetrics('v1', metrics);
    expect(window).toMatchObject({
      task: 'MULTICLASS_CLASSIFICATION',
      sampleCount: 4,
      modelVersionId: 'v1',
      accuracy: 0.75,
      logLoss: metrics.logLoss,
      confusionMatrix: metrics.confusionMatrix,
      macro: metrics.macro,
      weighted: metrics.weighted,
      perClassByIndex: metrics.perClass,
      precision: null,
      rocAuc: null,
      threshold: null,
      mae: null,
      r2: null,
    });
  });

  it('maps a stored evaluation and a window of the same metrics to the same metric fields', () => {
    const metrics = evaluatePredictions('REGRESSION', [1, 2, 3], [1.5, 2, 2.5]);
    const stored = toEvaluation({
      id: 'e1',
      modelVersionId: 'v1',
      datasetVersionId: 'd1',
      split: 'TEST',
      rowCount: 3,
      task: 'REGRESSION',
      metrics: JSON.parse(JSON.stringify(metrics)),
      createdAt: new Date(0),
    });
    const { sampleCount, modelVersionId, ...window } = toWindowMetrics('v1', metrics);
    expect(sampleCount).toBe(3);
    expect(modelVersionId).toBe('v1');
    expect(stored).toEqual({ id: 'e1', modelVersionId: 'v1', datasetVersionId: 'd1', split: 'TEST', rowCount: 3, createdAt: new Date(0), ...window });
    expect(window).toMatchObject({ task: 'REGRESSION', mae: metrics.mae, rmse: metrics.rmse, r2: metrics.r2, accuracy: null, perClassByIndex: null });
  });
});
