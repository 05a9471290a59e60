/**
 * Training hyperparameters the trainer understands: their types, defaults, validation and the
 * optimizer they name.
 */
import { z } from 'zod';
import { byShapeOrder, collectFields, formatLimit, inputObject, integerFrom, mustBe, oneOf, requiredAnd } from '../domain/common/input-fields';
import { Violations } from '../domain/errors';
import type { ModelTask, Optimizer, Tf } from './tf-types';

export const OPTIMIZERS = ['SGD', 'MOMENTUM', 'ADAM', 'RMSPROP', 'ADAGRAD'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Learning rate used when none is given: Keras' defaults (its SGD, with momentum 0.9 for MOMENTUM, Adam, RMSprop, Adagrad). */
export const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = {
  SGD: 0.01,
  MOMENTUM: 0.01,
  ADAM: 0.001,
  RMSPROP: 0.001,
  ADAGRAD: 0.001,
};

/**
 * Losses a run can train with, as Keras defines them (per row, averaged over the output units; the
 * batch's loss is the mean over its rows, weighted by class weights):
 * BINARY_CROSSENTROPY `-(y log p + (1 - y) log(1 - p))` and CATEGORICAL_CROSSENTROPY `-sum y log p`
 * on probabilities clipped to [1e-7, 1 - 1e-7]; MEAN_SQUARED_ERROR `(o - y)^2`; MEAN_ABSOLUTE_ERROR
 * `|o - y|`; HUBER `0.5 e^2` where `|e| <= delta`, else `delta (|e| - 0.5 delta)`, delta {@link HUBER_DELTA}.
 * Regression losses apply to the standardized target (the model's output).
 */
export const LOSSES = ['BINARY_CROSSENTROPY', 'CATEGORICAL_CROSSENTROPY', 'MEAN_SQUARED_ERROR', 'MEAN_ABSOLUTE_ERROR', 'HUBER'] as const;
export type LossName = (typeof LOSSES)[number];
/** Keras' default delta of the Huber loss (in standardized target units here). */
export const HUBER_DELTA = 1;

/** The losses that fit a task's output (the first is its default). */
export const LOSSES_BY_TASK: Record<ModelTask, readonly LossName[]> = {
  BINARY_CLASSIFICATION: ['BINARY_CROSSENTROPY'],
  MULTICLASS_CLASSIFICATION: ['CATEGORICAL_CROSSENTROPY'],
  REGRESSION: ['MEAN_SQUARED_ERROR', 'MEAN_ABSOLUTE_ERROR', 'HUBER'],
};

/** The loss a task trains with when none is chosen. */
export function defaultLoss(task: ModelTask): LossName {
  return LOSSES_BY_TASK[task][0];
}

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
  /** Defaults to the task's ({@link defaultLoss}). */
  loss?: LossName;
  earlyStopping?: EarlyStopping;
}

/** Whether a larger value of the monitored quantity is better. */
export function monitorMaximizes(monitor: Monitor): boolean {
  return monitor === 'accuracy' || monitor === 'val_accuracy';
}

/** The message of a learning rate out of its range (every way of missing it). */
const LEARNING_RATE_RANGE = mustBe(`in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}]`);

/** Each hyperparameter's own rule (its type, range or closed set), whatever the task and data. */
export const HYPERPARAMETER_FIELDS = {
  epochs: integerFrom(1, HYPERPARAMETER_LIMITS.maxEpochs),
  batchSize: integerFrom(
    1,
    HYPERPARAMETER_LIMITS.maxBatchSize,
    mustBe(`an integer from 1 to ${formatLimit(HYPERPARAMETER_LIMITS.maxBatchSize)} (at least the training rows for full batch)`),
  ),
  optimizer: oneOf(OPTIMIZERS),
  learningRate: z
    .number({ error: LEARNING_RATE_RANGE })
    .gt(0, { error: LEARNING_RATE_RANGE })
    .max(HYPERPARAMETER_LIMITS.maxLearningRate, { error: LEARNING_RATE_RANGE }),
  loss: oneOf(LOSSES),
} as const;

/** Each early-stopping option's own rule; `monitor` is required. */
export const EARLY_STOPPING_FIELDS = {
  monitor: oneOf(MONITORS, requiredAnd(`one of ${MONITORS.join(', ')}`)),
  patience: integerFrom(0, HYPERPARAMETER_LIMITS.maxPatience),
  minDelta: z.number({ error: mustBe('a number >= 0') }).min(0, { error: mustBe('a number >= 0') }),
  restoreBestWeights: z.boolean({ error: mustBe('a boolean') }),
} as const;

/** The hyperparameters the trainer takes ({@link TrainingHyperparameters}), checked field by field. */
const trainerHyperparametersSchema = inputObject({
  epochs: HYPERPARAMETER_FIELDS.epochs,
  batchSize: HYPERPARAMETER_FIELDS.batchSize.optional(),
  optimizer: HYPERPARAMETER_FIELDS.optimizer,
  learningRate: HYPERPARAMETER_FIELDS.learningRate.optional(),
  loss: HYPERPARAMETER_FIELDS.loss.optional(),
  earlyStopping: inputObject({
    ...EARLY_STOPPING_FIELDS,
    minDelta: EARLY_STOPPING_FIELDS.minDelta.optional(),
    restoreBestWeights: EARLY_STOPPING_FIELDS.restoreBestWeights.optional(),
  }).optional(),
});

/** What the hyperparameters are checked against beyond their own rules. */
export interface HyperparameterFit {
  task: ModelTask;
  /** Whether the run has validation rows (a VAL_* monitor needs them). */
  hasValidation: boolean;
}

/**
 * The rules that need the task and data: the loss fits the task, and the early-stopping monitor is
 * reported for the task and data (a VAL_* monitor needs a validation split). Each problem goes to
 * `problems`; a value its own rule refused is left out (undefined here).
 */
export function checkHyperparametersFit(
  hyperparameters: { loss?: LossName; monitor?: Monitor },
  context: HyperparameterFit,
  fieldPrefix: string,
  problems: Violations,
): void {
  const at = (name: string) => ({ field: `${fieldPrefix}.${name}` });
  const { loss, monitor } = hyperparameters;
  if (loss !== undefined && !LOSSES_BY_TASK[context.task].includes(loss)) {
    problems.add(`loss ${loss} does not fit a ${context.task} model; use ${LOSSES_BY_TASK[context.task].join(' or ')}`, at('loss'));
  }
  if (monitor === undefined) return;
  const regression = context.task === 'REGRESSION';
  if (regression ? monitor.endsWith('accuracy') : monitor.endsWith('mae') || monitor.endsWith('rmse')) {
    problems.add(`${monitor} is not reported for ${context.task}`, at('earlyStopping.monitor'));
  } else if (monitor.startsWith('val_') && !context.hasValidation) {
    problems.add(
      `${monitor} needs a validation split; with split.validation 0, monitor ${monitor.slice(4)} (the training ${monitor.slice(4)}) instead`,
      at('earlyStopping.monitor'),
    );
  }
}

/**
 * Checks hyperparameters ({@link HYPERPARAMETER_FIELDS}, {@link EARLY_STOPPING_FIELDS}), that the
 * loss fits the task, and that the early-stopping monitor exists for the task and data.
 * @throws ValidationError listing every problem, each with a field such as `input.hyperparameters.batchSize`.
 */
export function validateHyperparameters(hyperparameters: TrainingHyperparameters, context: HyperparameterFit, fieldPrefix = 'input.hyperparameters'): void {
  const problems = new Violations();
  const { fields } = collectFields(trainerHyperparametersSchema, hyperparameters, fieldPrefix, problems);
  const monitor = EARLY_STOPPING_FIELDS.monitor.safeParse(hyperparameters.earlyStopping?.monitor);
  checkHyperparametersFit({ loss: fields.loss, monitor: monitor.success ? monitor.data : undefined }, context, fieldPrefix, problems);
  problems.throwIfAny(undefined, byShapeOrder(trainerHyperparametersSchema.out.shape, fieldPrefix));
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
