import type { DataTable } from '../../../src/domain/datasets/data-table';
import { ValidationError } from '../../../src/domain/errors';
import {
  applyPreprocessing,
  classWeightsByIndex,
  decodeRegressionTargets,
  featureSchema,
  fitPreprocessing,
  type PreprocessingSpec,
} from '../../../src/ml/preprocessing';
import { fixtureTable, tableFromCsv } from '../../support/fixture-table';

// Rows 0-3 train, rows 4-5 held out. The held-out rows carry extreme values and an unseen
// category: any statistic fitted on all rows would differ from the hand-worked ones below.
const table: DataTable = tableFromCsv(['a,color,size,label', '1,x,10,cat', '2,y,10,dog', '3,x,10,cat', ',,10,dog', '100,z,500,bird', '2,y,10,cat'].join('\n'));
const train = [0, 1, 2, 3];

function fit(overrides: Partial<Parameters<typeof fitPreprocessing>[2]> = {}): PreprocessingSpec {
  return fitPreprocessing(table, train, {
    labelColumn: 'label',
    featureColumns: ['a', 'color', 'size'],
    task: 'BINARY_CLASSIFICATION',
    ...overrides,
  });
}

describe('fitPreprocessing', () => {
  it('fits statistics, categories and classes on the training rows only', () => {
    const spec = fit();
    // a over rows 0-3: 1, 2, 3, missing -> mean 2, population std sqrt(((1-2)^2 + 0 + (3-2)^2) / 3) = sqrt(2/3).
    expect(spec.features[0]).toEqual({ name: 'a', type: 'NUMERIC', offset: 0, mean: 2, scale: expect.any(Number) });
    expect((spec.features[0] as { scale: number }).scale).toBeCloseTo(Math.sqrt(2 / 3), 12);
    // 'z' only occurs in a held-out row.
    expect(spec.features[1]).toEqual({ name: 'color', type: 'CATEGORICAL', offset: 1, categories: ['x', 'y'] });
    // size is constant (10) on the training rows: std 0 -> scale 1.
    expect(spec.features[2]).toEqual({ name: 'size', type: 'NUMERIC', offset: 3, mean: 10, scale: 1 });
    // 'bird' only occurs in a held-out row; classes sorted.
    expect(spec.label).toEqual({ kind: 'CLASSES', column: 'label', numeric: false, classes: ['cat', 'dog'] });
    expect(spec.inputWidth).toBe(4);
    expect(spec.trainRowCount).toBe(4);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('sorts numeric classes numerically', () => {
    const numeric = tableFromCsv(['f,y', '1,10', '2,2', '3,10', '4,2'].join('\n'));
    const spec = fitPreprocessing(numeric, [0, 1, 2, 3], { labelColumn: 'y', featureColumns: ['f'], task: 'BINARY_CLASSIFICATION' });
    expect(spec.label).toEqual({ kind: 'CLASSES', column: 'y', numeric: true, classes: ['2', '10'] });
  });

  it('standardizes a regression target and inverts it', () => {
    const spec = fitPreprocessing(table, [0, 1, 2], { labelColumn: 'a', featureColumns: ['color'], task: 'REGRESSION' });
    expect(spec.label).toMatchObject({ kind: 'TARGET', mean: 2 });
    expect(Array.from(decodeRegressionTargets(spec, [0, 1]))).toEqual([2, 2 + Math.sqrt(2 / 3)]);
    const plain = fitPreprocessing(table, [0, 1, 2], { labelColumn: 'a', featureColumns: ['color'], task: 'REGRESSION', standardizeTarget: false });
    expect(plain.label).toEqual({ kind: 'TARGET', column: 'a', mean: 0, scale: 1 });
  });

  it('rejects unusable input with the field at fault', () => {
    const expectField = (fn: () => unknown, location: object) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).location).toMatchObject(location);
        return;
      }
      throw new Error('expected a ValidationError');
    };
    expectField(() => fit({ featureColumns: ['a', 'nope'] }), { field: 'featureColumns[1]', column: 'nope' });
    expectField(() => fit({ featureColumns: ['a', 'label'] }), { field: 'featureColumns[1]' });
    expectField(() => fit({ labelColumn: 'missing' }), { field: 'labelColumn' });
    expectField(() => fit({ task: 'REGRESSION' }), { field: 'labelColumn' });
    // rows 0-4 hold three classes: not binary.
    expectField(() => fitPreprocessing(table, [0, 1, 4], { labelColumn: 'label', featureColumns: ['a'], task: 'BINARY_CLASSIFICATION' }), {
      field: 'labelColumn',
    });
    expectField(() => fitPreprocessing(table, [0, 2], { labelColumn: 'label', featureColumns: ['a'], task: 'MULTICLASS_CLASSIFICATION' }), {
      field: 'labelColumn',
    });
  });
});

describe('applyPreprocessing', () => {
  const spec = fit();
  const s = Math.sqrt(2 / 3);

  it('encodes table rows, imputes missing values and reports unseen categories', () => {
    const out = applyPreprocessing(spec, table, { rows: [3, 4, 5], labels: false });
    expect(out.labels).toBeUndefined();
    // columns: a, color=x, color=y, size
    const expected = [
      [0, 0, 0, 0], // a missing -> mean -> 0; color missing -> zeros
      [(100 - 2) / s, 0, 0, 490], // unseen 'z' -> zeros
      [0, 0, 1, 0],
    ];
    expect(out.x.rows).toBe(3);
    expect(out.x.cols).toBe(4);
    expected.flat().forEach((value, i) => expect(out.x.data[i]).toBeCloseTo(value, 4));
    expect(out.unseenCategories).toEqual([{ index: 1, column: 'color', value: 'z' }]);
  });

  it('rejects a label never seen in training, naming the data row', () => {
    const labelled = applyPreprocessing(spec, table, { rows: [0, 1, 5] });
    expect(labelled.labels?.kind).toBe('CLASSES');
    expect(Array.from(labelled.labels!.targets.data)).toEqual([0, 1, 0]);
    try {
      applyPreprocessing(spec, table, { rows: [4] });
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).location).toEqual({ row: 5, column: 'label' });
    }
  });

  it('encodes JSON records exactly like table rows', () => {
    const fromTable = applyPreprocessing(spec, table, { rows: [0, 1, 2, 3, 5] });
    const records = [
      { a: 1, color: 'x', size: 10, label: 'cat' },
      { a: 2, color: 'y', size: 10, label: 'dog' },
      { a: 3, color: 'x', size: 10, label: 'cat' },
      { a: null, color: null, size: 10, label: 'dog' },
      { a: 2, color: 'y', size: 10, label: 'cat', extra: 'ignored' },
    ];
    const fromRecords = applyPreprocessing(spec, records);
    expect(Array.from(fromRecords.x.data)).toEqual(Array.from(fromTable.x.data));
    expect(fromRecords.labels).toEqual(fromTable.labels);
    const unlabelled = applyPreprocessing(spec, [{ a: 1, color: 'q', size: 3 }]);
    expect(unlabelled.labels).toBeUndefined();
    expect(unlabelled.unseenCategories).toEqual([{ index: 0, column: 'color', value: 'q' }]);
  });

  it('names the instance and feature of a bad record', () => {
    const locationOf = (records: Record<string, unknown>[]) => {
      try {
        applyPreprocessing(spec, records);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).location;
      }
      return undefined;
    };
    expect(
      locationOf([
        { a: 1, color: 'x', size: 1 },
        { a: 1, color: 'x' },
      ]),
    ).toEqual({ index: 1, column: 'size' });
    expect(locationOf([{ a: '1', color: 'x', size: 1 }])).toEqual({ index: 0, column: 'a' });
    expect(locationOf([{ a: 1, color: ['x'], size: 1 }])).toEqual({ index: 0, column: 'color' });
  });

  it('reads only a record’s own keys: a feature named like an Object member is missing when absent', () => {
    const csv = ['toString,constructor,label', '1,a,cat', '2,b,dog', '3,a,cat', '4,b,dog'].join('\n');
    const memberSpec = fitPreprocessing(tableFromCsv(csv), [0, 1, 2, 3], {
      labelColumn: 'label',
      featureColumns: ['toString', 'constructor'],
      task: 'BINARY_CLASSIFICATION',
    });
    try {
      applyPreprocessing(memberSpec, [{}]);
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map(({ message }) => message)).toEqual([
        'instance 0 lacks feature "toString"',
        'instance 0 lacks feature "constructor"',
      ]);
    }
    expect(applyPreprocessing(memberSpec, [{ toString: 2, constructor: 'b', label: 'dog' }]).labels).toBeDefined();
  });

  it('one-hot encodes multiclass labels and describes the expected inputs', () => {
    const iris = fixtureTable('iris.csv');
    const features = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm'];
    const irisSpec = fitPreprocessing(iris, [0, 50, 100], { labelColumn: 'species', featureColumns: features, task: 'MULTICLASS_CLASSIFICATION' });
    expect(irisSpec.label).toMatchObject({ classes: ['setosa', 'versicolor', 'virginica'] });
    const out = applyPreprocessing(irisSpec, iris, { rows: [100, 0] });
    expect(Array.from(out.labels!.targets.data)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(featureSchema(spec)).toEqual([
      { name: 'a', type: 'NUMERIC' },
      { name: 'color', type: 'CATEGORICAL', categories: ['x', 'y'] },
      { name: 'size', type: 'NUMERIC' },
    ]);
  });
});

describe('classWeightsByIndex', () => {
  it('maps weights by class label to class indices', () => {
    expect(classWeightsByIndex(fit(), { dog: 3 })).toEqual([1, 3]);
    expect(() => classWeightsByIndex(fit(), { bird: 2 })).toThrow(ValidationError);
    expect(() => classWeightsByIndex(fit(), { cat: 0 })).toThrow(ValidationError);
  });
});
