/**
 * Drift reports as the services and resolvers see them: plain types, with no database type in
 * them. `src/services/monitoring/drift-report-repository.ts` reads and writes them (the only code
 * that touches the `drift_reports` table) and maps rows to these, its JSON columns decoded.
 */
import type { DriftDistribution } from '../../ml/drift/drift-distribution';
import type { DriftMethod } from '../../ml/drift/feature-drift';

/** One tested column as stored in a report's `features` / `prediction`. */
export interface FeatureDriftEntry {
  feature: string;
  type: 'NUMERIC' | 'CATEGORICAL';
  /** Null when the column could not be tested (no non-missing value in the window); see `note`. */
  method: DriftMethod | null;
  /** KS D or chi-squared statistic, or the distance; null when infinite or untested. */
  statistic: number | null;
  /** Whether the statistic is +Infinity (chi-squared with a category the reference never had). */
  infinite: boolean;
  /** KS and chi-squared only. */
  pValue: number | null;
  /** Normed Wasserstein and Jensen-Shannon only (equals the statistic). */
  distance: number | null;
  threshold: number | null;
  drifted: boolean;
  /** PSI on 10 reference-quantile bins (numeric) or the categories; null when infinite or untested. */
  psi: number | null;
  referenceCount: number;
  currentCount: number;
  note: string | null;
  /** The reference and window distributions, binned alike (absent from reports stored before it existed). */
  distribution?: DriftDistribution | null;
}

/** A window of a deployment's predictions (stable version) tested against the version's reference sample. */
export interface DriftReport {
  id: string;
  deploymentId: string;
  modelVersionId: string;
  /** Time of the oldest prediction in the window. */
  windowStart: Date;
  /** The window holds predictions logged up to this time, after the previous report's windowEnd. */
  windowEnd: Date;
  windowSize: number;
  referenceSize: number;
  /** Share of the tested features that drifted. */
  driftShare: number;
  /** Whether driftShare reached the deployment's dataset drift share. */
  drifted: boolean;
  features: FeatureDriftEntry[];
  /** The model output tested the same way; null on reports stored before the output was tested. */
  prediction: FeatureDriftEntry | null;
  predictionDrifted: boolean;
  createdAt: Date;
}
