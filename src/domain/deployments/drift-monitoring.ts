/**
 * A deployment's drift monitoring settings, kept under `drift` in `Deployment.monitoring` (other
 * keys of that JSON belong to alerting). Every setting has a default, so `{}` is valid:
 * - windowSize 500: a report is due once this many predictions arrived since the last one;
 * - periodSeconds 300: ... or once this long passed since the last report with at least one prediction;
 * - referenceSize 5000: the first this many rows of the training reference sample are the reference;
 * - methods: per column type, a forced method (default: chosen by reference size, see
 *   `src/ml/drift/feature-drift.ts`: KS / chi-squared up to 1,000 reference rows, else normed
 *   Wasserstein / Jensen-Shannon);
 * - thresholds: KS p < 0.05, normed Wasserstein >= 0.1, chi-squared p < 0.05, Jensen-Shannon >= 0.1;
 * - driftShare 0.5: the window drifts when at least this share of its features drifted.
 * PSI on 10 reference-quantile bins is always reported, never decides.
 */
import { ValidationError, Violations } from '../errors';
import { DEFAULT_DRIFT_SHARE, DEFAULT_DRIFT_THRESHOLDS, type DriftMethod, type DriftThresholds } from '../../ml/drift/feature-drift';
import { REFERENCE_SAMPLE_SIZE } from '../datasets/reference-sample';

export interface DriftMonitoringSettings {
  windowSize: number;
  periodSeconds: number;
  referenceSize: number;
  methods: { NUMERIC: DriftMethod | null; CATEGORICAL: DriftMethod | null };
  thresholds: DriftThresholds;
  driftShare: number;
}

/** A partial update of the settings; `null` resets a setting to its default. */
export interface DriftMonitoringPatch {
  windowSize?: number | null;
  periodSeconds?: number | null;
  referenceSize?: number | null;
  numericMethod?: DriftMethod | null;
  categoricalMethod?: DriftMethod | null;
  thresholds?: Partial<Record<keyof DriftThresholds, number | null>> | null;
  driftShare?: number | null;
}

export const DEFAULT_WINDOW_SIZE = 500;
export const DEFAULT_PERIOD_SECONDS = 300;
export const MAX_WINDOW_SIZE = 1_000_000;

export const DEFAULT_DRIFT_MONITORING: Readonly<DriftMonitoringSettings> = Object.freeze({
  windowSize: DEFAULT_WINDOW_SIZE,
  periodSeconds: DEFAULT_PERIOD_SECONDS,
  referenceSize: REFERENCE_SAMPLE_SIZE,
  methods: { NUMERIC: null, CATEGORICAL: null },
  thresholds: { ...DEFAULT_DRIFT_THRESHOLDS },
  driftShare: DEFAULT_DRIFT_SHARE,
});

const NUMERIC_METHODS: readonly DriftMethod[] = ['KOLMOGOROV_SMIRNOV', 'WASSERSTEIN_NORMED'];
const CATEGORICAL_METHODS: readonly DriftMethod[] = ['CHI_SQUARED', 'JENSEN_SHANNON'];
const THRESHOLD_KEYS = Object.keys(DEFAULT_DRIFT_THRESHOLDS) as (keyof DriftThresholds)[];

function integerIn(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${field.slice(field.lastIndexOf('.') + 1)} must be an integer from ${min} to ${max}, got ${value}`, { field });
  }
  return value;
}

function methodOf(value: DriftMethod | null | undefined, allowed: readonly DriftMethod[], field: string): DriftMethod | null {
  if (value == null) return null;
  if (!allowed.includes(value)) throw new ValidationError(`${value} does not apply here; use one of ${allowed.join(', ')}`, { field });
  return value;
}

/** The stored settings (`Deployment.monitoring.drift`) with defaults filled in; unknown or malformed keys fall back to defaults. */
export function driftMonitoringOf(monitoring: unknown): DriftMonitoringSettings {
  const stored = (monitoring as { drift?: Partial<DriftMonitoringSettings> } | null)?.drift ?? {};
  const defaults = DEFAULT_DRIFT_MONITORING;
  return {
    windowSize: stored.windowSize ?? defaults.windowSize,
    periodSeconds: stored.periodSeconds ?? defaults.periodSeconds,
    referenceSize: stored.referenceSize ?? defaults.referenceSize,
    methods: { NUMERIC: stored.methods?.NUMERIC ?? null, CATEGORICAL: stored.methods?.CATEGORICAL ?? null },
    thresholds: { ...defaults.thresholds, ...stored.thresholds },
    driftShare: stored.driftShare ?? defaults.driftShare,
  };
}

/**
 * Applies a patch to the current settings.
 * @throws ValidationError listing every `input.<setting>` at fault.
 */
export function patchDriftMonitoring(current: DriftMonitoringSettings, patch: DriftMonitoringPatch, prefix = 'input'): DriftMonitoringSettings {
  const defaults = DEFAULT_DRIFT_MONITORING;
  const problems = new Violations();
  const setting = (value: number | null | undefined, kept: number, reset: number, check: (value: number) => number): number =>
    value === null ? reset : value === undefined ? kept : (problems.check(() => check(value)) ?? kept);
  const thresholds = { ...current.thresholds };
  if (patch.thresholds === null) Object.assign(thresholds, defaults.thresholds);
  for (const key of THRESHOLD_KEYS) {
    const value = patch.thresholds?.[key];
    if (value === undefined) continue;
    if (value === null) {
      thresholds[key] = defaults.thresholds[key];
      continue;
    }
    const pValue = key === 'KOLMOGOROV_SMIRNOV' || key === 'CHI_SQUARED';
    if (!Number.isFinite(value) || value <= 0 || (pValue && value >= 1)) {
      problems.add(`threshold ${key} must be ${pValue ? 'in (0, 1)' : 'positive'}, got ${value}`, { field: `${prefix}.thresholds.${key}` });
      continue;
    }
    thresholds[key] = value;
  }
  const driftShare = patch.driftShare;
  if (driftShare != null && !(driftShare > 0 && driftShare <= 1)) {
    problems.add(`driftShare must be in (0, 1], got ${driftShare}`, { field: `${prefix}.driftShare` });
  }
  const windowSize = setting(patch.windowSize, current.windowSize, defaults.windowSize, (value) =>
    integerIn(value, 1, MAX_WINDOW_SIZE, `${prefix}.windowSize`),
  );
  const periodSeconds = setting(patch.periodSeconds, current.periodSeconds, defaults.periodSeconds, (value) =>
    integerIn(value, 1, 86_400, `${prefix}.periodSeconds`),
  );
  const referenceSize = setting(patch.referenceSize, current.referenceSize, defaults.referenceSize, (value) =>
    integerIn(value, 10, REFERENCE_SAMPLE_SIZE, `${prefix}.referenceSize`),
  );
  const methods = {
    NUMERIC:
      patch.numericMethod === undefined
        ? current.methods.NUMERIC
        : (problems.check(() => methodOf(patch.numericMethod, NUMERIC_METHODS, `${prefix}.numericMethod`)) ?? null),
    CATEGORICAL:
      patch.categoricalMethod === undefined
        ? current.methods.CATEGORICAL
        : (problems.check(() => methodOf(patch.categoricalMethod, CATEGORICAL_METHODS, `${prefix}.categoricalMethod`)) ?? null),
  };
  problems.throwIfAny();
  return {
    windowSize,
    periodSeconds,
    referenceSize,
    methods,
    thresholds,
    driftShare: driftShare === null ? defaults.driftShare : driftShare === undefined ? current.driftShare : driftShare,
  };
}
