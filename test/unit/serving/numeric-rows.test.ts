/**
 * A protocol tensor of an all-numeric schema is served as one numeric block, without a record per
 * instance: its matrix and its drift vectors must be exactly those of the same values as records,
 * and every refusal must read as it does for records.
 */
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import { instancesOf, readInferRequest } from '../../../src/rest/inference-protocol/infer-request';
import { NumericRows, numericRowsFromRecords } from '../../../src/ml/serving/numeric-rows';
import { encodeInstances, encodeNumericInstances, type PredictionOutput } from '../../../src/ml/serving/prediction-request';
import { encodeNumericRowVector, encodePredictionVector } from '../../../src/ml/serving/prediction-vector';
import { validationErrorOf as refusal } from '../../support/validation-error';

const spec: PreprocessingSpec = {
  version: 1,
  task: 'BINARY_CLASSIFICATION',
  features: [
    { name: 'age', type: 'NUMERIC', offset: 0, mean: 40.3, scale: 9.7 },
    { name: 'income', type: 'NUMERIC', offset: 1, mean: 51_234.5, scale: 12_345.25 },
    { name: 'visits', type: 'NUMERIC', offset: 2, mean: 3.1, scale: 0.7 },
  ],
  inputWidth: 3,
  label: { kind: 'CLASSES', column: 'churned', numeric: false, classes: ['no', 'yes'] },
  trainRowCount: 10,
};
const names = spec.features.map((feature) => feature.name);

/** Values with every kind of cell: integers, fractions, negatives, zero, -0 and missing (NaN). */
function block(rows: number): Float64Array {
  let state = 7;
  return Float64Array.from({ length: rows * names.length }, (_, i) => {
    state = (state * 48271) % 2147483647;
    if (i % 11 === 5) return NaN;
    if (i % 13 === 4) return -0;
    return ((state / 2147483647) * 2 - 1) * 10 ** (i % 6);
  });
}

describe('numeric rows (a [n, features] tensor of an all-numeric schema)', () => {
  it('encode to exactly the matrix of the same values as records', () => {
    const rows = new NumericRows(block(257), 257, names);
    const fast = encodeNumericInstances(spec, rows);
    const records = encodeInstances(spec, rows.records());
    expect(fast).toEqual({ data: expect.any(Float32Array), rows: 257, cols: 3 });
    expect(Buffer.from(fast.data.buffer).equals(Buffer.from(records.data.buffer))).toBe(true);
  });

  it('give each instance the drift vector its record gives, byte for byte', () => {
    const values = block(40);
    const rows = new NumericRows(values, 40, names);
    const outputs: PredictionOutput[] = [{ label: 'yes', probabilities: { no: 0.2, yes: 0.8 } }, { value: 1.25 }];
    for (let row = 0; row < 40; row++) {
      for (const output of outputs) {
        const schema = 'value' in output ? { ...spec, label: { kind: 'TARGET' as const, column: 'spend', mean: 0, scale: 1 } } : spec;
        expect(encodeNumericRowVector(schema, values, row, output)).toEqual(encodePredictionVector(schema, rows.record(row), output));
      }
    }
    expect(encodeNumericRowVector(spec, values, 0, { label: 'maybe', probabilities: {} })).toBeNull();
  });

  it('read missing values back as null', () => {
    const rows = new NumericRows(Float64Array.of(1, NaN, -0), 1, names);
    expect(rows.record(0)).toEqual({ age: 1, income: null, visits: -0 });
  });

  it('refuse a value beyond float32 once standardized as records do (field, index, column)', () => {
    const values = block(3);
    values[4] = 1e300;
    const rows = new NumericRows(values, 3, names);
    const fast = refusal(() => encodeNumericInstances(spec, rows));
    const records = refusal(() => encodeInstances(spec, rows.records()));
    expect(fast.message).toBe(records.message);
    expect(fast.location).toEqual(records.location);
    expect(fast.location).toMatchObject({ index: 1, column: 'income' });
  });

  it('refuse an empty tensor as records do', () => {
    const rows = new NumericRows(new Float64Array(0), 0, names);
    expect(refusal(() => encodeNumericInstances(spec, rows)).message).toBe(refusal(() => encodeInstances(spec, [])).message);
  });

  it('come from a numeric protocol tensor; a tensor with another kind of value stays records, refused by name', () => {
    const tensor = (data: unknown[]) => readInferRequest({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP64', data }] });
    const numeric = instancesOf(tensor([1, 2, null, 4, 5, 6]), spec);
    expect(numeric).toBeInstanceOf(NumericRows);
    expect((numeric as NumericRows).records()).toEqual([
      { age: 1, income: 2, visits: null },
      { age: 4, income: 5, visits: 6 },
    ]);
    const mixed = instancesOf(tensor([1, 2, 3, 4, 'five', 6]), spec);
    expect(Array.isArray(mixed)).toBe(true);
    expect(refusal(() => encodeInstances(spec, mixed as Record<string, unknown>[])).location).toMatchObject({ index: 1, column: 'income' });
  });

  it('come from JSON records that hold exactly the features, as numbers or nulls, and encode as those records do', () => {
    const records = new NumericRows(block(50), 50, names).records();
    const rows = numericRowsFromRecords(spec.features, records, 1_000);
    expect(rows?.records()).toEqual(records);
    const x = encodeNumericInstances(spec, rows!);
    expect(Buffer.from(x.data.buffer).equals(Buffer.from(encodeInstances(spec, records).data.buffer))).toBe(true);
  });

  it.each<[string, unknown[]]>([
    ['a missing feature', [{ age: 1, income: 2 }]],
    ['an unknown key', [{ age: 1, income: 2, visits: 3, region: 'eu' }]],
    ['the label column', [{ age: 1, income: 2, visits: 3, churned: 'no' }]],
    ['a string value', [{ age: 1, income: '2', visits: 3 }]],
    ['a boolean value', [{ age: 1, income: true, visits: 3 }]],
    ['an instance that is not an object', [[1, 2, 3]]],
    ['no instance', []],
  ])('leave records with %s to the records path', (_what, records) => {
    expect(numericRowsFromRecords(spec.features, records, 1_000)).toBeNull();
  });

  it('leave more instances than the limit, and a categorical schema, to the records path', () => {
    const record = { age: 1, income: 2, visits: 3 };
    expect(numericRowsFromRecords(spec.features, [record, record, record], 2)).toBeNull();
    const categorical = [...spec.features.slice(0, 2), { name: 'visits', type: 'CATEGORICAL' as const, offset: 2, categories: ['3'] }];
    expect(numericRowsFromRecords(categorical, [record], 1_000)).toBeNull();
  });
});
