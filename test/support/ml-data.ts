/** A fixture dataset split (stratified for classification) and preprocessed, ready for training tests. */
import type { DataTable } from '../../src/domain/datasets/data-table';
import { splitRows } from '../../src/domain/datasets/dataset-split';
import { applyPreprocessing, fitPreprocessing, type PreprocessedData, type PreprocessingSpec } from '../../src/ml/preprocessing';
import type { ModelTask } from '../../src/ml/tf-types';
import { featureNames, fixtureTable } from './fixture-table';

export interface PreparedFixture {
  table: DataTable;
  spec: PreprocessingSpec;
  train: PreprocessedData;
  validation: PreprocessedData;
  test: PreprocessedData;
}

export function prepareFixture(file: string, label: string, task: ModelTask, seed = 1): PreparedFixture {
  const table = fixtureTable(file);
  const labelColumn = table.columns.find((column) => column.name === label)!;
  const strata = task === 'REGRESSION' ? undefined : labelColumn.type === 'CATEGORICAL' ? labelColumn.codes : Int32Array.from(labelColumn.values);
  const split = splitRows({ rowCount: table.rowCount, fractions: { train: 0.7, validation: 0.1, test: 0.2 }, seed, strata });
  const spec = fitPreprocessing(table, split.train, { labelColumn: label, featureColumns: featureNames(table, label), task });
  const apply = (rows: Int32Array) => applyPreprocessing(spec, table, { rows });
  return { table, spec, train: apply(split.train), validation: apply(split.validation), test: apply(split.test) };
}
