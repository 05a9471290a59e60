import type { FeatureSample } from '../../../src/ml/drift/feature-drift';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import { encodePredictionVector, vectorBytes, WindowColumns, type VectorSchema } from '../../../src/ml/serving/prediction-vector';

const classifier: VectorSchema = {
  features: [
    { name: 'x', type: 'NUMERIC', offset: 0, mean: 0, scale: 1 },
    { name: 'color', type: 'CATEGORICAL', offset: 1, categories: ['blue', 'green', 'red'] },
    { name: 'size', type: 'CATEGORICAL', offset: 4, categories: ['1', '2'] },
  ],
  label: { kind: 'CLASSES', column: 'y', numeric: false, classes: ['no', 'yes'] },
};
const regressor: VectorSchema = {
  features: [{ name: 'x', type: 'NUMERIC', offset: 0, mean: 0, scale: 1 }],
  label: { kind: 'TARGET', column: 'y', mean: 0, scale: 1 },
} satisfies Pick<PreprocessingSpec, 'features' | 'label'>;

const floats = (bytes: Buffer | null): number[] => {
  expect(bytes).not.toBeNull();
  return Array.from({ length: bytes!.length / 8 }, (_, i) => bytes!.readDoubleLE(i * 8));
};
const yes = { label: 'yes', probabilities: { no: 0.25, yes: 0.75 } };

/** Names of a categorical sample's rows (null = missing), whatever its category numbering. */
const names = (sample: FeatureSample): (string | null)[] => {
  if (sample.type !== 'CATEGORICAL') throw new Error('not categorical');
  return Array.from(sample.codes, (code) => (code < 0 ? null : sample.categories[code]));
};
const numbers = (sample: FeatureSample): number[] => {
  if (sample.type !== 'NUMERIC') throw new Error('not numeric');
  return Array.from(sample.values);
};

describe('encodePredictionVector', () => {
  it('writes each feature in schema order, then the output: values, category indexes, NaN for missing', () => {
    // color "red" is category 2 of [blue, green, red]; size 2 (a number) matches "2", index 1; "yes" is class 1.
    expect(floats(encodePredictionVector(classifier, { x: 2.5, color: 'red', size: 2 }, yes))).toEqual([2.5, 2, 1, 1]);
    expect(floats(encodePredictionVector(classifier, { x: null, color: null, size: '1' }, { label: 'no', probabilities: { no: 1, yes: 0 } }))).toEqual([
      NaN,
      NaN,
      0,
      0,
    ]);
    expect(floats(encodePredictionVector(regressor, { x: -1 }, { value: 3.25 }))).toEqual([-1, 3.25]);
    expect(vectorBytes(classifier)).toBe(32);
  });

  it('gives no vector for a category or label outside the schema', () => {
    expect(encodePredictionVector(classifier, { x: 1, color: 'purple', size: '1' }, yes)).toBeNull();
    expect(encodePredictionVector(classifier, { x: 1, color: 'red', size: '1' }, { label: 'maybe', probabilities: {} })).toBeNull();
  });
});

describe('WindowColumns', () => {
  const rows = [
    { inputs: { x: 1.5, color: 'green', size: '2' }, output: yes },
    { inputs: { x: null, color: 'blue', size: null }, output: { label: 'no', probabilities: { no: 0.9, yes: 0.1 } } },
    { inputs: { x: 7, color: null, size: 1 }, output: yes },
  ];

  it('splits concatenated vectors and JSON rows into the same columns', () => {
    const columns = new WindowColumns(classifier, 5);
    columns.addVectors(Buffer.concat(rows.slice(0, 2).map((row) => encodePredictionVector(classifier, row.inputs, row.output)!)));
    columns.addRecord(rows[2].inputs, 'yes');
    // A JSON row may hold what no vector can: a category outside the schema, a non-number.
    columns.addRecord({ x: 'n/a', color: 'purple', size: '1' }, 'maybe');
    expect(columns.size).toBe(4);
    const { features, prediction } = columns.samples('prediction');
    expect(features.map((sample) => sample.name)).toEqual(['x', 'color', 'size']);
    expect(numbers(features[0])).toEqual([1.5, NaN, 7, NaN]);
    expect(names(features[1])).toEqual(['green', 'blue', null, 'purple']);
    expect(names(features[2])).toEqual(['2', null, '1', '1']);
    expect(prediction.name).toBe('prediction');
    expect(names(prediction)).toEqual(['yes', 'no', 'yes', 'maybe']);
  });

  it('reads regression outputs as numbers', () => {
    const columns = new WindowColumns(regressor, 2);
    columns.addVectors(encodePredictionVector(regressor, { x: 2 }, { value: -0.5 })!);
    columns.addRecord({ x: 3 }, 4);
    const { features, prediction } = columns.samples('prediction');
    expect(numbers(features[0])).toEqual([2, 3]);
    expect(numbers(prediction)).toEqual([-0.5, 4]);
  });

  it('refuses bytes that are not whole vectors, and rows beyond its capacity', () => {
    const columns = new WindowColumns(regressor, 1);
    expect(() => columns.addVectors(Buffer.alloc(24))).toThrow(/not a multiple of 16/);
    expect(() => columns.addVectors(Buffer.alloc(32))).toThrow(/window of 1 rows got 2/);
  });
});
