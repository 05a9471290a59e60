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
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { integerFrom } from '../common/input-fields';
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

const NUMERIC_METHODS = ['KOLMOGOROV_SMIRNOV', 'WASSERSTEIN_NORMED'] as const satisfies readonly DriftMethod[];
const CATEGORICAL_METHODS = ['CHI_SQUARED', 'JENSEN_SHANNON'] as const satisfies readonly DriftMethod[];

const THRESHOLD_KEYS = Object.keys(DEFAULT_DRIFT_THRESHOLDS) as (keyof DriftThresholds)[];

/** A p-value threshold (KS, chi-squared): a feature drifts below it. */
const pValueThreshold = z.number({ error: 'must be in (0, 1)' }).gt(0, { error: 'must be in (0, 1)' }).lt(1, { error: 'must be in (0, 1)' });
/** A distance threshold (normed Wasserstein, Jensen-Shannon): a feature drifts at or above it. */
const distanceThreshold = z.number({ error: 'must be positive' }).gt(0, { error: 'must be positive' });

/** The shape of a patch of the drift settings (`null` resets a setting, or every threshold). */
export const driftMonitoringPatchSchema = z.object({
  thresholds: z
    .object({
      KOLMOGOROV_SMIRNOV: pValueThreshold.nullish(),
      WASSERSTEIN_NORMED: distanceThreshold.nullish(),
      CHI_SQUARED: pValueThreshold.nullish(),
      JENSEN_SHANNON: distanceThreshold.nullish(),
    } satisfies Record<keyof DriftThresholds, z.ZodType>)
    .nullish(),
  driftShare: z.number({ error: 'must be in (0, 1]' }).gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }).nullish(),
  windowSize: integerFrom(1, MAX_WINDOW_SIZE).nullish(),
  periodSeconds: integerFrom(1, 86_400).nullish(),
  referenceSize: integerFrom(10, REFERENCE_SAMPLE_SIZE).nullish(),
  numericMethod: z.enum(NUMERIC_METHODS, { error: `is for numeric features: use one of ${NUMERIC_METHODS.join(', ')}` }).nullish(),
  categoricalMethod: z.enum(CATEGORICAL_METHODS, { error: `is for categorical features: use one of ${CATEGORICAL_METHODS.join(', ')}` }).nullish(),
});

/** A patched value: `null` resets to the default, `undefined` (absent) keeps the current one. */
function patched<T>(value: T | null | undefined, current: T, reset: T): T {
  return value === null ? reset : value === undefined ? current : value;
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
 * Applies a patch ({@link driftMonitoringPatchSchema}) to the current settings.
 * @throws ValidationError listing every `<prefix>.<setting>` at fault.
 */
export function patchDriftMonitoring(current: DriftMonitoringSettings, patch: DriftMonitoringPatch, prefix = 'input'): DriftMonitoringSettings {
  const checked = parseInput(driftMonitoringPatchSchema, patch, prefix);
  const defaults = DEFAULT_DRIFT_MONITORING;
  const base = checked.thresholds === null ? defaults.thresholds : current.thresholds;
  const thresholds = { ...base };
  for (const key of THRESHOLD_KEYS) thresholds[key] = patched(checked.thresholds?.[key], base[key], defaults.thresholds[key]);
  return {
    windowSize: patched(checked.windowSize, current.windowSize, defaults.windowSize),
    periodSeconds: patched(checked.periodSeconds, current.periodSeconds, defaults.periodSeconds),
    referenceSize: patched(checked.referenceSize, current.referenceSize, defaults.referenceSize),
    methods: {
      NUMERIC: patched(checked.numericMethod, current.methods.NUMERIC, null),
      CATEGORICAL: patched(checked.categoricalMethod, current.methods.CATEGORICAL, null),
    },
    thresholds,
    driftShare: patched(checked.driftShare, current.driftShare, defaults.driftShare),
  };
}
