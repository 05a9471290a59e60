/**
 * The evidence each kind of alert carries (`Alert.details`), one shape per kind. The raisers build
 * it (the drift monitor, the serving alerts, the run store's failure), the repository stores it as
 * JSON and decodes it by the alert's kind (`alertDetailsOf` in `src/infra/db/json-columns.ts`).
 * Every field is nullable: a row written before a field existed, or a malformed one, still
 * decodes, with null where the stored value is missing or of another type.
 */
import type { FeatureDriftEntry } from '../monitoring/drift-report';
import type { AlertKind } from './alert';

/** DATA_DRIFT: the drift report whose share of drifted features reached the deployment's limit. */
export interface DataDriftAlertDetails {
  reportId: string | null;
  /** Share of the tested features that drifted. */
  driftShare: number | null;
  /** The features that drifted, in the report's order. */
  driftedFeatures: string[] | null;
  /** Predictions in the report's window. */
  windowSize: number | null;
}

/** PREDICTION_DRIFT: the drift report whose test of the model output drifted. */
export interface PredictionDriftAlertDetails {
  reportId: string | null;
  /** The model output tested against the reference, as the report has it. */
  prediction: FeatureDriftEntry | null;
  windowSize: number | null;
}

/** The window of labelled predictions a PERFORMANCE_DROP judged (times as ISO 8601 text, as stored). */
export interface JudgedWindow {
  count: number | null;
  from: string | null;
  to: string | null;
}

/** One served version whose newest full window fell below the floor or dropped too far. */
export interface PerformanceDropVersion {
  modelVersionId: string | null;
  /** Whether it was the canary version. */
  canary: boolean | null;
  /** The primary metric: accuracy, or r2 for regression. */
  metric: string | null;
  value: number | null;
  /** The same metric on the baseline evaluation; null when the version has none. */
  baseline: number | null;
  /** The split of the baseline evaluation (TEST, else ALL). */
  baselineSplit: string | null;
  /** baseline - value. */
  drop: number | null;
  /** The deployment's performance floor, when set. */
  floor: number | null;
  /** The rule's threshold: the largest tolerated drop. */
  maxDrop: number | null;
  window: JudgedWindow | null;
}

/** PERFORMANCE_DROP: every served version (stable, canary) that failed the rule. */
export interface PerformanceDropAlertDetails {
  versions: PerformanceDropVersion[];
}

/** ERROR_RATE: failed predict requests over the rule's window. */
export interface ErrorRateAlertDetails {
  failed: number | null;
  total: number | null;
  /** failed / total. */
  rate: number | null;
  threshold: number | null;
  windowSeconds: number | null;
  /** The deployment's canary version then, if any. */
  canaryModelVersionId: string | null;
}

/** LATENCY: the 99th percentile of logged request latency over the rule's window. */
export interface LatencyAlertDetails {
  p99Ms: number | null;
  thresholdMs: number | null;
  /** Requests in the window. */
  requests: number | null;
  windowSeconds: number | null;
}

/** RUN_FAILED: the failed run as it failed. */
export interface RunFailedAlertDetails {
  runId: string | null;
  /** The run's kind (TRAINING, OPTIMIZATION, TRIAL, EVALUATION). */
  kind: string | null;
  modelId: string | null;
  datasetVersionId: string | null;
  error: string | null;
  attempts: number | null;
  workerId: string | null;
}

/** The evidence of each alert kind. */
export interface AlertDetailsByKind {
  DATA_DRIFT: DataDriftAlertDetails;
  PREDICTION_DRIFT: PredictionDriftAlertDetails;
  PERFORMANCE_DROP: PerformanceDropAlertDetails;
  ERROR_RATE: ErrorRateAlertDetails;
  LATENCY: LatencyAlertDetails;
  RUN_FAILED: RunFailedAlertDetails;
}

/** The evidence of some alert kind. */
export type AlertDetails = AlertDetailsByKind[AlertKind];

/** An alert's kind with the evidence of that kind: a union told apart by `kind`. */
export type AlertKindAndDetails = { [K in AlertKind]: { kind: K; details: AlertDetailsByKind[K] } }[AlertKind];
