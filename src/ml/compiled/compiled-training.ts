/**
 * The compiled training step: the whole step of a Dense/Dropout model (forward pass in training
 * mode, the trainer's loss with class weights and L2 penalties, gradients from TF_AddGradients,
 * the optimizer's update of every weight and slot) built once as one TensorFlow graph and run with
 * one TF_SessionRun per batch. The same math as the eager step in `../trainer.ts`:
 * - activations as TensorFlow.js' layers define them (gelu with erf, hardSigmoid clipped, ...);
 * - the run's loss: binary or categorical cross-entropy on probabilities clipped to
 *   [1e-7, 1 - 1e-7], or MSE, MAE or Huber for regression (every loss of `LOSSES`);
 * - optimizers with TensorFlow.js' defaults (Adam's bias correction fed per step so that its
 *   epsilon matches tfjs', Adagrad's accumulators starting at 0.1, RMSProp decay 0.9);
 * - dropout masks `floor(uniform + keep) / keep` from a per-batch seed (stateless, so the same
 *   seeds give the same masks; the masks differ from tfjs' own generator).
 * Weights live in the session's resource variables; `readWeights` and `writeWeights` move them
 * to and from the tfjs model in `model.getWeights()` order.
 */
import { MOMENTUM, DEFAULT_LEARNING_RATES, HUBER_DELTA, type LossName, type OptimizerName } from '../hyperparameters';
import { ACTIVATIONS } from '../model-builder';
import type { LayersModel, ModelTask } from '../tf-types';
import { DT_FLOAT, DT_INT32, GraphBuilder, type GraphOutput } from './graph-builder';
import type { FeedValues, GraphAddon, RunnerHandle, SessionHandle } from './graph-addon';

/** Matches the trainer's clipping of probabilities (Keras' epsilon). */
const EPSILON = 1e-7;
/** TensorFlow.js' optimizer defaults (its backend epsilon is 1e-7 for float32). */
const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const RMSPROP = { decay: 0.9, momentum: 0, epsilon: 1e-7 };
const ADAGRAD = { initialAccumulator: 0.1, epsilon: 1e-7 };

export interface DenseLayerSpec {
  kind: 'dense';
  inputs: number;
  units: number;
  activation: string;
  l2: number;
}
export interface DropoutLayerSpec {
  kind: 'dropout';
  rate: number;
}
export type LayerSpec = DenseLayerSpec | DropoutLayerSpec;

/** Activations the compiled step builds: every one a model can use (TensorFlow.js class names). */
export const COMPILED_ACTIVATIONS: readonly string[] = ACTIVATIONS;

interface LayerInternals {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  kernelRegularizer?: { getConfig(): { l1?: number; l2?: number } };
  rate?: number;
  noiseShape?: unknown;
  useBias?: boolean;
  kernel?: { shape: number[] };
}

/**
 * The model's layers as the compiled step builds them, or why it cannot: only Dense (with bias,
 * a supported activation, an L2-only kernel regularizer, no constraints) and Dropout layers.
 */
export function describeModel(model: LayersModel): { layers: LayerSpec[] } | { reason: string } {
  const layers: LayerSpec[] = [];
  for (const raw of model.layers) {
    const layer = raw as unknown as LayerInternals;
    const kind = layer.getClassName();
    if (kind === 'Dropout') {
      if (layer.noiseShape) return { reason: `dropout layer ${raw.name} has a noise shape` };
      layers.push({ kind: 'dropout', rate: layer.rate ?? 0 });
      continue;
    }
    if (kind !== 'Dense') return { reason: `layer ${raw.name} is a ${kind} (the compiled step builds Dense and Dropout layers)` };
    const config = layer.getConfig();
    const activation = config.activation ?? 'linear';
    if (typeof activation !== 'string' || !COMPILED_ACTIVATIONS.includes(activation)) {
      const shown = typeof activation === 'string' ? activation : JSON.stringify(activation);
      return { reason: `layer ${raw.name} uses activation ${shown}, which the compiled step does not build` };
    }
    if (!layer.useBias) return { reason: `layer ${raw.name} has no bias` };
    if (config.kernelConstraint || config.biasConstraint || config.biasRegularizer || config.activityRegularizer) {
      return { reason: `layer ${raw.name} has a constraint or a non-kernel regularizer` };
    }
    const regularizer = layer.kernelRegularizer?.getConfig();
    if (regularizer && (regularizer.l1 ?? 0) !== 0) return { reason: `layer ${raw.name} has an L1 penalty` };
    const shape = layer.kernel?.shape;
    if (!shape || shape.length !== 2) return { reason: `layer ${raw.name} has no built 2-D kernel` };
    layers.push({ kind: 'dense', inputs: shape[0], units: shape[1], activation, l2: regularizer?.l2 ?? 0 });
  }
  if (!layers.some((layer) => layer.kind === 'dense')) return { reason: 'the model has no Dense layer' };
  return { layers };
}

export interface CompileTrainingOptions {
  addon: GraphAddon;
  layers: readonly LayerSpec[];
  task: ModelTask;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate?: number;
  /** Whether each batch comes with per-row loss weights (class weights). */
  rowWeights: boolean;
  /** libtensorflow thread pools; 0 lets TensorFlow choose. @default 0 */
  intraOpThreads?: number;
  /** @default 0 */
  interOpThreads?: number;
}

/** One compiled training step, its variables and its session. */
export interface CompiledTraining {
  readonly dropoutLayers: number;
  /** Width of `step`'s result: the loss, then the metric sums (1 for classification, 2 for regression). */
  readonly resultWidth: number;
  /**
   * One optimizer step on a batch of `rows` rows. Returns [loss, ...metric sums] measured with the
   * weights before the update. `dropoutSeeds` holds two int32 per dropout layer.
   */
  step(x: Float32Array, y: Float32Array, rows: number, rowWeights?: Float32Array, dropoutSeeds?: Int32Array): Float32Array;
  /** The weights, in `model.getWeights()` order (kernel, bias per Dense layer). */
  readWeights(): Float32Array[];
  /** Sets the weights (same order) and leaves the optimizer's state alone. */
  writeWeights(values: readonly Float32Array[]): void;
  dispose(): void;
}

interface Weight {
  shape: number[];
  variable: GraphOutput;
  read: GraphOutput;
  feed: GraphOutput;
  assign: number;
}

/**
 * Builds the graph and its session. Throws when libtensorflow refuses the graph (e.g. an op
 * without a registered gradient); the caller records that and trains eagerly.
 */
export function compileTraining(options: CompileTrainingOptions): CompiledTraining {
  const { addon, layers, task } = options;
  const g = new GraphBuilder(addon);
  const dense = layers.filter((layer): layer is DenseLayerSpec => layer.kind === 'dense');
  const inputWidth = dense[0].inputs;
  const outputWidth = dense[dense.length - 1].units;
  const x = g.placeholder(DT_FLOAT, [-1, inputWidth]);
  const y = g.placeholder(DT_FLOAT, [-1, outputWidth]);
  const w = options.rowWeights ? g.placeholder(DT_FLOAT, [-1]) : undefined;
  const dropoutCount = layers.filter((layer) => layer.kind === 'dropout').length;
  const seedsFeed = dropoutCount > 0 ? g.placeholder(DT_INT32, [dropoutCount, 2]) : undefined;
  const seeds = seedsFeed
    ? g.outputs(
        g.opIndex(
          'Unpack',
          [seedsFeed],
          [
            ['num', 'int', dropoutCount],
            ['axis', 'int', 0],
          ],
        ),
      )
    : [];

  const weights: Weight[] = [];
  const newWeight = (shape: number[]): Weight => {
    const variable = g.variable(shape);
    const feed = g.placeholder(DT_FLOAT, shape);
    const weight = { shape, variable, read: g.read(variable), feed, assign: g.assign(variable, feed) };
    weights.push(weight);
    return weight;
  };

  let h = x;
  let penalty: GraphOutput | undefined;
  let dropoutIndex = 0;
  for (const layer of layers) {
    if (layer.kind === 'dropout') {
      const seed = seeds[dropoutIndex++];
      if (layer.rate > 0) h = dropout(g, h, layer.rate, seed);
      continue;
    }
    const kernel = newWeight([layer.inputs, layer.units]);
    const bias = newWeight([layer.units]);
    h = activate(g, g.op('BiasAdd', [g.op('MatMul', [h, kernel.read]), bias.read]), layer.activation);
    if (layer.l2 > 0) {
      const term = g.binary('Mul', g.float(layer.l2), g.reduce('Sum', g.unary('Square', kernel.read), [0, 1]));
      penalty = penalty ? g.binary('AddV2', penalty, term) : term;
    }
  }
  const perRow = perRowLoss(g, options.loss, y, h);
  let loss = g.reduce('Mean', w ? g.binary('Mul', perRow, w) : perRow, [0]);
  if (penalty) loss = g.binary('AddV2', loss, penalty);
  const result = g.concat([g.reshape(loss, [1]), metricSums(g, task, y, h)], 0);
  const resultOp = result[0];

  const gradients = addon.addGradients(
    g.graph,
    'gradients',
    [loss],
    weights.map((weight) => weight.read),
  );
  const optimizer = buildOptimizer(g, options.optimizer, options.learningRate ?? DEFAULT_LEARNING_RATES[options.optimizer]);
  // Updates wait for the result op, so the fetched loss and metrics see the weights before the step.
  const updates = weights.map((weight, i) => optimizer.update(weight, gradients[i], [resultOp]));

  const session = addon.newSession(g.graph, options.intraOpThreads ?? 0, options.interOpThreads ?? 0);
  try {
    if (optimizer.initTargets.length > 0) addon.run(addon.prepare(session, [], [], optimizer.initTargets), [], []);
    const feeds = [x, y, ...(w ? [w] : []), ...(seedsFeed ? [seedsFeed] : []), ...(optimizer.stepFeed ? [optimizer.stepFeed] : [])];
    return new SessionTraining(addon, session, {
      stepRunner: addon.prepare(session, feeds, [result], updates),
      readRunner: addon.prepare(
        session,
        [],
        weights.map((weight) => weight.read),
        [],
      ),
      writeRunner: addon.prepare(
        session,
        weights.map((weight) => weight.feed),
        [],
        weights.map((weight) => weight.assign),
      ),
      shapes: weights.map((weight) => weight.shape),
      widths: { x: inputWidth, y: outputWidth },
      dropoutLayers: dropoutCount,
      resultWidth: task === 'REGRESSION' ? 3 : 2,
      stepValues: optimizer.stepValues,
    });
  } catch (error) {
    addon.closeSession(session);
    throw error;
  }
}

interface SessionParts {
  stepRunner: RunnerHandle;
  readRunner: RunnerHandle;
  writeRunner: RunnerHandle;
  shapes: number[][];
  widths: { x: number; y: number };
  dropoutLayers: number;
  resultWidth: number;
  /** Per-step optimizer inputs (Adam's bias corrections), from the 1-based step number. */
  stepValues?: (step: number) => Float32Array;
}

class SessionTraining implements CompiledTraining {
  readonly dropoutLayers: number;
  readonly resultWidth: number;
  private steps = 0;
  private closed = false;

  constructor(
    private readonly addon: GraphAddon,
    private readonly session: SessionHandle,
    private readonly parts: SessionParts,
  ) {
    this.dropoutLayers = parts.dropoutLayers;
    this.resultWidth = parts.resultWidth;
  }

  step(x: Float32Array, y: Float32Array, rows: number, rowWeights?: Float32Array, dropoutSeeds?: Int32Array): Float32Array {
    const { widths, stepValues } = this.parts;
    const values: FeedValues[] = [x, y];
    const shapes: number[][] = [
      [rows, widths.x],
      [rows, widths.y],
    ];
    if (rowWeights) {
      values.push(rowWeights);
      shapes.push([rows]);
    }
    if (this.dropoutLayers > 0) {
      values.push(dropoutSeeds ?? new Int32Array(this.dropoutLayers * 2));
      shapes.push([this.dropoutLayers, 2]);
    }
    this.steps++;
    if (stepValues) {
      const extra = stepValues(this.steps);
      values.push(extra);
      shapes.push([extra.length]);
    }
    return this.addon.run(this.parts.stepRunner, values, shapes)[0] as Float32Array;
  }

  readWeights(): Float32Array[] {
    return this.addon.run(this.parts.readRunner, [], []) as Float32Array[];
  }

  writeWeights(values: readonly Float32Array[]): void {
    this.addon.run(this.parts.writeRunner, values, this.parts.shapes);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.closeSession(this.session);
  }
}

/** The activation as TensorFlow.js' layers define it (shared by the training step and the forward pass). */
export function activate(g: GraphBuilder, z: GraphOutput, activation: string): GraphOutput {
  switch (activation) {
    case 'linear':
      return z;
    case 'relu':
    case 'relu6':
    case 'elu':
    case 'selu':
    case 'tanh':
    case 'sigmoid':
    case 'softplus':
    case 'softsign':
    case 'softmax':
      return g.unary(activation.charAt(0).toUpperCase() + activation.slice(1), z);
    case 'hardSigmoid': {
      const linear = g.binary('AddV2', g.binary('Mul', g.float(0.2), z), g.float(0.5));
      return g.binary('Minimum', g.binary('Maximum', linear, g.float(0)), g.float(1));
    }
    case 'gelu': {
      const cdf = g.binary('Mul', g.float(0.5), g.binary('AddV2', g.float(1), g.unary('Erf', g.binary('RealDiv', z, g.float(Math.SQRT2)))));
      return g.binary('Mul', z, cdf);
    }
    case 'swish':
      return g.binary('Mul', g.unary('Sigmoid', z), z);
    case 'mish':
      return g.binary('Mul', z, g.unary('Tanh', g.unary('Softplus', z)));
    default:
      throw new Error(`activation ${activation} is not built by the compiled step`);
  }
}

/** `x * floor(uniform + keep) / keep`, the mask drawn from the batch's seed. */
function dropout(g: GraphBuilder, x: GraphOutput, rate: number, seed: GraphOutput): GraphOutput {
  const keep = 1 - rate;
  const uniform = g.op('StatelessRandomUniform', [g.op('Shape', [x]), seed], [['dtype', 'type', DT_FLOAT]]);
  const mask = g.binary('RealDiv', g.unary('Floor', g.binary('AddV2', uniform, g.float(keep))), g.float(keep));
  return g.binary('Mul', x, mask);
}

/** The trainer's `perRowLoss`, op for op. */
function perRowLoss(g: GraphBuilder, loss: LossName, y: GraphOutput, output: GraphOutput): GraphOutput {
  switch (loss) {
    case 'MEAN_SQUARED_ERROR':
      return g.reduce('Mean', g.binary('SquaredDifference', output, y), [1]);
    case 'MEAN_ABSOLUTE_ERROR':
      return g.reduce('Mean', g.unary('Abs', g.binary('Sub', output, y)), [1]);
    case 'HUBER': {
      const absolute = g.unary('Abs', g.binary('Sub', output, y));
      const quadratic = g.binary('Minimum', absolute, g.float(HUBER_DELTA));
      const perUnit = g.binary(
        'AddV2',
        g.binary('Mul', g.float(0.5), g.unary('Square', quadratic)),
        g.binary('Mul', g.float(HUBER_DELTA), g.binary('Sub', absolute, quadratic)),
      );
      return g.reduce('Mean', perUnit, [1]);
    }
    case 'CATEGORICAL_CROSSENTROPY':
      return g.unary('Neg', g.reduce('Sum', g.binary('Mul', y, g.unary('Log', clipProbabilities(g, output))), [1]));
    case 'BINARY_CROSSENTROPY': {
      const p = clipProbabilities(g, output);
      const one = g.float(1);
      const likelihood = g.binary(
        'AddV2',
        g.binary('Mul', y, g.unary('Log', p)),
        g.binary('Mul', g.binary('Sub', one, y), g.unary('Log', g.binary('Sub', one, p))),
      );
      return g.unary('Neg', g.reduce('Mean', likelihood, [1]));
    }
  }
}

function clipProbabilities(g: GraphBuilder, output: GraphOutput): GraphOutput {
  return g.binary('Minimum', g.binary('Maximum', output, g.float(EPSILON)), g.float(1 - EPSILON));
}

function metricSums(g: GraphBuilder, task: ModelTask, y: GraphOutput, output: GraphOutput): GraphOutput {
  switch (task) {
    case 'BINARY_CLASSIFICATION': {
      const predicted = g.cast(g.op('GreaterEqual', [output, g.float(0.5)]), DT_FLOAT);
      return g.reshape(g.reduce('Sum', g.cast(g.op('Equal', [predicted, y]), DT_FLOAT), [0, 1]), [1]);
    }
    case 'MULTICLASS_CLASSIFICATION': {
      const argMax = (t: GraphOutput) => g.op('ArgMax', [t, g.int(1)], [['output_type', 'type', DT_INT32]]);
      return g.reshape(g.reduce('Sum', g.cast(g.op('Equal', [argMax(output), argMax(y)]), DT_FLOAT), [0]), [1]);
    }
    case 'REGRESSION': {
      const error = g.binary('Sub', output, y);
      const absolute = g.reshape(g.reduce('Sum', g.unary('Abs', error), [0, 1]), [1]);
      const squared = g.reshape(g.reduce('Sum', g.unary('Square', error), [0, 1]), [1]);
      return g.concat([absolute, squared], 0);
    }
  }
}

interface OptimizerGraph {
  /** Adds the update of one weight (an op index), run after `after`. */
  update(weight: Weight, gradient: GraphOutput, after: number[]): number;
  /** Ops that set the slots to their starting values. */
  initTargets: number[];
  /** A float32 vector fed every step, and its values. */
  stepFeed?: GraphOutput;
  stepValues?: (step: number) => Float32Array;
}

function buildOptimizer(g: GraphBuilder, name: OptimizerName, learningRate: number): OptimizerGraph {
  const lr = g.float(learningRate);
  const initTargets: number[] = [];
  const slot = (shape: number[], start: number): GraphOutput => {
    const variable = g.variable(shape);
    const size = shape.reduce((a, b) => a * b, 1);
    initTargets.push(g.assign(variable, g.float(new Float32Array(size).fill(start), shape)));
    return variable;
  };
  const apply = (type: string, inputs: GraphOutput[], after: number[], attrs: [string, 'bool', boolean][] = []) => g.opIndex(type, inputs, attrs, after);
  switch (name) {
    case 'SGD':
      return { initTargets, update: (weight, grad, after) => apply('ResourceApplyGradientDescent', [weight.variable, lr, grad], after) };
    case 'MOMENTUM': {
      const momentum = g.float(MOMENTUM);
      return {
        initTargets,
        update: (weight, grad, after) =>
          apply('ResourceApplyMomentum', [weight.variable, slot(weight.shape, 0), lr, grad, momentum], after, [['use_nesterov', 'bool', false]]),
      };
    }
    case 'RMSPROP': {
      const [rho, momentum, epsilon] = [g.float(RMSPROP.decay), g.float(RMSPROP.momentum), g.float(RMSPROP.epsilon)];
      return {
        initTargets,
        update: (weight, grad, after) =>
          apply('ResourceApplyRMSProp', [weight.variable, slot(weight.shape, 0), slot(weight.shape, 0), lr, rho, momentum, epsilon, grad], after),
      };
    }
    case 'ADAGRAD': {
      const epsilon = g.float(ADAGRAD.epsilon);
      return {
        initTargets,
        update: (weight, grad, after) =>
          apply('ResourceApplyAdagradV2', [weight.variable, slot(weight.shape, ADAGRAD.initialAccumulator), lr, epsilon, grad], after),
      };
    }
    case 'ADAM': {
      // [beta1^t, beta2^t, epsilon * sqrt(1 - beta2^t)]: TensorFlow's kernel divides by sqrt(v) + epsilon
      // where tfjs divides by sqrt(v / (1 - beta2^t)) + epsilon; scaling epsilon makes the two equal.
      const stepFeed = g.placeholder(DT_FLOAT, [3]);
      const [beta1Power, beta2Power, epsilon] = g.outputs(
        g.opIndex(
          'Unpack',
          [stepFeed],
          [
            ['num', 'int', 3],
            ['axis', 'int', 0],
          ],
        ),
      );
      const [beta1, beta2] = [g.float(ADAM.beta1), g.float(ADAM.beta2)];
      return {
        initTargets,
        stepFeed,
        stepValues: (step) => {
          const beta2Power = ADAM.beta2 ** step;
          return Float32Array.of(ADAM.beta1 ** step, beta2Power, ADAM.epsilon * Math.sqrt(1 - beta2Power));
        },
        update: (weight, grad, after) =>
          apply(
            'ResourceApplyAdam',
            [weight.variable, slot(weight.shape, 0), slot(weight.shape, 0), beta1Power, beta2Power, lr, beta1, beta2, epsilon, grad],
            after,
            [['use_nesterov', 'bool', false]],
          ),
      };
    }
  }
}
