/**
 * Builds a dense feed-forward network from a user's architecture, with seeded initializers so
 * that the same seed gives the same initial weights on every backend.
 */
import { ValidationError, Violations } from '../domain/errors';
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

/**
 * Checks an architecture against the limits and the task, reporting every problem with its field
 * path (e.g. `input.layers[1].units`). Used by model creation and by `buildModel`.
 * @throws ValidationError listing every problem
 */
export function validateArchitecture(architecture: Architecture, task: ModelTask, fieldPrefix = 'input'): void {
  const field = (path: string) => ({ field: `${fieldPrefix}.${path}` });
  if (!Array.isArray(architecture.layers)) {
    throw new ValidationError('layers must be a list', field('layers'));
  }
  const problems = new Violations();
  if (architecture.layers.length > ARCHITECTURE_LIMITS.maxLayers) {
    throw new ValidationError(`at most ${ARCHITECTURE_LIMITS.maxLayers} hidden layers are allowed, got ${architecture.layers.length}`, field('layers'));
  }
  architecture.layers.forEach((layer, i) => {
    const at = (name: string) => field(`layers[${i}].${name}`);
    problems.check(() => checkUnits(layer.units, at('units')));
    problems.check(() => checkActivation(layer.activation, at('activation')));
    if (layer.dropout !== undefined && layer.dropout !== null && !(Number.isFinite(layer.dropout) && layer.dropout >= 0 && layer.dropout < 1)) {
      problems.add(`dropout must be in [0, 1), got ${layer.dropout}`, at('dropout'));
    }
    if (layer.l2 !== undefined && layer.l2 !== null && !(Number.isFinite(layer.l2) && layer.l2 >= 0 && layer.l2 <= ARCHITECTURE_LIMITS.maxL2)) {
      problems.add(`l2 must be in [0, ${ARCHITECTURE_LIMITS.maxL2}], got ${layer.l2}`, at('l2'));
    }
  });
  const output = architecture.outputLayer;
  if (output) {
    problems.check(() => checkActivation(output.activation, field('outputLayer.activation')));
    const required = requiredOutputActivation(task);
    if (required && output.activation !== required) {
      problems.add(`a ${task} model needs a ${required} output layer, got ${output.activation}`, field('outputLayer.activation'));
    }
    if (task === 'REGRESSION' && output.activation === 'softmax') {
      problems.add('a regression output cannot be softmax', field('outputLayer.activation'));
    }
    if (output.units !== undefined && output.units !== null) {
      problems.check(() => checkUnits(output.units, field('outputLayer.units')));
      if (task !== 'MULTICLASS_CLASSIFICATION' && output.units !== 1) {
        problems.add(`a ${task} model has 1 output unit, got ${output.units}`, field('outputLayer.units'));
      }
    }
  }
  problems.throwIfAny();
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

function checkUnits(units: unknown, location: { field: string }): void {
  if (typeof units !== 'number' || !Number.isInteger(units) || units < ARCHITECTURE_LIMITS.minUnits || units > ARCHITECTURE_LIMITS.maxUnits) {
    throw new ValidationError(
      `units must be an integer from ${ARCHITECTURE_LIMITS.minUnits} to ${ARCHITECTURE_LIMITS.maxUnits}, got ${String(units)}`,
      location,
    );
  }
}

function checkActivation(activation: unknown, location: { field: string }): void {
  if (!(ACTIVATIONS as readonly unknown[]).includes(activation)) {
    throw new ValidationError(`unknown activation ${JSON.stringify(activation)}; use one of ${ACTIVATIONS.join(', ')}`, location);
  }
}
