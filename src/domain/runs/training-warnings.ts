/**
 * What a run's settings warn about before it trains. A run whose settings give fewer than
 * {@link MIN_GRADIENT_STEPS} optimizer steps (epochs x batches per epoch) is likely to underfit:
 * 20 full-batch epochs are 20 steps, where Keras' defaults (10 epochs of batches of 32) give 10 x
 * ceil(rows / 32). The warning is stored on the run when it is queued and repeated in its summary.
 */
import { splitSizes } from '../datasets/dataset-split';
import type { TrainingRunHyperparameters } from './training-hyperparameters';

export const MIN_GRADIENT_STEPS = 100;

export type RunWarningCode = 'FEW_GRADIENT_STEPS';

export interface RunWarning {
  code: RunWarningCode;
  message: string;
}

/** The optimizer steps a run's settings plan on a dataset version of `rowCount` rows (early stopping may take fewer). */
export interface GradientStepPlan {
  trainRows: number;
  /** Rows per step: the batch size, at most the training rows (a full batch). */
  batchRows: number;
  batchesPerEpoch: number;
  steps: number;
}

export function plannedGradientSteps(hyperparameters: Pick<TrainingRunHyperparameters, 'epochs' | 'batchSize' | 'split'>, rowCount: number): GradientStepPlan {
  const trainRows = splitSizes(rowCount, hyperparameters.split).train;
  const batchRows = Math.max(1, Math.min(hyperparameters.batchSize ?? trainRows, trainRows));
  const batchesPerEpoch = Math.ceil(trainRows / batchRows);
  return { trainRows, batchRows, batchesPerEpoch, steps: hyperparameters.epochs * batchesPerEpoch };
}

/** The warnings of a run's settings on a dataset version of `rowCount` rows; empty when none apply. */
export function trainingWarnings(hyperparameters: Pick<TrainingRunHyperparameters, 'epochs' | 'batchSize' | 'split'>, rowCount: number): RunWarning[] {
  const plan = plannedGradientSteps(hyperparameters, rowCount);
  if (plan.steps >= MIN_GRADIENT_STEPS) return [];
  const batches = plan.batchesPerEpoch === 1 ? '1 batch' : `${plan.batchesPerEpoch} batches`;
  return [
    {
      code: 'FEW_GRADIENT_STEPS',
      message:
        `these settings give ${plan.steps} gradient steps (${hyperparameters.epochs} epochs x ${batches} of up to ${plan.batchRows} of ${plan.trainRows} training rows), ` +
        `fewer than ${MIN_GRADIENT_STEPS}: the model is likely to underfit; raise epochs or lower batchSize (Keras' defaults: 10 epochs, batches of 32)`,
    },
  ];
}

/** The warnings stored on a run (JSON), keeping only well-formed entries. */
export function storedWarnings(stored: unknown): RunWarning[] {
  if (!Array.isArray(stored)) return [];
  const entries: readonly unknown[] = stored;
  return entries.filter(
    (entry): entry is RunWarning =>
      typeof entry === 'object' &&
      entry !== null &&
      'code' in entry &&
      entry.code === 'FEW_GRADIENT_STEPS' &&
      'message' in entry &&
      typeof entry.message === 'string',
  );
}
