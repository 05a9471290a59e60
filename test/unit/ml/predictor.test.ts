import { buildModel } from '../../../src/ml/model-builder';
import { predict, predictOutputs, PREDICT_CHUNK_ROWS } from '../../../src/ml/predictor';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import type { Tf } from '../../../src/ml/tf-types';
import { loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('cpu');
});

const numeric = (name: string, offset: number) => ({ name, type: 'NUMERIC' as const, offset, mean: 0, scale: 1 });

describe('predict', () => {
  it('maps a binary output to [1 - p, p] and the class at the threshold', () => {
    // Logistic model with kernel [1] and bias 0: p = sigmoid(x).
    const model = buildModel({ tf, architecture: { layers: [] }, task: 'BINARY_CLASSIFICATION', inputWidth: 1, seed: 1 });
    model.setWeights([tf.ones([1, 1]), tf.zeros([1])]);
    const spec: PreprocessingSpec = {
      version: 1,
      task: 'BINARY_CLASSIFICATION',
      features: [numeric('x', 0)],
      inputWidth: 1,
      label: { kind: 'CLASSES', column: 'y', numeric: false, classes: ['no', 'yes'] },
      trainRowCount: 1,
    };
    const x = { data: Float32Array.from([-2, 0, 1]), rows: 3, cols: 1 };
    const result = predict(tf, model, spec, x);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    expect(result.kind).toBe('CLASSES');
    if (result.kind !== 'CLASSES') return;
    [-2, 0, 1].forEach((v, r) => {
      expect(result.probabilities[r * 2 + 1]).toBeCloseTo(sigmoid(v), 6);
      expect(result.probabilities[r * 2]).toBeCloseTo(1 - sigmoid(v), 6);
    });
    expect(result.labels).toEqual(['no', 'yes', 'yes']);
    const strict = predict(tf, model, spec, x, { threshold: 0.6 });
    expect(strict.kind === 'CLASSES' && strict.labels).toEqual(['no', 'no', 'yes']);
  });

  it('takes the most probable class for multiclass and un-standardizes regression values', () => {
    const model = buildModel({ tf, architecture: { layers: [] }, task: 'MULTICLASS_CLASSIFICATION', inputWidth: 1, classCount: 3, seed: 1 });
    // logits (x, 0, -x): positive x favours class 0, negative x class 2.
    model.setWeights([tf.tensor2d([[1, 0, -1]]), tf.zeros([3])]);
    const spec: PreprocessingSpec = {
      version: 1,
      task: 'MULTICLASS_CLASSIFICATION',
      features: [numeric('x', 0)],
      inputWidth: 1,
      label: { kind: 'CLASSES', column: 'y', numeric: false, classes: ['a', 'b', 'c'] },
      trainRowCount: 1,
    };
    const result = predict(tf, model, spec, { data: Float32Array.from([3, -3]), rows: 2, cols: 1 });
    expect(result.kind === 'CLASSES' && result.labels).toEqual(['a', 'c']);

    const regression = buildModel({ tf, architecture: { layers: [] }, task: 'REGRESSION', inputWidth: 1, seed: 1 });
    regression.setWeights([tf.ones([1, 1]), tf.zeros([1])]);
    const target: PreprocessingSpec = { ...spec, task: 'REGRESSION', label: { kind: 'TARGET', column: 'y', mean: 100, scale: 10 } };
    const values = predict(tf, regression, target, { data: Float32Array.from([0, 1.5]), rows: 2, cols: 1 });
    expect(values.kind === 'VALUES' && Array.from(values.values)).toEqual([100, 115]);
  });

  it('predicts more rows than one chunk in order', () => {
    const model = buildModel({ tf, architecture: { layers: [] }, task: 'REGRESSION', inputWidth: 1, seed: 1 });
    model.setWeights([tf.ones([1, 1]), tf.zeros([1])]);
    const rows = PREDICT_CHUNK_ROWS + 10;
    const x = { data: Float32Array.from({ length: rows }, (_, i) => i), rows, cols: 1 };
    const outputs = predictOutputs(tf, model, x);
    expect(outputs.length).toBe(rows);
    expect(outputs[rows - 1]).toBe(rows - 1);
    expect(outputs[PREDICT_CHUNK_ROWS]).toBe(PREDICT_CHUNK_ROWS);
  });
});
