import type { Run } from '../../domain/runs/run';
import type { StoredEpoch } from './run-progress-stream';
import { StepEngineEnum } from '../common/enums';
import type { EpochMetrics, MetricPoint, RunEpoch, TrainingEnvironment } from './run.type';
import { TrainingBackendEnum } from './training-hyperparameters.type';

const VALIDATION_PREFIX = 'val_';

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
  const flat = stored.metrics;
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

/** One epoch's value of a metric (`loss`, `val_accuracy`, ...) it reported. */
export function toMetricPoint(epoch: StoredEpoch, name: string): MetricPoint {
  return { epoch: epoch.epoch, value: finite(epoch.metrics[name]), recordedAt: epoch.recordedAt };
}

/**
 * The engine a run trained on, in the terms of the `backend` input: the TensorFlow.js backend
 * (`cpu` or `tensorflow`, the only two mlplane registers) and, on tensorflow, its step engine.
 * Null until the run started, or for a backend name mlplane does not register.
 */
export function toTrainingBackend(backend: string | null | undefined, stepEngine: string | null | undefined): TrainingBackendEnum | null {
  if (backend === 'cpu') return TrainingBackendEnum.CPU;
  if (backend !== 'tensorflow') return null;
  return stepEngine === StepEngineEnum.COMPILED ? TrainingBackendEnum.TENSORFLOW_COMPILED : TrainingBackendEnum.TENSORFLOW;
}

/** The stored environment JSON (the pipeline's `TrainingEnvironment`) as its GraphQL type; null when absent. */
export function toTrainingEnvironment(stored: unknown): TrainingEnvironment | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const environment = stored as Omit<TrainingEnvironment, 'backend' | 'stepEngine'> & { backend: string; stepEngine?: string | null };
  const stepEngine = environment.stepEngine === StepEngineEnum.COMPILED || environment.stepEngine === StepEngineEnum.EAGER ? environment.stepEngine : null;
  const backend = toTrainingBackend(environment.backend, stepEngine);
  if (!backend) return null;
  return { ...environment, backend, stepEngine: stepEngine };
}

/** The stored step engine of a run (from its environment, else its summary). */
export function stepEngineOf(run: Pick<Run, 'environment' | 'summary'>): string | null {
  for (const stored of [run.environment, run.summary]) {
    const engine = stored?.stepEngine;
    if (typeof engine === 'string') return engine;
  }
  return null;
}
