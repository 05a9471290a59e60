import type { ClassMetrics as IndexedClassMetrics } from '../../ml/metrics/multiclass-metrics';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import type { Evaluation as EvaluationRow } from '../../services/model-versions/model-version.service';
import type { TaskEnum } from '../common/enums';
import type { ClassMetrics, Evaluation, EvaluationSplitEnum } from './model-version.type';
import { evaluationMetricsOf } from '../../infra/db/json-columns';

/** An evaluation as GraphQL serves it, plus the per-class figures by class index (named by the field resolver). */
export interface EvaluationNode extends Evaluation {
  perClassByIndex: IndexedClassMetrics[] | null;
}

const NO_METRICS = {
  accuracy: null,
  precision: null,
  recall: null,
  f1: null,
  rocAuc: null,
  rocCurve: null,
  logLoss: null,
  threshold: null,
  confusionMatrix: null,
  macro: null,
  weighted: null,
  mae: null,
  rmse: null,
  r2: null,
  perClassByIndex: null,
} satisfies Partial<EvaluationNode>;

/** The stored metrics (one of the `src/ml/metrics` evaluations, by task) as flat GraphQL fields. */
export function toEvaluation(row: EvaluationRow): EvaluationNode {
  const base = {
    id: row.id,
    modelVersionId: row.modelVersionId,
    datasetVersionId: row.datasetVersionId,
    split: row.split as EvaluationSplitEnum,
    rowCount: row.rowCount,
    task: row.task as TaskEnum,
    createdAt: row.createdAt,
    ...NO_METRICS,
  };
  const metrics = evaluationMetricsOf(row.metrics);
  switch (metrics.task) {
    case 'BINARY_CLASSIFICATION':
      return {
        ...base,
        accuracy: metrics.accuracy,
        precision: metrics.precision,
        recall: metrics.recall,
        f1: metrics.f1,
        rocAuc: metrics.rocAuc,
        rocCurve: metrics.rocCurve ?? null,
        logLoss: metrics.logLoss,
        threshold: metrics.threshold,
        confusionMatrix: metrics.confusionMatrix,
      };
    case 'MULTICLASS_CLASSIFICATION':
      return {
        ...base,
        accuracy: metrics.accuracy,
        logLoss: metrics.logLoss,
        confusionMatrix: metrics.confusionMatrix,
        macro: metrics.macro,
        weighted: metrics.weighted,
        perClassByIndex: metrics.perClass,
      };
    case 'REGRESSION':
      return { ...base, mae: metrics.mae, rmse: metrics.rmse, r2: metrics.r2 };
  }
}

/** The label classes a version predicts, in class-index order; null for regression. */
export function classesOf(preprocessing: unknown): string[] | null {
  const label = (preprocessing as PreprocessingSpec | null)?.label;
  return label?.kind === 'CLASSES' ? label.classes : null;
}

/** Per-class figures named by the version's classes (the index itself when a name is missing). */
export function namedClassMetrics(perClass: readonly IndexedClassMetrics[], classes: readonly string[] | null): ClassMetrics[] {
  return perClass.map(({ label, precision, recall, f1, support }) => ({ class: classes?.[label] ?? String(label), precision, recall, f1, support }));
}
