import { ValidationError } from '../../../src/domain/errors';
import { validationErrorOf } from '../../support/validation-error';
import type { BinaryEvaluation } from '../../../src/ml/metrics/evaluate-predictions';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import { checkFiniteOutputs, encodeInstances, predictionOutputs } from '../../../src/ml/serving/prediction-request';
import { compareMetrics, evaluateWindow } from '../../../src/ml/serving/window-performance';

const spec: PreprocessingSpec = {
  version: 1,
  task: 'BINARY_CLASSIFICATION',
  features: [
    { name: 'age', type: 'NUMERIC', offset: 0, mean: 40, scale: 10 },
    { name: 'plan', type: 'CATEGORICAL', offset: 1, categories: ['1', 'basic', 'pro'] },
  ],
  inputWidth: 4,
  label: { kind: 'CLASSES', column: 'churned', numeric: false, classes: ['no', 'yes'] },
  trainRowCount: 10,
};

function refusal(instances: unknown[]): ValidationError {
  return validationErrorOf(() => encodeInstances(spec, instances as Record<string, unknown>[]));
}

describe('encodeInstances', () => {
  it('standardizes numbers, one-hot encodes categories (numbers by their decimal string) and imputes explicit nulls', () => {
    const x = encodeInstances(spec, [
      { age: 55, plan: 'pro' },
      { age: null, plan: 1 },
      { age: 20, plan: null },
    ]);
    // (55 - 40) / 10 = 1.5; a null age is the training mean, i.e. 0; a null plan sets no category.
    expect(Array.from(x.data)).toEqual([1.5, 0, 0, 1, 0, 1, 0, 0, -2, 0, 0, 0]);
    expect(x).toMatchObject({ rows: 3, cols: 4 });
  });

  it('names the instance and the feature of the first refusal', () => {
    const good = { age: 30, plan: 'basic' };
    expect(refusal([good, { plan: 'basic' }]).location).toEqual({ field: 'input.instances[1].age', index: 1, column: 'age' });
    expect(refusal([good, good, { ...good, region: 'eu' }]).location).toEqual({ field: 'input.instances[2].region', index: 2, column: 'region' });
    expect(refusal([{ ...good, churned: 'no' }]).message).toMatch(/label column/);
    expect(refusal([{ ...good, age: '30' }]).location).toEqual({ field: 'input.instances[0].age', index: 0, column: 'age' });
    expect(refusal([{ ...good, plan: true }]).location).toEqual({ field: 'input.instances[0].plan', index: 0, column: 'plan' });
    expect(refusal([good, { ...good, plan: 'enterprise' }]).message).toMatch(
      /category "enterprise" of feature "plan" was not seen in training \(known: 1, basic, pro\)/,
    );
    expect(refusal([good, 'not an object']).location).toEqual({ field: 'input.instances[1]', index: 1 });
    expect(refusal([]).location).toEqual({ field: 'input.instances' });
    expect(refusal(Array(1001).fill(good)).location).toEqual({ field: 'input.instances' });
  });

  it("names each feature where the entry point's form put it, and reports the form's own problems with the rest", () => {
    const fields = {
      list: 'input.features',
      item: (index: number) => `input.features[${index}]`,
      feature: (index: number, feature: string, part: 'key' | 'value') => `input.features[${index}].${part}:${feature}`,
    };
    const formProblem = { message: 'instance 1: feature "age" is given twice', field: 'input.features[1].values[2].feature', index: 1, column: 'age' };
    let error: unknown;
    try {
      encodeInstances(
        spec,
        [
          { age: 30, region: 'eu' },
          { age: '30', plan: 'basic' },
        ],
        fields,
        [formProblem],
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations.map(({ field, index }) => ({ field, index }))).toEqual([
      { field: 'input.features[0].key:region', index: 0 },
      { field: 'input.features[0].value:plan', index: 0 },
      { field: 'input.features[1].values[2].feature', index: 1 },
      { field: 'input.features[1].value:age', index: 1 },
    ]);
  });
});

describe('predictionOutputs and window performance', () => {
  it('maps class probabilities to labels and scores a window against a baseline', () => {
    const outputs = predictionOutputs({
      kind: 'CLASSES',
      classes: ['no', 'yes'],
      probabilities: Float32Array.from([0.75, 0.25, 0.25, 0.75, 0.5, 0.5, 1, 0]),
      classIndex: Int32Array.from([0, 1, 1, 0]),
      labels: ['no', 'yes', 'yes', 'no'],
    });
    expect(outputs[1]).toEqual({ label: 'yes', probabilities: { no: 0.25, yes: 0.75 } });
    const evaluation = evaluateWindow(
      spec,
      outputs.map((output, i) => ({ output, actual: ['no', 'yes', 'no', 'no'][i] })),
    ) as BinaryEvaluation;
    // Predicted yes at p >= 0.5: rows 1 and 2; actual yes: row 1. TP 1, FP 1, TN 2, FN 0.
    // accuracy 3/4, precision 1/2, recall 1, F1 2/3; AUC: the positive (0.75) outranks all three negatives (0.25, 0.5, 0) -> 1.
    const comparison = Object.fromEntries(compareMetrics(evaluation, { ...evaluation, accuracy: 0.9 }).map((c) => [c.name, c]));
    expect(comparison.accuracy).toEqual({ name: 'accuracy', value: 0.75, baseline: 0.9, change: expect.closeTo(-0.15, 12) });
    expect(comparison.precision.value).toBeCloseTo(0.5, 12);
    expect(comparison.recall.value).toBe(1);
    expect(comparison.f1.value).toBeCloseTo(2 / 3, 12);
    expect(comparison.rocAuc.value).toBe(1);
    expect(compareMetrics(evaluation, null).every((c) => c.baseline === null && c.change === null)).toBe(true);
  });
});

describe('checkFiniteOutputs', () => {
  it('passes finite answers and refuses every instance whose value or probability is NaN or infinite, by index and field', () => {
    expect(() => checkFiniteOutputs([{ value: 1.5 }, { label: 'a', probabilities: { a: 0.75, b: 0.25 } }])).not.toThrow();
    let refused: unknown;
    try {
      checkFiniteOutputs([{ value: 2 }, { value: Infinity }, { label: 'a', probabilities: { a: NaN, b: NaN } }, { value: -Infinity }]);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).violations.map(({ index, field }) => ({ index, field }))).toEqual([
      { index: 1, field: 'input.instances[1]' },
      { index: 2, field: 'input.instances[2]' },
      { index: 3, field: 'input.instances[3]' },
    ]);
  });

  it('refuses a numeric feature that overflows float32 once standardized, naming instance and column', () => {
    const error = refusal([
      { age: 50, plan: 'pro' },
      { age: 1e308, plan: 'pro' },
      { age: -3.5e39, plan: 'basic' },
    ]);
    expect(error.violations.map(({ index, column }) => ({ index, column }))).toEqual([
      { index: 1, column: 'age' },
      { index: 2, column: 'age' },
    ]);
    expect(error.violations[0].message).toMatch(/feature "age" of instance 1 is out of the model's range/);
    // The largest standardized value float32 holds still encodes: (3.4e39 - 40) / 10 = 3.4e38.
    expect(encodeInstances(spec, [{ age: 3.4e39, plan: 'pro' }]).data[0]).toBeCloseTo(3.4e38, -33);
  });
});
