import fs from 'node:fs';
import path from 'node:path';
import { typeColumns } from '../../../src/domain/datasets/column-typing';
import { parseCsv } from '../../../src/domain/datasets/csv-parser';
import { findColumn, type DataTable } from '../../../src/domain/datasets/data-table';
import { classIndices, resolveLabel } from '../../../src/domain/datasets/label-rules';
import { expectValidationError } from './expect-validation-error';

const table = (csv: string): DataTable => typeColumns(parseCsv(csv));
const fixture = (name: string) => table(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8'));

describe('resolveLabel: task inference on the fixtures', () => {
  it('iris (3 string classes) is MULTICLASS with classes in code-unit order', () => {
    expect(resolveLabel(fixture('iris.csv'), 'species')).toEqual({
      task: 'MULTICLASS_CLASSIFICATION',
      labelClasses: ['setosa', 'versicolor', 'virginica'],
    });
  });

  it('digits (integers 0-9) is MULTICLASS', () => {
    expect(resolveLabel(fixture('digits.csv'), 'digit')).toEqual({
      task: 'MULTICLASS_CLASSIFICATION',
      labelClasses: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
  });

  it('breast cancer (0/1) is BINARY', () => {
    expect(resolveLabel(fixture('breast_cancer.csv'), 'benign')).toEqual({ task: 'BINARY_CLASSIFICATION', labelClasses: ['0', '1'] });
  });

  it('diabetes (214 distinct integers) is REGRESSION, without classes', () => {
    expect(resolveLabel(fixture('diabetes.csv'), 'progression')).toEqual({ task: 'REGRESSION' });
  });
});

describe('resolveLabel: inference boundaries', () => {
  const numericLabel = (values: number[]) => table(`x,y\n${values.map((v, i) => `${i},${v}`).join('\n')}\n`);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('string labels: 3 classes are MULTICLASS, 2 are BINARY in code-unit order', () => {
    expect(resolveLabel(table('x,y\n1,yes\n2,no\n3,Maybe\n4,no\n'), 'y').task).toBe('MULTICLASS_CLASSIFICATION');
    expect(resolveLabel(table('x,y\n1,M\n2,B\n3,M\n'), 'y')).toEqual({ task: 'BINARY_CLASSIFICATION', labelClasses: ['B', 'M'] });
  });

  it('numeric: any two values BINARY; 3-20 integers MULTICLASS; 21 integers or fractions REGRESSION', () => {
    expect(resolveLabel(numericLabel([2.5, -1, 2.5]), 'y')).toEqual({ task: 'BINARY_CLASSIFICATION', labelClasses: ['-1', '2.5'] });
    expect(resolveLabel(numericLabel(range(3)), 'y').task).toBe('MULTICLASS_CLASSIFICATION');
    expect(resolveLabel(numericLabel(range(20)), 'y').task).toBe('MULTICLASS_CLASSIFICATION');
    expect(resolveLabel(numericLabel(range(21)), 'y').task).toBe('REGRESSION');
    expect(resolveLabel(numericLabel([0, 1, 1.5]), 'y').task).toBe('REGRESSION');
  });

  it('numeric classes sort by value, not text', () => {
    expect(resolveLabel(numericLabel([10, 9, 2, 10]), 'y').labelClasses).toEqual(['2', '9', '10']);
  });

  it('accepts a given task that fits', () => {
    expect(resolveLabel(numericLabel(range(3)), 'y', 'REGRESSION')).toEqual({ task: 'REGRESSION' });
    expect(resolveLabel(numericLabel([0, 1]), 'y', 'MULTICLASS_CLASSIFICATION').labelClasses).toEqual(['0', '1']);
    expect(resolveLabel(numericLabel(range(40)), 'y', 'MULTICLASS_CLASSIFICATION').labelClasses).toHaveLength(40);
  });
});

describe('resolveLabel: rejections', () => {
  it('rejects an unknown label column', () => {
    expectValidationError(
      () => resolveLabel(table('a,b\n1,2\n'), 'target'),
      { field: 'input.labelColumn', column: 'target' },
      /^Label column 'target' is not in the CSV header \(columns: 'a', 'b'\)$/,
    );
  });

  it('rejects a missing label value, naming the first row', () => {
    expectValidationError(
      () => resolveLabel(table('x,y\n1,a\n2,\n3,b\n4,NA\n'), 'y'),
      { field: 'input.labelColumn', row: 2, column: 'y' },
      /^Label column 'y' has a missing value in data row 2 \(1-based, header excluded\); every row needs a label$/,
    );
    expectValidationError(() => resolveLabel(table('x,y\n1,0\n2,1\n3,NaN\n'), 'y'), { field: 'input.labelColumn', row: 3, column: 'y' }, /data row 3/);
  });

  it('rejects a label with one class', () => {
    expectValidationError(
      () => resolveLabel(table('x,y\n1,a\n2,a\n'), 'y'),
      { field: 'input.labelColumn', column: 'y' },
      /^Label column 'y' has a single value \('a'\); a label needs at least two distinct values$/,
    );
    expectValidationError(() => resolveLabel(table('x,y\n1,5\n2,5\n'), 'y', 'REGRESSION'), { field: 'input.labelColumn', column: 'y' }, /single value \('5'\)/);
  });

  it('rejects a given task that does not fit the label', () => {
    expectValidationError(
      () => resolveLabel(fixture('iris.csv'), 'species', 'REGRESSION'),
      { field: 'input.task', column: 'species' },
      /^task REGRESSION needs a NUMERIC label, but 'species' is CATEGORICAL \(3 classes\)$/,
    );
    expectValidationError(
      () => resolveLabel(fixture('iris.csv'), 'species', 'BINARY_CLASSIFICATION'),
      { field: 'input.task', column: 'species' },
      /^task BINARY_CLASSIFICATION needs exactly 2 label classes, but 'species' has 3$/,
    );
    expectValidationError(
      () => resolveLabel(fixture('iris.csv'), 'species', 'CLUSTERING' as never),
      { field: 'input.task' },
      /^input\.task must be one of BINARY_CLASSIFICATION, MULTICLASS_CLASSIFICATION, REGRESSION, got CLUSTERING$/,
    );
  });
});

describe('classIndices', () => {
  it('maps each row to its position in labelClasses, for categorical and numeric labels', () => {
    const t = table('x,s,n\n1,b,10\n2,a,2\n3,b,10\n4,c,9\n');
    expect(Array.from(classIndices(findColumn(t, 's')!, ['a', 'b', 'c']))).toEqual([1, 0, 1, 2]);
    expect(Array.from(classIndices(findColumn(t, 'n')!, ['2', '9', '10']))).toEqual([2, 0, 2, 1]);
    expect(() => classIndices(findColumn(t, 's')!, ['a', 'b'])).toThrow(RangeError);
  });
});
