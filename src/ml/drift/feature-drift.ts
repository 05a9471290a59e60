/**
 * Drift of one feature (a window against the training reference) and of a whole window, with
 * the method choice of Evidently's defaults as mlplane specifies them:
 * - numeric: two-sample Kolmogorov-Smirnov (drift at p < 0.05) when the reference has at most
 *   1,000 non-missing values, else the Wasserstein distance normed by the reference std
 *   (drift at >= 0.1);
 * - categorical: chi-squared (drift at p < 0.05) when the reference has at most 1,000
 *   non-missing values, else the Jensen-Shannon distance (drift at >= 0.1);
 * - PSI on reference-decile bins (numeric) or categories is reported for every feature;
 * - the window drifts when the share of drifted features is at least 0.5 (Evidently's
 *   `drift_share`, compared with >=).
 * Evidently also routes numeric columns with at most 5 distinct values to the categorical tests;
 * mlplane does not: the column type decides. Missing values are dropped before testing.
 */
import { ValidationError } from '../../domain/errors';
import { categoryFrequencies, type CategoricalSample } from './category-frequencies';
import { chiSquareTest } from './chi-square';
import { jensenShannonDistance } from './jensen-shannon';
import { ksTwoSampleSorted } from './ks-two-sample';
import { sortedFinite } from './numeric-sample';
import { categoricalPsi, numericPsiSorted } from './psi';
import { normedWassersteinSorted } from './wasserstein';

/** The per-feature drift tests. */
export type DriftMethod = 'KOLMOGOROV_SMIRNOV' | 'WASSERSTEIN_NORMED' | 'CHI_SQUARED' | 'JENSEN_SHANNON';

/** A feature's values; a `DataColumn` of a `DataTable` fits as is. */
export type FeatureSample = { type: 'NUMERIC'; name?: string; values: ArrayLike<number> } | ({ type: 'CATEGORICAL'; name?: string } & CategoricalSample);

/** Per-method drift thresholds: p-values below, or distances at or above, flag drift. */
export interface DriftThresholds {
  /** @default 0.05 (p-value) */
  KOLMOGOROV_SMIRNOV: number;
  /** @default 0.1 (normed distance) */
  WASSERSTEIN_NORMED: number;
  /** @default 0.05 (p-value) */
  CHI_SQUARED: number;
  /** @default 0.1 (distance) */
  JENSEN_SHANNON: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: Readonly<DriftThresholds> = Object.freeze({
  KOLMOGOROV_SMIRNOV: 0.05,
  WASSERSTEIN_NORMED: 0.1,
  CHI_SQUARED: 0.05,
  JENSEN_SHANNON: 0.1,
});

/** Largest reference (non-missing values) still tested with KS or chi-squared. */
export const SMALL_REFERENCE_MAX_ROWS = 1000;

/** Evidently's default share of drifted features that makes the window drift. */
export const DEFAULT_DRIFT_SHARE = 0.5;

const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['KOLMOGOROV_SMIRNOV', 'CHI_SQUARED']);
const NUMERIC_METHODS: ReadonlySet<DriftMethod> = new Set(['KOLMOGOROV_SMIRNOV', 'WASSERSTEIN_NORMED']);

/** Options of {@link testFeatureDrift}. */
export interface FeatureDriftOptions {
  /** Overrides of {@link DEFAULT_DRIFT_THRESHOLDS}. */
  thresholds?: Partial<DriftThresholds>;
  /** Use this method instead of choosing by reference size; it must suit the feature's type. */
  method?: DriftMethod;
}

/** Outcome of one feature's drift test. */
export interface FeatureDriftResult {
  type: FeatureSample['type'];
  method: DriftMethod;
  /** KS D, chi-squared statistic (Infinity for a category absent from the reference), or the distance. */
  statistic: number;
  /** The test's p-value for KS and chi-squared; `null` for the distances. */
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  /** PSI on {@link PSI_BINS} reference-quantile bins (numeric) or the categories (categorical). */
  psi: number;
  referenceCount: number;
  currentCount: number;
}

/** The default method for a column type and reference size (see the module comment). */
function defaultMethod(type: FeatureSample['type'], referenceCount: number): DriftMethod {
  const small = referenceCount <= SMALL_REFERENCE_MAX_ROWS;
  if (type === 'NUMERIC') return small ? 'KOLMOGOROV_SMIRNOV' : 'WASSERSTEIN_NORMED';
  return small ? 'CHI_SQUARED' : 'JENSEN_SHANNON';
}

function chooseMethod(type: FeatureSample['type'], referenceCount: number, forced: DriftMethod | undefined, name: string | undefined): DriftMethod {
  const method = forced ?? defaultMethod(type, referenceCount);
  if (NUMERIC_METHODS.has(method) !== (type === 'NUMERIC')) {
    throw new ValidationError(`Drift method ${method} does not apply to a ${type.toLowerCase()} feature`, {
      column: name,
    });
  }
  return method;
}

function featureLabel(name?: string): string {
  return name === undefined ? 'The feature' : `Feature ${name}`;
}

function requireNonEmpty(count: number, side: string, name?: string): void {
  if (count === 0) {
    throw new ValidationError(`${featureLabel(name)} has no non-missing value in the ${side}`, { column: name });
  }
}

/**
 * Tests one feature of a window against the reference.
 * @throws ValidationError when the two samples differ in type, a forced method does not suit the
 *   type, or either sample has no non-missing value (`column` names the feature when known).
 */
export function testFeatureDrift(reference: FeatureSample, current: FeatureSample, options: FeatureDriftOptions = {}): FeatureDriftResult {
  const name = reference.name ?? current.name;
  const thresholds = { ...DEFAULT_DRIFT_THRESHOLDS, ...options.thresholds };
  let method: DriftMethod;
  let statistic: number;
  let pValue: number | null;
  let psi: number;
  let referenceCount: number;
  let currentCount: number;
  if (reference.type === 'NUMERIC' && current.type === 'NUMERIC') {
    const sortedReference = sortedFinite(reference.values);
    const sortedCurrent = sortedFinite(current.values);
    referenceCount = sortedReference.length;
    currentCount = sortedCurrent.length;
    requireNonEmpty(referenceCount, 'reference', name);
    requireNonEmpty(currentCount, 'window', name);
    method = chooseMethod('NUMERIC', referenceCount, options.method, name);
    if (method === 'KOLMOGOROV_SMIRNOV') {
      ({ statistic, pValue } = ksTwoSampleSorted(sortedReference, sortedCurrent));
    } else {
      statistic = normedWassersteinSorted(sortedReference, sortedCurrent);
      pValue = null;
    }
    psi = numericPsiSorted(sortedReference, sortedCurrent);
  } else if (reference.type === 'CATEGORICAL' && current.type === 'CATEGORICAL') {
    const frequencies = categoryFrequencies(reference, current);
    referenceCount = frequencies.referenceTotal;
    currentCount = frequencies.currentTotal;
    requireNonEmpty(referenceCount, 'reference', name);
    requireNonEmpty(currentCount, 'window', name);
    method = chooseMethod('CATEGORICAL', referenceCount, options.method, name);
    if (method === 'CHI_SQUARED') {
      ({ statistic, pValue } = chiSquareTest(frequencies));
    } else {
      statistic = jensenShannonDistance(frequencies);
      pValue = null;
    }
    psi = categoricalPsi(frequencies);
  } else {
    throw new ValidationError(`${featureLabel(name)} is ${reference.type} in the reference but ${current.type} in the window`, {
      column: name,
    });
  }
  const threshold = thresholds[method];
  const drifted = P_VALUE_METHODS.has(method) ? (pValue as number) < threshold : statistic >= threshold;
  return { type: reference.type, method, statistic, pValue, threshold, drifted, psi, referenceCount, currentCount };
}

/** Window-level verdict of {@link datasetDrift}. */
export interface DatasetDriftResult {
  featureCount: number;
  driftedCount: number;
  /** driftedCount / featureCount (0 with no features). */
  driftedShare: number;
  /** The share that makes the window drift. */
  share: number;
  drifted: boolean;
}

/**
 * The window drifts when at least `share` of its features drifted (Evidently's dataset drift).
 * @throws ValidationError when `share` is not in (0, 1].
 */
export function datasetDrift(features: readonly Pick<FeatureDriftResult, 'drifted'>[], share = DEFAULT_DRIFT_SHARE): DatasetDriftResult {
  if (!(share > 0 && share <= 1)) {
    throw new ValidationError(`Drift share must be in (0, 1], got ${share}`, { field: 'share' });
  }
  const driftedCount = features.filter((feature) => feature.drifted).length;
  const driftedShare = features.length === 0 ? 0 : driftedCount / features.length;
  const drifted = features.length > 0 && driftedShare >= share;
  return { featureCount: features.length, driftedCount, driftedShare, share, drifted };
}
