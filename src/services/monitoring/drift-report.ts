/**
 * One drift report from a window of logged predictions and a version's reference: every feature of
 * the version's schema and the model's output, each tested with `testFeatureDrift`, and the
 * window-level verdict of `datasetDrift`. Pure: the monitor loads the inputs and stores the result.
 *
 * The model's output is tested as a column of its own: the predicted label (categorical) for
 * classification, the value (numeric) for regression. Its reference is the model's output on the
 * reference rows.
 *
 * Infinite statistics (chi-squared with a category absent from the reference) are stored and served
 * as `statistic: null` with `infinite: true`; JSON has no Infinity.
 */
import { ValidationError } from '../../domain/errors';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { datasetDrift, testFeatureDrift, type FeatureSample } from '../../ml/drift/feature-drift';
import { driftDistribution } from '../../ml/drift/drift-distribution';
import type { FeatureDriftEntry } from '../../domain/monitoring/drift-report';
import type { FeatureSpec, PreprocessingSpec } from '../../ml/preprocessing';
import type { PredictionOutput } from '../../ml/serving/prediction-request';
import { CategoricalColumn } from '../../ml/serving/prediction-vector';
import { predictionInputsOf, predictionOutputOf } from '../../infra/db/json-columns';

/** The name the output test carries in reports. */
export const PREDICTION_COLUMN = 'prediction';

export type { FeatureDriftEntry } from '../../domain/monitoring/drift-report';

/** The columns one version is tested on, reference side. */
export interface DriftReference {
  /** Rows of the reference sample used. */
  size: number;
  /** One sample per feature of the version, named. */
  features: FeatureSample[];
  /** The model's output on the reference rows. */
  prediction: FeatureSample;
}

/** The window side, as `windowSamples` builds it from logged predictions. */
export interface DriftWindow {
  size: number;
  features: FeatureSample[];
  prediction: FeatureSample;
}

export interface DriftReportResult {
  features: FeatureDriftEntry[];
  prediction: FeatureDriftEntry;
  driftShare: number;
  drifted: boolean;
  predictionDrifted: boolean;
}

/** What the window's columns are read by: the version's features (name, type) and its label kind. */
export interface WindowSchema {
  features: readonly Pick<FeatureSpec, 'name' | 'type'>[];
  label: Pick<PreprocessingSpec['label'], 'kind'>;
}

/** One column from its JSON values: numbers (anything else is missing) or categories (null is missing). */
export function columnSample(column: Pick<FeatureSpec, 'name' | 'type'>, values: readonly unknown[]): FeatureSample {
  const n = values.length;
  if (column.type === 'NUMERIC') {
    const numbers = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const value = values[r];
      numbers[r] = typeof value === 'number' ? value : NaN;
    }
    return { type: 'NUMERIC', name: column.name, values: numbers };
  }
  const builder = new CategoricalColumn(n);
  for (let r = 0; r < n; r++) builder.set(r, values[r]);
  return { type: 'CATEGORICAL', name: column.name, categories: builder.categories, codes: builder.codes };
}

/** The output column's type: the predicted label of a classifier, the value of a regressor. */
export function outputColumnType(spec: Pick<WindowSchema, 'label'>): FeatureSpec['type'] {
  return spec.label.kind === 'TARGET' ? 'NUMERIC' : 'CATEGORICAL';
}

/**
 * The window from its columns: one array of JSON values per feature of `spec`, in order, and the
 * outputs' labels (classification) or values (regression). The tests are univariate, so the
 * columns need not list the predictions in the same order.
 */
export function windowFromColumns(spec: WindowSchema, columns: readonly (readonly unknown[])[], outputs: readonly unknown[]): DriftWindow {
  return {
    size: outputs.length,
    features: spec.features.map((feature, i) => columnSample(feature, columns[i])),
    prediction: columnSample({ name: PREDICTION_COLUMN, type: outputColumnType(spec) }, outputs),
  };
}

/** The window from logged predictions (inputs and outputs as `predict` stores them). */
export function windowSamples(spec: WindowSchema, rows: readonly { inputs: unknown; output: unknown }[]): DriftWindow {
  const inputs = rows.map((row) => predictionInputsOf(row.inputs));
  const columns = spec.features.map((feature) => inputs.map((record) => record[feature.name]));
  return windowFromColumns(
    spec,
    columns,
    rows.map((row) => outputValue(predictionOutputOf(row.output))),
  );
}

/** What the output test reads of one answer: its label or its value. */
export function outputValue(output: PredictionOutput): string | number {
  return 'label' in output ? output.label : output.value;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Tests one column; a column the window has no value of is reported untested, not thrown. */
export function testColumn(reference: FeatureSample, current: FeatureSample, settings: DriftMonitoringSettings): FeatureDriftEntry {
  const feature = reference.name ?? current.name ?? '';
  try {
    const result = testFeatureDrift(reference, current, { thresholds: settings.thresholds, method: settings.methods[reference.type] ?? undefined });
    const distance = result.pValue === null ? result.statistic : null;
    return {
      feature,
      type: result.type,
      method: result.method,
      statistic: finiteOrNull(result.statistic),
      infinite: result.statistic === Infinity,
      pValue: result.pValue,
      distance: distance === null ? null : finiteOrNull(distance),
      threshold: result.threshold,
      drifted: result.drifted,
      psi: finiteOrNull(result.psi),
      referenceCount: result.referenceCount,
      currentCount: result.currentCount,
      note: null,
      distribution: driftDistribution(reference, current),
    };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return {
      feature,
      type: reference.type,
      method: null,
      statistic: null,
      infinite: false,
      pValue: null,
      distance: null,
      threshold: null,
      drifted: false,
      psi: null,
      referenceCount: 0,
      currentCount: 0,
      note: error.message,
      distribution: null,
    };
  }
}

/** The window-level verdict from the tested columns; the drift share counts the tested features only. */
export function summarizeDriftReport(features: FeatureDriftEntry[], prediction: FeatureDriftEntry, settings: DriftMonitoringSettings): DriftReportResult {
  const verdict = datasetDrift(
    features.filter((entry) => entry.method !== null),
    settings.driftShare,
  );
  return { features, prediction, driftShare: verdict.driftedShare, drifted: verdict.drifted, predictionDrifted: prediction.drifted };
}

/**
 * Tests every feature and the output of `window` against `reference` (same feature order): what the
 * monitor runs on a window, inline or on a worker thread (`drift-threads.ts`).
 */
export function computeDriftReport(
  reference: Pick<DriftReference, 'features' | 'prediction'>,
  window: Pick<DriftWindow, 'features' | 'prediction'>,
  settings: DriftMonitoringSettings,
): DriftReportResult {
  const features = reference.features.map((sample, i) => testColumn(sample, window.features[i], settings));
  return summarizeDriftReport(features, testColumn(reference.prediction, window.prediction, settings), settings);
}
