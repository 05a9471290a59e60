/**
 * The hyperparameters of a training run as a user sends them, checked and completed with
 * defaults into the normalized, JSON-serializable form stored on the run (`Run.hyperparameters`).
 *
 * Defaults are Keras' (`model.fit`): `epochs` 10; `batchSize` 32; `optimizer` ADAM; `learningRate`
 * per optimizer ({@link DEFAULT_LEARNING_RATES}, Adam 0.001); `loss` the task's ({@link defaultLoss});
 * and mlplane's: `split` 0.7 / 0.15 / 0.15 (validation and test may be 0); `seed` drawn at random
 * and recorded; `earlyStopping` off (when given: `patience` 5, `minDelta` 0, `restoreBestWeights`
 * true); `classWeights` off (listed classes get their weight, the others 1); `backend` AUTO.
 *
 * Runs stored before `batchSize` had a default have `batchSize: null` (full batch), and before the
 * loss could be chosen no `loss` (they trained with their task's default).
 */
import { randomInt } from 'node:crypto';
import { required } from '../common/required';
import { validateSplitFractions, type SplitFractions } from '../datasets/dataset-split';
import { ValidationError, Violations } from '../errors';
import {
  DEFAULT_LEARNING_RATES,
  defaultLoss,
  validateHyperparameters,
  type EarlyStopping,
  type LossName,
  type Monitor,
  type OptimizerName,
  type TrainingHyperparameters,
} from '../../ml/hyperparameters';
import type { ModelTask } from '../../ml/tf-types';

export const TRAINING_BACKENDS = ['AUTO', 'TENSORFLOW', 'TENSORFLOW_COMPILED', 'CPU'] as const;
/**
 * AUTO times a few steps on every available engine (cpu, eager tensorflow, compiled tensorflow)
 * and keeps the fastest; TENSORFLOW trains eagerly on the native backend; TENSORFLOW_COMPILED runs
 * each step as one libtensorflow graph call (eagerly, with the reason recorded, when it cannot).
 */
export type TrainingBackend = (typeof TRAINING_BACKENDS)[number];

/** Keras' `fit` defaults. */
export const DEFAULT_EPOCHS = 10;
export const DEFAULT_BATCH_SIZE = 32;
export const DEFAULT_OPTIMIZER: OptimizerName = 'ADAM';
export const DEFAULT_SPLIT: Readonly<SplitFractions> = Object.freeze({ train: 0.7, validation: 0.15, test: 0.15 });
export const DEFAULT_PATIENCE = 5;
/** Seeds drawn when none is given lie in [0, 2^31), so they also fit a GraphQL `Int`. */
const RANDOM_SEED_BOUND = 2 ** 31;

/** A class's weight in the loss (classification only). */
export interface ClassWeight {
  class: string;
  weight: number;
}

/** Early stopping with every option filled in. */
export type NormalizedEarlyStopping = Required<EarlyStopping>;

/** Normalized hyperparameters: every field present, absent options as `null`. */
export interface TrainingRunHyperparameters {
  epochs: number;
  /** Rows per gradient step (1: stochastic; the training rows or more: full batch); null (runs stored before the default of 32): full batch. */
  batchSize: number | null;
  optimizer: OptimizerName;
  learningRate: number;
  /** Absent on runs stored before the loss could be chosen: they trained with their task's {@link defaultLoss}. */
  loss?: LossName;
  split: SplitFractions;
  seed: number;
  earlyStopping: NormalizedEarlyStopping | null;
  /** In the order of the dataset version's label classes. */
  classWeights: ClassWeight[] | null;
  backend: TrainingBackend;
}

export interface HyperparameterContext {
  task: ModelTask;
  /** The dataset version's label classes (classification). */
  labelClasses?: readonly string[] | null;
  /** Draws the seed when none is given. @default a uniform integer in [0, 2^31) */
  randomSeed?: () => number;
  /** Input path prefix used in errors. @default 'input.hyperparameters' */
  fieldPrefix?: string;
}

const KNOWN_FIELDS = ['epochs', 'batchSize', 'optimizer', 'learningRate', 'loss', 'split', 'seed', 'earlyStopping', 'classWeights', 'backend'];
const SPLIT_FIELDS = ['train', 'validation', 'test'];
const EARLY_STOPPING_FIELDS = ['monitor', 'patience', 'minDelta', 'restoreBestWeights'];
const CLASS_WEIGHT_FIELDS = ['class', 'weight'];

/**
 * Checks `input` (null or an object of the fields above) and returns the normalized hyperparameters.
 * @throws ValidationError listing every problem, each with `field` `input.hyperparameters.<name>`
 *   (or a nested path such as `input.hyperparameters.split.test`, `input.hyperparameters.classWeights[1].class`).
 */
export function parseTrainingHyperparameters(input: unknown, context: HyperparameterContext): TrainingRunHyperparameters {
  const prefix = context.fieldPrefix ?? 'input.hyperparameters';
  const at = (name: string) => ({ field: `${prefix}.${name}` });
  const raw = asRecord(input ?? {}, prefix, KNOWN_FIELDS);
  const problems = new Violations();

  const optimizer = given(raw.optimizer) ?? DEFAULT_OPTIMIZER;
  // Checked against the task (and the list of losses) by validateHyperparameters.
  const loss = given(raw.loss) ?? defaultLoss(context.task);
  const split = problems.check(() => parseSplit(given(raw.split), `${prefix}.split`));
  const earlyStopping = problems.check(() => parseEarlyStopping(given(raw.earlyStopping), `${prefix}.earlyStopping`)) ?? null;
  const trainer = {
    epochs: (given(raw.epochs) ?? DEFAULT_EPOCHS) as number,
    batchSize: (given(raw.batchSize) ?? DEFAULT_BATCH_SIZE) as number,
    optimizer: optimizer as OptimizerName,
    learningRate: given(raw.learningRate) as number | undefined,
    loss: loss as LossName,
    earlyStopping: earlyStopping ?? undefined,
  };
  // A split already refused leaves nothing to say about VAL_* monitors.
  problems.check(() => validateHyperparameters(trainer, { task: context.task, hasValidation: split ? split.validation > 0 : true }, prefix));
  const seed = problems.check(() => parseSeed(given(raw.seed), context, at('seed')));
  const classWeights = problems.check(() => parseClassWeights(given(raw.classWeights), context, `${prefix}.classWeights`));
  const backend = problems.check(() => parseBackend(given(raw.backend), at('backend')));
  problems.throwIfAny();

  return {
    epochs: trainer.epochs,
    batchSize: trainer.batchSize,
    optimizer: trainer.optimizer,
    learningRate: trainer.learningRate ?? DEFAULT_LEARNING_RATES[trainer.optimizer],
    loss: trainer.loss,
    // With no violation found, every check above returned its value.
    split: required(split, 'checked split'),
    seed: required(seed, 'checked seed'),
    earlyStopping,
    classWeights: classWeights ?? null,
    backend: required(backend, 'checked backend'),
  };
}

/** The part of the stored hyperparameters the trainer (`src/ml/trainer.ts`) takes. */
export function toTrainerHyperparameters(hyperparameters: TrainingRunHyperparameters): TrainingHyperparameters {
  const { epochs, batchSize, optimizer, learningRate, loss, earlyStopping } = hyperparameters;
  return {
    epochs,
    optimizer,
    learningRate,
    ...(batchSize === null ? {} : { batchSize }),
    ...(loss === undefined ? {} : { loss }),
    ...(earlyStopping === null ? {} : { earlyStopping }),
  };
}

/** One weight per class index of `labelClasses` (1 for classes not listed), or undefined without class weights. */
export function classWeightVector(hyperparameters: TrainingRunHyperparameters, labelClasses: readonly string[]): number[] | undefined {
  const { classWeights } = hyperparameters;
  if (!classWeights) return undefined;
  return labelClasses.map((name) => classWeights.find((entry) => entry.class === name)?.weight ?? 1);
}

/** A value of the client's JSON as a message quotes it: JSON for an object or a list, as text otherwise. */
function shown(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** `undefined` for an absent or null field (GraphQL sends omitted nullable inputs as either). */
function given(value: unknown): unknown {
  return value === null ? undefined : value;
}

function asRecord(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${field.slice(field.lastIndexOf('.') + 1)} must be an object`, { field });
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ValidationError(`Unknown field ${key}; expected one of ${known.join(', ')}`, { field: `${field}.${key}` });
    }
  }
  return value as Record<string, unknown>;
}

function parseSplit(value: unknown, field: string): SplitFractions {
  if (value === undefined) return { ...DEFAULT_SPLIT };
  const raw = asRecord(value, field, SPLIT_FIELDS);
  for (const part of SPLIT_FIELDS) {
    if (given(raw[part]) === undefined) {
      throw new ValidationError(`split.${part} is required when split is given`, { field: `${field}.${part}` });
    }
  }
  const split = { train: raw.train, validation: raw.validation, test: raw.test } as SplitFractions;
  // validation 0: no validation metrics, no VAL_* monitor; test 0: no test evaluation (see the README).
  validateSplitFractions(split, field);
  return split;
}

function parseEarlyStopping(value: unknown, field: string): NormalizedEarlyStopping | null {
  if (value === undefined) return null;
  const raw = asRecord(value, field, EARLY_STOPPING_FIELDS);
  if (given(raw.monitor) === undefined) {
    throw new ValidationError('earlyStopping.monitor is required', { field: `${field}.monitor` });
  }
  const restoreBestWeights = given(raw.restoreBestWeights) ?? true;
  if (typeof restoreBestWeights !== 'boolean') {
    throw new ValidationError(`earlyStopping.restoreBestWeights must be a boolean, got ${shown(restoreBestWeights)}`, {
      field: `${field}.restoreBestWeights`,
    });
  }
  // monitor, patience and minDelta are checked with the rest by validateHyperparameters.
  return {
    monitor: raw.monitor as Monitor,
    patience: (given(raw.patience) ?? DEFAULT_PATIENCE) as number,
    minDelta: (given(raw.minDelta) ?? 0) as number,
    restoreBestWeights,
  };
}

function parseSeed(value: unknown, context: HyperparameterContext, location: { field: string }): number {
  if (value === undefined) return context.randomSeed ? context.randomSeed() : randomInt(RANDOM_SEED_BOUND);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationError(`seed must be an integer, got ${shown(value)}`, location);
  }
  return value;
}

function parseClassWeights(value: unknown, context: HyperparameterContext, field: string): ClassWeight[] | null {
  if (value === undefined) return null;
  if (context.task === 'REGRESSION') {
    throw new ValidationError('classWeights apply to classification models only', { field });
  }
  if (!Array.isArray(value)) throw new ValidationError('classWeights must be a list of { class, weight }', { field });
  const classes = context.labelClasses ?? [];
  const weights = new Map<string, number>();
  value.forEach((item, index) => {
    const itemField = `${field}[${index}]`;
    const raw = asRecord(item, itemField, CLASS_WEIGHT_FIELDS);
    const name = raw.class;
    if (typeof name !== 'string' || !classes.includes(name)) {
      throw new ValidationError(`Class ${JSON.stringify(name)} is not a label class of the dataset version (${classes.join(', ')})`, {
        field: `${itemField}.class`,
      });
    }
    if (weights.has(name)) {
      throw new ValidationError(`Class ${JSON.stringify(name)} is weighted twice`, { field: `${itemField}.class` });
    }
    const weight = raw.weight;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new ValidationError(`A class weight must be a number greater than 0, got ${String(weight)}`, { field: `${itemField}.weight` });
    }
    weights.set(name, weight);
  });
  return classes.flatMap((name) => {
    const weight = weights.get(name);
    return weight === undefined ? [] : [{ class: name, weight }];
  });
}

function parseBackend(value: unknown, location: { field: string }): TrainingBackend {
  if (value === undefined) return 'AUTO';
  if (!(TRAINING_BACKENDS as readonly unknown[]).includes(value)) {
    throw new ValidationError(`backend must be one of ${TRAINING_BACKENDS.join(', ')}, got ${shown(value)}`, location);
  }
  return value as TrainingBackend;
}
