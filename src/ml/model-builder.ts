/**
 * Builds a dense feed-forward network from a user's architecture, with seeded initializers so
 * that the same seed gives the same initial weights on every backend.
 */
import { z } from 'zod';
import { byShapeOrder, integerFrom, mustBe, oneOf } from '../domain/common/input-fields';
import { collectInput } from '../domain/common/input-schema';
import { shownValue, ValidationError, Violations } from '../domain/errors';
import type { ModelTask, Sequential, Tf } from './tf-types';

/** Activations a layer may use (TensorFlow.js identifiers). */
export const ACTIVATIONS = [
  'relu',
  'relu6',
  'elu',
  'selu',
  'gelu',
  'swish',
  'mish',
  'tanh',
  'sigmoid',
  'hardSigmoid',
  'softplus',
  'softsign',
  'softmax',
  'linear',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const ARCHITECTURE_LIMITS = { maxLayers: 20, minUnits: 1, maxUnits: 4096, maxL2: 1 } as const;

export interface HiddenLayerSpec {
  units: number;
  activation: Activation;
  /** Dropout rate after this layer, in [0, 1). */
  dropout?: number;
  /** L2 penalty factor on this layer's kernel. */
  l2?: number;
}

export interface OutputLayerSpec {
  /** Defaults to what the task needs: 1, or the class count for multiclass. */
  units?: number;
  activation: Activation;
}

export interface Architecture {
  layers: HiddenLayerSpec[];
  outputLayer?: OutputLayerSpec;
}

export interface BuildModelOptions {
  tf: Tf;
  architecture: Architecture;
  task: ModelTask;
  inputWidth: number;
  /** Number of classes (classification). */
  classCount?: number;
  seed: number;
}

/** A layer's width. */
const unitsSchema = integerFrom(ARCHITECTURE_LIMITS.minUnits, ARCHITECTURE_LIMITS.maxUnits);
const activationSchema = oneOf(ACTIVATIONS);

/** A hidden layer's own rules (its fields other than these are ignored, as they always were). */
const hiddenLayerSchema = z.object({
  units: unitsSchema,
  activation: activationSchema,
  dropout: z
    .number({ error: mustBe('in [0, 1)') })
    .min(0, { error: mustBe('in [0, 1)') })
    .lt(1, { error: mustBe('in [0, 1)') })
    .nullish(),
  l2: z
    .number({ error: mustBe(`in [0, ${ARCHITECTURE_LIMITS.maxL2}]`) })
    .min(0, { error: mustBe(`in [0, ${ARCHITECTURE_LIMITS.maxL2}]`) })
    .max(ARCHITECTURE_LIMITS.maxL2, { error: mustBe(`in [0, ${ARCHITECTURE_LIMITS.maxL2}]`) })
    .nullish(),
});

/** The rules of an architecture that hold whatever the task: at most {@link ARCHITECTURE_LIMITS}.maxLayers hidden layers, each as {@link hiddenLayerSchema}. */
const architectureSchema = z.object({
  layers: z.array(hiddenLayerSchema, { error: 'must be a list' }).max(ARCHITECTURE_LIMITS.maxLayers, {
    error: (issue) => `must have at most ${ARCHITECTURE_LIMITS.maxLayers} hidden layers, got ${shownLength(issue.input)}`,
  }),
  outputLayer: z.object({ units: unitsSchema.nullish(), activation: activationSchema }).nullish(),
});

/** The number of items of a list input. */
function shownLength(value: unknown): string {
  return Array.isArray(value) ? String(value.length) : shownValue(value);
}

/**
 * Checks an architecture against the limits ({@link architectureSchema}) and the task (the output
 * layer a task needs), reporting every problem with its field path (e.g. `input.layers[1].units`).
 * Used by model creation and by `buildModel`.
 * @throws ValidationError listing every problem
 */
export function validateArchitecture(architecture: Architecture, task: ModelTask, fieldPrefix = 'input'): void {
  const field = (path: string) => ({ field: `${fieldPrefix}.${path}` });
  const problems = new Violations();
  collectInput(architectureSchema, architecture, fieldPrefix, problems);
  const output = architecture.outputLayer;
  if (output) {
    const activation = activationSchema.safeParse(output.activation);
    const required = requiredOutputActivation(task);
    if (activation.success && required && activation.data !== required) {
      problems.add(`a ${task} model needs a ${required} output layer, got ${activation.data}`, field('outputLayer.activation'));
    }
    if (activation.success && task === 'REGRESSION' && activation.data === 'softmax') {
      problems.add('a regression output cannot be softmax', field('outputLayer.activation'));
    }
    if (
      output.units !== undefined &&
      output.units !== null &&
      unitsSchema.safeParse(output.units).success &&
      task !== 'MULTICLASS_CLASSIFICATION' &&
      output.units !== 1
    ) {
      problems.add(`a ${task} model has 1 output unit, got ${output.units}`, field('outputLayer.units'));
    }
  }
  problems.throwIfAny(undefined, byShapeOrder(architectureSchema.shape, fieldPrefix));
}

/** The loss each task trains with (a TensorFlow.js loss identifier). */
export function lossForTask(task: ModelTask): 'binaryCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError' {
  switch (task) {
    case 'BINARY_CLASSIFICATION':
      return 'binaryCrossentropy';
    case 'MULTICLASS_CLASSIFICATION':
      return 'categoricalCrossentropy';
    case 'REGRESSION':
      return 'meanSquaredError';
  }
}

/**
 * Builds the (uncompiled) model. Layer `i` is initialized with seed `seed + i`; relu-like
 * activations get He-normal kernels, selu LeCun-normal, the rest Glorot-uniform; biases start at 0.
 * @throws ValidationError for an invalid architecture or an output width that does not fit the classes.
 */
export function buildModel(options: BuildModelOptions): Sequential {
  const { tf, architecture, task, inputWidth, seed } = options;
  validateArchitecture(architecture, task);
  if (!Number.isInteger(inputWidth) || inputWidth < 1) {
    throw new ValidationError(`the model needs at least one input feature, got ${inputWidth}`, { field: 'inputWidth' });
  }
  const outputUnits = outputUnitsFor(task, options.classCount, architecture.outputLayer?.units);
  const outputActivation = architecture.outputLayer?.activation ?? requiredOutputActivation(task) ?? 'linear';
  const model = tf.sequential();
  architecture.layers.forEach((layer, i) => {
    model.add(
      tf.layers.dense({
        units: layer.units,
        activation: layer.activation,
        inputShape: i === 0 ? [inputWidth] : undefined,
        kernelInitializer: kernelInitializer(tf, layer.activation, seed + i),
        biasInitializer: 'zeros',
        kernelRegularizer: layer.l2 ? tf.regularizers.l2({ l2: layer.l2 }) : undefined,
        name: `dense_${i}`,
      }),
    );
    if (layer.dropout) model.add(tf.layers.dropout({ rate: layer.dropout, seed: seed + i, name: `dropout_${i}` }));
  });
  const outputIndex = architecture.layers.length;
  model.add(
    tf.layers.dense({
      units: outputUnits,
      activation: outputActivation,
      inputShape: outputIndex === 0 ? [inputWidth] : undefined,
      kernelInitializer: kernelInitializer(tf, outputActivation, seed + outputIndex),
      biasInitializer: 'zeros',
      name: 'output',
    }),
  );
  return model;
}

function outputUnitsFor(task: ModelTask, classCount: number | undefined, requested: number | undefined): number {
  if (task !== 'MULTICLASS_CLASSIFICATION') return 1;
  if (classCount === undefined || classCount < 2) {
    throw new ValidationError('a multiclass model needs the class count (at least 2)', { field: 'classCount' });
  }
  if (requested !== undefined && requested !== null && requested !== classCount) {
    throw new ValidationError(`the output layer has ${requested} units but the data has ${classCount} classes`, {
      field: 'input.outputLayer.units',
    });
  }
  return classCount;
}

function requiredOutputActivation(task: ModelTask): Activation | undefined {
  if (task === 'BINARY_CLASSIFICATION') return 'sigmoid';
  if (task === 'MULTICLASS_CLASSIFICATION') return 'softmax';
  return undefined;
}

function kernelInitializer(tf: Tf, activation: Activation, seed: number) {
  if (['relu', 'relu6', 'elu', 'gelu', 'swish', 'mish'].includes(activation)) return tf.initializers.heNormal({ seed });
  if (activation === 'selu') return tf.initializers.leCunNormal({ seed });
  return tf.initializers.glorotUniform({ seed });
}
