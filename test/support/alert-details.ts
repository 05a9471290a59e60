import type { AlertDetailsByKind } from '../../src/domain/alerts/alert-details';
import type { DeploymentAlertKind } from '../../src/services/alerts/alert.service';

const NO_EVIDENCE: AlertDetailsByKind = {
  DATA_DRIFT: { reportId: null, driftShare: null, driftedFeatures: null, windowSize: null },
  PREDICTION_DRIFT: { reportId: null, prediction: null, windowSize: null },
  PERFORMANCE_DROP: { versions: [] },
  ERROR_RATE: { failed: null, total: null, rate: null, threshold: null, windowSeconds: null, canaryModelVersionId: null },
  LATENCY: { p99Ms: null, thresholdMs: null, requests: null, windowSeconds: null },
  RUN_FAILED: { runId: null, kind: null, modelId: null, datasetVersionId: null, error: null, attempts: null, workerId: null },
};

/** Evidence of `kind` with nothing in it, for tests about an alert's lifecycle rather than its evidence; `fields` fill some in. */
export function evidence<K extends DeploymentAlertKind>(kind: K, fields: Partial<AlertDetailsByKind[K]> = {}): AlertDetailsByKind[K] {
  const empty: AlertDetailsByKind[K] = structuredClone(NO_EVIDENCE[kind]);
  return Object.assign(empty, fields);
}
