/**
 * A window of served predictions that have their actuals, scored with the training metrics of the
 * task (scikit-learn's definitions, `evaluatePredictions`) and compared with an evaluation of the
 * version such as its held-out test split.
 */
import { evaluatePredictions, type Evaluation } from '../metrics/evaluate-predictions';
import type { PreprocessingSpec } from '../preprocessing';
import type { PredictionOutput } from './prediction-request';

/** One served prediction and the actual recorded for it (a class name, or a number for regression). */
export interface LabelledPrediction {
  output: PredictionOutput;
  actual: string | number;
}

/** A headline metric of the window against the same metric of the baseline evaluation. */
export interface MetricComparison {
  name: string;
  /** Null when undefined on this window (e.g. ROC AUC with a single class present). */
  value: number | null;
  baseline: number | null;
  /** value - baseline, when both exist. */
  change: number | null;
}

/** The metrics compared per task: those a person reads first. */
export function headlineMetrics(evaluation: Evaluation): Record<string, number | null> {
  switch (evaluation.task) {
    case 'BINARY_CLASSIFICATION':
      return {
        accuracy: evaluation.accuracy,
        precision: evaluation.precision,
        recall: evaluation.recall,
        f1: evaluation.f1,
        rocAuc: evaluation.rocAuc,
        logLoss: evaluation.logLoss,
      };
    case 'MULTICLASS_CLASSIFICATION':
      return { accuracy: evaluation.accuracy, macroF1: evaluation.macro.f1, weightedF1: evaluation.weighted.f1, logLoss: evaluation.logLoss };
    case 'REGRESSION':
      return { mae: evaluation.mae, rmse: evaluation.rmse, r2: evaluation.r2 };
  }
}

/** Scores the window (at least one prediction) with the metrics the version was evaluated with. */
export function evaluateWindow(spec: PreprocessingSpec, samples: readonly LabelledPrediction[], threshold = 0.5): Evaluation {
  if (spec.label.kind === 'TARGET') {
    return evaluatePredictions(
      'REGRESSION',
      samples.map((sample) => Number(sample.actual)),
      samples.map((sample) => ('value' in sample.output ? sample.output.value : NaN)),
    );
  }
  const { classes } = spec.label;
  const yTrue = samples.map((sample) => classes.indexOf(String(sample.actual)));
  const probability = (sample: LabelledPrediction, label: string) => ('probabilities' in sample.output ? sample.output.probabilities[label] : NaN);
  if (spec.task === 'BINARY_CLASSIFICATION') {
    return evaluatePredictions(
      'BINARY_CLASSIFICATION',
      yTrue,
      samples.map((sample) => probability(sample, classes[1])),
      { threshold },
    );
  }
  const k = classes.length;
  const data = new Float64Array(samples.length * k);
  samples.forEach((sample, r) => classes.forEach((label, c) => (data[r * k + c] = probability(sample, label))));
  return evaluatePredictions('MULTICLASS_CLASSIFICATION', yTrue, { data, rows: samples.length, cols: k });
}

/** The headline metrics of `current` next to those of `baseline` (null baseline: no comparison). */
export function compareMetrics(current: Evaluation, baseline: Evaluation | null): MetricComparison[] {
  const reference = baseline && baseline.task === current.task ? headlineMetrics(baseline) : {};
  return Object.entries(headlineMetrics(current)).map(([name, value]) => {
    const base = reference[name] ?? null;
    return { name, value, baseline: base, change: value !== null && base !== null ? value - base : null };
  });
}
