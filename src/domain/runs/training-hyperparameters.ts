/**
 * The hyperparameters of a training run as a user sends them, checked and completed with
 * defaults into the normalized, JSON-serializable form stored on the run (`Run.hyperparameters`).
 *
 * Defaults: `epochs` 20; `batchSize` null (full batch); `optimizer` ADAM; `learningRate` per
 * optimizer ({@link DEFAULT_LEARNING_RATES}); `split` 0.7 / 0.15 / 0.15; `seed` drawn at random
 * and recorded; `earlyStopping` off (when given: `patience` 5, `minDelta` 0,
 * `restoreBestWeights` true); `classWeights` off (listed classes get their weight, the others 1);
 * `backend` AUTO.
 */
import { randomInt } from 'node:crypto';
import { validateSplitFractions, type SplitFractions } from '../datasets/dataset-split';
import { shownValue, ValidationError } from '../errors';
import {
  DEFAULT_LEARNING_RATES,
  OPTIMIZERS,
  validateHyperparameters,
  type EarlyStopping,
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

export const DEFAULT_EPOCHS = 20;
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
  /** null: full batch (gradient descent); 1: stochastic; n: mini-batches of n rows. */
  batchSize: number | null;
  optimizer: OptimizerName;
  learningRate: number;
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

const KNOWN_FIELDS = ['epochs', 'batchSize', 'optimizer', 'learningRate', 'split', 'seed', 'earlyStopping', 'classWeights', 'backend'];
const SPLIT_FIELDS = ['train', 'validation', 'test'];
const EARLY_STOPPING_FIELDS = ['monitor', 'patience', 'minDelta', 'restoreBestWeights'];
const CLASS_WEIGHT_FIELDS = ['class', 'weight'];

/**
 * Checks `input` (null or an object of the fields above) and returns the normalized hyperparameters.
 * @throws ValidationError with `field` `input.hyperparameters.<name>` (or a nested path such as
 *   `input.hyperparameters.split.test`, `input.hyperparameters.classWeights[1].class`).
 */
export function parseTrainingHyperparameters(input: unknown, context: HyperparameterContext): TrainingRunHyperparameters {
  const prefix = context.fieldPrefix ?? 'input.hyperparameters';
  const at = (name: string) => ({ field: `${prefix}.${name}` });
  const raw = asRecord(input ?? {}, prefix, KNOWN_FIELDS);

  const optimizer = given(raw.optimizer) ?? DEFAULT_OPTIMIZER;
  if (!(OPTIMIZERS as readonly unknown[]).includes(optimizer)) {
    throw new ValidationError(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${shownValue(optimizer)}`, at('optimizer'));
  }
  const split = parseSplit(given(raw.split), `${prefix}.split`);
  const earlyStopping = parseEarlyStopping(given(raw.earlyStopping), `${prefix}.earlyStopping`);
  const trainer = {
    epochs: (given(raw.epochs) ?? DEFAULT_EPOCHS) as number,
    batchSize: given(raw.batchSize) as number | undefined,
    optimizer: optimizer as OptimizerName,
    learningRate: given(raw.learningRate) as number | undefined,
    earlyStopping: earlyStopping ?? undefined,
  };
  validateHyperparameters(trainer, { task: context.task, hasValidation: split.validation > 0 }, prefix);

  return {
    epochs: trainer.epochs,
    batchSize: trainer.batchSize ?? null,
    optimizer: trainer.optimizer,
    learningRate: trainer.learningRate ?? DEFAULT_LEARNING_RATES[trainer.optimizer],
    split,
    seed: parseSeed(given(raw.seed), context, at('seed')),
    earlyStopping,
    classWeights: parseClassWeights(given(raw.classWeights), context, `${prefix}.classWeights`),
    backend: parseBackend(given(raw.backend), at('backend')),
  };
}

/** The part of the stored hyperparameters the trainer (`src/ml/trainer.ts`) takes. */
export function toTrainerHyperparameters(hyperparameters: TrainingRunHyperparameters): TrainingHyperparameters {
  const { epochs, batchSize, optimizer, learningRate, earlyStopping } = hyperparameters;
  return {
    epochs,
    optimizer,
    learningRate,
    ...(batchSize === null ? {} : { batchSize }),
    ...(earlyStopping === null ? {} : { earlyStopping }),
  };
}

/** One weight per class index of `labelClasses` (1 for classes not listed), or undefined without class weights. */
export function classWeightVector(hyperparameters: TrainingRunHyperparameters, labelClasses: readonly string[]): number[] | undefined {
  const { classWeights } = hyperparameters;
  if (!classWeights) return undefined;
  return labelClasses.map((name) => classWeights.find((entry) => entry.class === name)?.weight ?? 1);
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
  validateSplitFractions(split, field);
  if (split.test <= 0) {
    throw new ValidationError('Split fraction test must be greater than 0: every run is evaluated on held-out rows', { field: `${field}.test` });
  }
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
    throw new ValidationError(`earlyStopping.restoreBestWeights must be a boolean, got ${shownValue(restoreBestWeights)}`, {
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
    throw new ValidationError(`seed must be an integer, got ${shownValue(value)}`, location);
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
    throw new ValidationError(`backend must be one of ${TRAINING_BACKENDS.join(', ')}, got ${shownValue(value)}`, location);
  }
  return value as TrainingBackend;
}
