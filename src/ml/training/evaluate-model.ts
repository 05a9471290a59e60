import type { DataTable } from '../../domain/datasets/data-table';
import { evaluatePredictions, type Evaluation } from '../metrics/evaluate-predictions';
import { applyPreprocessing, type PreprocessingSpec } from '../preprocessing';
import { predict } from '../predictor';
import type { LayersModel, Tf } from '../tf-types';

export interface ModelEvaluation {
  rowCount: number;
  metrics: Evaluation;
}

/**
 * Evaluates a model on rows of a table that carries the label column, with the version's own
 * preprocessing (the same function serves training and serving). Binary metrics use `threshold`.
 */
export function evaluateModel(
  tf: Tf,
  model: LayersModel,
  spec: PreprocessingSpec,
  table: DataTable,
  rows?: ArrayLike<number>,
  threshold = 0.5,
): ModelEvaluation {
  const data = applyPreprocessing(spec, table, { rows });
  if (!data.labels) throw new Error('evaluation needs the label column');
  const predictions = predict(tf, model, spec, data.x, { threshold });
  let metrics: Evaluation;
  if (predictions.kind === 'VALUES') {
    if (data.labels.kind !== 'TARGET') throw new Error('regression model on class labels');
    metrics = evaluatePredictions('REGRESSION', data.labels.values, predictions.values);
  } else {
    if (data.labels.kind !== 'CLASSES') throw new Error('classifier on regression targets');
    const k = predictions.classes.length;
    if (spec.task === 'BINARY_CLASSIFICATION') {
      const positive = new Float64Array(data.x.rows);
      for (let r = 0; r < data.x.rows; r++) positive[r] = predictions.probabilities[r * 2 + 1];
      metrics = evaluatePredictions('BINARY_CLASSIFICATION', data.labels.classIndex, positive, { threshold });
    } else {
      metrics = evaluatePredictions('MULTICLASS_CLASSIFICATION', data.labels.classIndex, { data: predictions.probabilities, rows: data.x.rows, cols: k });
    }
  }
  return { rowCount: data.x.rows, metrics };
}
