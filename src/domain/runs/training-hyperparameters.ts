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
import { z } from 'zod';
import { byShapeOrder, collectFields, inputObject, mustBe, oneOf } from '../common/input-fields';
import { required } from '../common/required';
import { SPLIT_FRACTIONS_SCHEMA, type SplitFractions } from '../datasets/dataset-split';
import { Violations } from '../errors';
import {
  checkHyperparametersFit,
  DEFAULT_LEARNING_RATES,
  defaultLoss,
  EARLY_STOPPING_FIELDS,
  HYPERPARAMETER_FIELDS,
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

/** A class's weight: a class name (checked against the dataset's by {@link parseTrainingHyperparameters}) and a weight above 0. */
const classWeightSchema = inputObject({
  class: z.string({ error: mustBe('a class name') }),
  weight: z.number({ error: mustBe('a number greater than 0') }).gt(0, { error: mustBe('a number greater than 0') }),
});

/**
 * Each hyperparameter's own rule and default, as a user sends them; the defaults that depend on
 * the task or another field (loss, learningRate, seed) are filled in by {@link parseTrainingHyperparameters}.
 * Field order is the order problems are reported in.
 */
const trainingHyperparametersSchema = inputObject({
  epochs: HYPERPARAMETER_FIELDS.epochs.default(DEFAULT_EPOCHS),
  batchSize: HYPERPARAMETER_FIELDS.batchSize.default(DEFAULT_BATCH_SIZE),
  optimizer: HYPERPARAMETER_FIELDS.optimizer.default(DEFAULT_OPTIMIZER),
  learningRate: HYPERPARAMETER_FIELDS.learningRate.optional(),
  loss: HYPERPARAMETER_FIELDS.loss.optional(),
  // validation 0: no validation metrics, no VAL_* monitor; test 0: no test evaluation (see the README).
  split: SPLIT_FRACTIONS_SCHEMA.default({ ...DEFAULT_SPLIT }),
  earlyStopping: inputObject({
    ...EARLY_STOPPING_FIELDS,
    patience: EARLY_STOPPING_FIELDS.patience.default(DEFAULT_PATIENCE),
    minDelta: EARLY_STOPPING_FIELDS.minDelta.default(0),
    restoreBestWeights: EARLY_STOPPING_FIELDS.restoreBestWeights.default(true),
  }).optional(),
  seed: z
    .number({ error: mustBe('an integer') })
    .int({ error: mustBe('an integer') })
    .optional(),
  classWeights: z.array(classWeightSchema, { error: 'must be a list of { class, weight }' }).optional(),
  backend: oneOf(TRAINING_BACKENDS).default('AUTO'),
});

/**
 * Checks `input` (null or an object of the fields above) and returns the normalized hyperparameters.
 * @throws ValidationError listing every problem, each with `field` `input.hyperparameters.<name>`
 *   (or a nested path such as `input.hyperparameters.split.test`, `input.hyperparameters.classWeights[1].class`).
 */
export function parseTrainingHyperparameters(input: unknown, context: HyperparameterContext): TrainingRunHyperparameters {
  const prefix = context.fieldPrefix ?? 'input.hyperparameters';
  const problems = new Violations();
  const { value, fields } = collectFields(trainingHyperparametersSchema, input ?? {}, prefix, problems);
  // A split already refused leaves nothing to say about VAL_* monitors.
  const hasValidation = fields.split ? fields.split.validation > 0 : true;
  checkHyperparametersFit(
    { loss: fields.loss, monitor: fields.earlyStopping?.monitor ?? monitorOf(input) },
    { task: context.task, hasValidation },
    prefix,
    problems,
  );
  if (fields.classWeights !== undefined || given(recordOf(input)?.classWeights) !== undefined) {
    checkClassWeights(fields.classWeights, context, `${prefix}.classWeights`, problems);
  }
  problems.throwIfAny(undefined, byShapeOrder(trainingHyperparametersSchema.out.shape, prefix));
  const checked = required(value, 'checked hyperparameters');
  return {
    epochs: checked.epochs,
    batchSize: checked.batchSize,
    optimizer: checked.optimizer,
    learningRate: checked.learningRate ?? DEFAULT_LEARNING_RATES[checked.optimizer],
    loss: checked.loss ?? defaultLoss(context.task),
    split: checked.split,
    seed: checked.seed ?? (context.randomSeed ? context.randomSeed() : randomInt(RANDOM_SEED_BOUND)),
    earlyStopping: checked.earlyStopping ?? null,
    classWeights: classWeightsInClassOrder(checked.classWeights, context.labelClasses ?? []),
    backend: checked.backend,
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

/** `undefined` for an absent or null field (GraphQL sends omitted nullable inputs as either). */
function given(value: unknown): unknown {
  return value === null ? undefined : value;
}

/** `input` as an object of fields, or undefined when it is not one. */
function recordOf(input: unknown): Record<string, unknown> | undefined {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
}

/** The early-stopping monitor of `input` when it is a known one, whether or not the other early-stopping options hold. */
function monitorOf(input: unknown): Monitor | undefined {
  const monitor = EARLY_STOPPING_FIELDS.monitor.safeParse(recordOf(recordOf(input)?.earlyStopping)?.monitor);
  return monitor.success ? monitor.data : undefined;
}

/**
 * The class-weight rules that need the model and data: classification only, each class one of the
 * dataset version's label classes, and weighted once. `weights` is undefined when its own rules refused it.
 */
function checkClassWeights(weights: readonly ClassWeight[] | undefined, context: HyperparameterContext, field: string, problems: Violations): void {
  if (context.task === 'REGRESSION') {
    problems.add('classWeights apply to classification models only', { field });
    return;
  }
  const classes = context.labelClasses ?? [];
  const weighted = new Set<string>();
  weights?.forEach((entry, index) => {
    const classField = { field: `${field}[${index}].class` };
    if (!classes.includes(entry.class)) {
      problems.add(`Class ${JSON.stringify(entry.class)} is not a label class of the dataset version (${classes.join(', ')})`, classField);
    } else if (weighted.has(entry.class)) {
      problems.add(`Class ${JSON.stringify(entry.class)} is weighted twice`, classField);
    }
    weighted.add(entry.class);
  });
}

/** The checked class weights in the order of the dataset version's label classes, or null without any. */
function classWeightsInClassOrder(weights: readonly ClassWeight[] | undefined, labelClasses: readonly string[]): ClassWeight[] | null {
  if (weights === undefined) return null;
  return labelClasses.flatMap((name) => {
    const weight = weights.find((entry) => entry.class === name)?.weight;
    return weight === undefined ? [] : [{ class: name, weight }];
  });
}
