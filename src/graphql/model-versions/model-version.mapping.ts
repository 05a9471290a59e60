import type { ClassMetrics as IndexedClassMetrics } from '../../ml/metrics/multiclass-metrics';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import type { Evaluation as StoredEvaluation } from '../../domain/models/model-version';
import { TaskEnum } from '../common/enums';
import { EvaluationSplitEnum, type ClassMetrics, type Evaluation } from './model-version.type';

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
export function toEvaluation(evaluation: StoredEvaluation): EvaluationNode {
  const base = {
    id: evaluation.id,
    modelVersionId: evaluation.modelVersionId,
    datasetVersionId: evaluation.datasetVersionId,
    split: EvaluationSplitEnum[evaluation.split],
    rowCount: evaluation.rowCount,
    task: TaskEnum[evaluation.task],
    createdAt: evaluation.createdAt,
    ...NO_METRICS,
  };
  const { metrics } = evaluation;
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
export function classesOf(preprocessing: PreprocessingSpec): string[] | null {
  const { label } = preprocessing;
  return label.kind === 'CLASSES' ? label.classes : null;
}

/** Per-class figures named by the version's classes (the index itself when a name is missing). */
export function namedClassMetrics(perClass: readonly IndexedClassMetrics[], classes: readonly string[] | null): ClassMetrics[] {
  return perClass.map(({ label, precision, recall, f1, support }) => ({ class: classes?.[label] ?? String(label), precision, recall, f1, support }));
}
