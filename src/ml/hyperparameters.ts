/**
 * Training hyperparameters the trainer understands: their types, defaults, validation and the
 * optimizer they name.
 */
import { ValidationError } from '../domain/errors';
import type { ModelTask, Optimizer, Tf } from './tf-types';

export const OPTIMIZERS = ['SGD', 'MOMENTUM', 'ADAM', 'RMSPROP', 'ADAGRAD'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Learning rate used when none is given. */
export const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = {
  SGD: 0.01,
  MOMENTUM: 0.01,
  ADAM: 0.001,
  RMSPROP: 0.001,
  ADAGRAD: 0.01,
};

/** Momentum of the MOMENTUM optimizer. */
export const MOMENTUM = 0.9;

export const HYPERPARAMETER_LIMITS = { maxEpochs: 10_000, maxBatchSize: 1_000_000, maxLearningRate: 10, maxPatience: 10_000 } as const;

/** Quantities the trainer reports per epoch, and which early stopping can monitor. */
export const MONITORS = ['loss', 'accuracy', 'mae', 'rmse', 'val_loss', 'val_accuracy', 'val_mae', 'val_rmse'] as const;
export type Monitor = (typeof MONITORS)[number];

export interface EarlyStopping {
  monitor: Monitor;
  /** Stop after this many epochs in a row without improvement (0 and 1 both stop at the first). */
  patience: number;
  /** Smallest change that counts as an improvement. @default 0 */
  minDelta?: number;
  /**
   * Put back the weights of the best epoch when training ends and the last epoch was not the
   * best (not on cancellation). @default true
   */
  restoreBestWeights?: boolean;
}

export interface TrainingHyperparameters {
  epochs: number;
  /** Omitted: full batch (gradient descent); 1: stochastic; n: mini-batches of n. */
  batchSize?: number;
  optimizer: OptimizerName;
  /** Defaults per optimizer: {@link DEFAULT_LEARNING_RATES}. */
  learningRate?: number;
  earlyStopping?: EarlyStopping;
}

/** Whether a larger value of the monitored quantity is better. */
export function monitorMaximizes(monitor: Monitor): boolean {
  return monitor === 'accuracy' || monitor === 'val_accuracy';
}

/**
 * Checks hyperparameters, and that the early-stopping monitor exists for the task and data.
 * @throws ValidationError with a field such as `input.hyperparameters.batchSize`.
 */
export function validateHyperparameters(
  hyperparameters: TrainingHyperparameters,
  context: { task: ModelTask; hasValidation: boolean },
  fieldPrefix = 'input.hyperparameters',
): void {
  const at = (name: string) => ({ field: `${fieldPrefix}.${name}` });
  const { epochs, batchSize, optimizer, learningRate, earlyStopping } = hyperparameters;
  if (!isIntegerIn(epochs, 1, HYPERPARAMETER_LIMITS.maxEpochs)) {
    throw new ValidationError(`epochs must be an integer from 1 to ${HYPERPARAMETER_LIMITS.maxEpochs}, got ${String(epochs)}`, at('epochs'));
  }
  if (batchSize !== undefined && batchSize !== null && !isIntegerIn(batchSize, 1, HYPERPARAMETER_LIMITS.maxBatchSize)) {
    throw new ValidationError(
      `batchSize must be an integer from 1 to ${HYPERPARAMETER_LIMITS.maxBatchSize} (omit it for full batch), got ${String(batchSize)}`,
      at('batchSize'),
    );
  }
  if (!(OPTIMIZERS as readonly unknown[]).includes(optimizer)) {
    throw new ValidationError(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${optimizer}`, at('optimizer'));
  }
  if (
    learningRate !== undefined &&
    learningRate !== null &&
    !(typeof learningRate === 'number' && learningRate > 0 && learningRate <= HYPERPARAMETER_LIMITS.maxLearningRate)
  ) {
    throw new ValidationError(`learningRate must be in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}], got ${String(learningRate)}`, at('learningRate'));
  }
  if (!earlyStopping) return;
  const { monitor, patience, minDelta } = earlyStopping;
  if (!(MONITORS as readonly unknown[]).includes(monitor)) {
    throw new ValidationError(`earlyStopping.monitor must be one of ${MONITORS.join(', ')}, got ${monitor}`, at('earlyStopping.monitor'));
  }
  const regression = context.task === 'REGRESSION';
  if (regression ? monitor.endsWith('accuracy') : monitor.endsWith('mae') || monitor.endsWith('rmse')) {
    throw new ValidationError(`${monitor} is not reported for ${context.task}`, at('earlyStopping.monitor'));
  }
  if (monitor.startsWith('val_') && !context.hasValidation) {
    throw new ValidationError(`${monitor} needs a validation split`, at('earlyStopping.monitor'));
  }
  if (!isIntegerIn(patience, 0, HYPERPARAMETER_LIMITS.maxPatience)) {
    throw new ValidationError(`earlyStopping.patience must be an integer from 0 to ${HYPERPARAMETER_LIMITS.maxPatience}, got ${String(patience)}`, at('earlyStopping.patience'));
  }
  if (minDelta !== undefined && minDelta !== null && !(typeof minDelta === 'number' && Number.isFinite(minDelta) && minDelta >= 0)) {
    throw new ValidationError(`earlyStopping.minDelta must be a number >= 0, got ${String(minDelta)}`, at('earlyStopping.minDelta'));
  }
}

/** Creates the named optimizer with the given or default learning rate. */
export function createOptimizer(tf: Tf, name: OptimizerName, learningRate?: number): Optimizer {
  const rate = learningRate ?? DEFAULT_LEARNING_RATES[name];
  switch (name) {
    case 'SGD':
      return tf.train.sgd(rate);
    case 'MOMENTUM':
      return tf.train.momentum(rate, MOMENTUM);
    case 'ADAM':
      return tf.train.adam(rate);
    case 'RMSPROP':
      return tf.train.rmsprop(rate);
    case 'ADAGRAD':
      return tf.train.adagrad(rate);
  }
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
