import type { DataColumn, DataTable } from '../../domain/datasets/data-table';
import { evaluateRegression } from '../metrics/regression-metrics';
import { permutationImportance, type FeatureColumn } from '../explain/permutation-importance';
import { applyPreprocessing, labelsOf, type PreprocessingSpec } from '../preprocessing';
import { predict } from '../predictor';
import type { LayersModel, Tf } from '../tf-types';

/** One source column's permutation importance: the mean drop of the score (accuracy or R2) and its std. */
export interface ColumnImportance {
  feature: string;
  importance: number;
  std: number;
}

export const IMPORTANCE_REPEATS = 5;

function pick(column: DataColumn, rows: ArrayLike<number>): FeatureColumn {
  const source = column.type === 'NUMERIC' ? column.values : column.codes;
  const picked = column.type === 'NUMERIC' ? new Float64Array(rows.length) : new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) picked[i] = source[rows[i]];
  return picked;
}

function withColumns(template: DataColumn[], columns: readonly FeatureColumn[], rowCount: number): DataTable {
  return {
    rowCount,
    columns: template.map((column, i) =>
      column.type === 'NUMERIC'
        ? { name: column.name, type: 'NUMERIC', values: columns[i] as Float64Array }
        : { name: column.name, type: 'CATEGORICAL', categories: column.categories, codes: columns[i] as Int32Array },
    ),
  };
}

/** The column of the table the model was trained on that `name` names. */
function columnNamed(table: DataTable, name: string): DataColumn {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`the table has no column "${name}" of the model's preprocessing`);
  return column;
}

/**
 * Permutation importance of every feature column (before one-hot encoding) on the given rows,
 * scored by accuracy (classification) or R2 (regression), as scikit-learn's `permutation_importance`.
 */
export async function columnImportances(
  tf: Tf,
  model: LayersModel,
  spec: PreprocessingSpec,
  table: DataTable,
  rows: ArrayLike<number>,
  seed: number,
): Promise<ColumnImportance[]> {
  const features = spec.features.map((feature) => columnNamed(table, feature.name));
  const label = columnNamed(table, spec.label.column);
  const labelValues = pick(label, rows);
  const result = await permutationImportance({
    columns: features.map((column) => pick(column, rows)),
    featureNames: features.map((column) => column.name),
    seed,
    repeats: IMPORTANCE_REPEATS,
    predict: async (columns) => {
      const data = applyPreprocessing(spec, withColumns([...features, label], [...columns, labelValues], rows.length));
      return { predictions: predict(tf, model, spec, data.x), labels: labelsOf(data) };
    },
    score: ({ predictions, labels }) => {
      if (predictions.kind === 'CLASSES' && labels.kind === 'CLASSES') {
        let correct = 0;
        for (let i = 0; i < labels.classIndex.length; i++) if (predictions.classIndex[i] === labels.classIndex[i]) correct += 1;
        return correct / labels.classIndex.length;
      }
      if (predictions.kind === 'VALUES' && labels.kind === 'TARGET') return evaluateRegression(labels.values, predictions.values).r2 ?? 0;
      throw new Error('predictions do not match the label kind');
    },
  });
  return result.features.map((feature) => ({ feature: feature.feature, importance: feature.mean, std: feature.std }));
}
