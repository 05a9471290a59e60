import type { StoredEpoch } from './run-progress-stream';
import type { EpochMetrics, MetricPoint, RunEpoch, TrainingEnvironment } from './run.type';

const VALIDATION_PREFIX = 'val_';

function flatMetrics(stored: unknown): Record<string, unknown> {
  return typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
}

/** A finite number, else null (JSON stores a diverged NaN or Infinity loss as null). */
function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function splitMetrics(flat: Record<string, unknown>, prefix: string): EpochMetrics {
  return {
    loss: finite(flat[`${prefix}loss`]),
    accuracy: finite(flat[`${prefix}accuracy`]),
    mae: finite(flat[`${prefix}mae`]),
    rmse: finite(flat[`${prefix}rmse`]),
  };
}

/** A stored epoch (flat metrics `loss`, `val_loss`, ...) as the GraphQL `RunEpoch`: train and validation apart. */
export function toRunEpoch(stored: StoredEpoch): RunEpoch {
  const flat = flatMetrics(stored.metrics);
  const hasValidation = Object.keys(flat).some((name) => name.startsWith(VALIDATION_PREFIX));
  return {
    epoch: stored.epoch,
    train: splitMetrics(flat, ''),
    validation: hasValidation ? splitMetrics(flat, VALIDATION_PREFIX) : null,
    elapsedMs: stored.elapsedMs,
    epochMs: stored.epochMs,
    samplesPerSecond: stored.samplesPerSecond,
    recordedAt: stored.recordedAt,
  };
}

/** The history of one metric (`loss`, `val_accuracy`, ...) over the epochs that reported it. */
export function metricHistory(epochs: readonly StoredEpoch[], name: string): MetricPoint[] {
  return epochs
    .filter((epoch) => Object.prototype.hasOwnProperty.call(flatMetrics(epoch.metrics), name))
    .map((epoch) => ({ epoch: epoch.epoch, value: finite(flatMetrics(epoch.metrics)[name]), recordedAt: epoch.recordedAt }));
}

/** The stored environment JSON (the pipeline's `TrainingEnvironment`, same fields) as its GraphQL type; null when absent. */
export function toTrainingEnvironment(stored: unknown): TrainingEnvironment | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const environment = stored as TrainingEnvironment;
  return { ...environment, stepEngine: environment.stepEngine ?? null };
}
