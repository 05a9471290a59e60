import type { ClassMetrics as IndexedClassMetrics } from '../../ml/metrics/multiclass-metrics';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import type { Evaluation as EvaluationRow } from '../../services/model-versions/model-version.service';
import type { Evaluation as MetricsOfTask } from '../../ml/metrics/evaluate-predictions';
import { TaskEnum } from '../common/enums';
import type { ClassMetrics, Evaluation, EvaluationSplitEnum, TaskMetrics, WindowMetrics } from './model-version.type';
import { evaluationMetricsOf } from '../../infra/db/json-columns';

/** Metrics as GraphQL serves them, plus the per-class figures by class index (named by a field resolver, which reads the version's classes). */
export type TaskMetricsNode = TaskMetrics & { perClassByIndex: IndexedClassMetrics[] | null };

/** An evaluation as GraphQL serves it. */
export type EvaluationNode = Evaluation & TaskMetricsNode;

/** A performance window's metrics as GraphQL serves them, with the version they score (for `classes` and `perClass`). */
export type WindowMetricsNode = WindowMetrics & TaskMetricsNode & { modelVersionId: string };

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
} satisfies Omit<TaskMetricsNode, 'task'>;

/**
 * The one mapping of metrics to GraphQL: a `src/ml/metrics` evaluation (stored with an evaluation,
 * or computed on a performance window) as the flat fields of its task, the other tasks' null.
 */
export function toTaskMetrics(metrics: MetricsOfTask): TaskMetricsNode {
  const task = TaskEnum[metrics.task];
  switch (metrics.task) {
    case 'BINARY_CLASSIFICATION':
      return {
        ...NO_METRICS,
        task,
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
        ...NO_METRICS,
        task,
        accuracy: metrics.accuracy,
        logLoss: metrics.logLoss,
        confusionMatrix: metrics.confusionMatrix,
        macro: metrics.macro,
        weighted: metrics.weighted,
        perClassByIndex: metrics.perClass,
      };
    case 'REGRESSION':
      return { ...NO_METRICS, task, mae: metrics.mae, rmse: metrics.rmse, r2: metrics.r2 };
  }
}

/** A stored evaluation: its row's fields and its metrics by task. */
export function toEvaluation(row: EvaluationRow): EvaluationNode {
  return {
    id: row.id,
    modelVersionId: row.modelVersionId,
    datasetVersionId: row.datasetVersionId,
    split: row.split as EvaluationSplitEnum,
    rowCount: row.rowCount,
    createdAt: row.createdAt,
    ...toTaskMetrics(evaluationMetricsOf(row.metrics)),
  };
}

/** The metrics of a performance window of the version `modelVersionId`. */
export function toWindowMetrics(modelVersionId: string, metrics: MetricsOfTask): WindowMetricsNode {
  return { ...toTaskMetrics(metrics), sampleCount: metrics.sampleCount, modelVersionId };
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
