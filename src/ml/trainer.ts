/**
 * The training loop: seeded shuffling, batches cut in JavaScript, one optimizer step per batch,
 * metrics kept on the device and read once per epoch, cancellation checked between batches.
 *
 * TensorFlow.js' own `model.fit` shuffles with `Math.random` (not seeded) and awaits callbacks on
 * every batch; this loop is deterministic for a seed and backend and does less per batch.
 */
import { ValidationError } from '../domain/errors';
import { createRandom } from '../domain/random';
import {
  createOptimizer,
  defaultLoss,
  type EarlyStopping,
  HUBER_DELTA,
  type LossName,
  type Monitor,
  monitorMaximizes,
  type TrainingHyperparameters,
  validateHyperparameters,
} from './hyperparameters';
import { prepareCompiledTraining } from './compiled/compiled-step';
import type { CompiledTraining } from './compiled/compiled-training';
import type { LayersModel, Matrix, ModelTask, Optimizer, Scalar, Tensor, Tensor2D, Tf, Variable } from './tf-types';

/** Loss and metrics over one split. Accuracy for classification; MAE and RMSE for regression. */
export interface SplitMetrics {
  loss: number;
  accuracy?: number;
  /** In label units (see `targetScale`). */
  mae?: number;
  rmse?: number;
}

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /**
   * Running averages over the epoch's batches, as Keras reports them: each batch is measured
   * with the weights it was trained from, dropout active, class weights applied to the loss.
   * The loss (the run's, see `LOSSES`) includes the L2 penalties.
   */
  train: SplitMetrics;
  /** Measured after the epoch with the final weights, no dropout, no class weights. */
  validation?: SplitMetrics;
  /** Since training started (the first batch of epoch 1), up to the end of this epoch. */
  elapsedMs: number;
  /** Wall time of this epoch alone: its batches and its validation pass. */
  epochMs: number;
  /** Training rows processed per second in this epoch. */
  samplesPerSecond: number;
}

/**
 * How each batch's step runs: EAGER launches every kernel from JavaScript (any backend);
 * COMPILED runs the whole step as one libtensorflow graph call (native backend, graph addon).
 */
export type StepEngine = 'EAGER' | 'COMPILED';

export type StopReason = 'COMPLETED' | 'EARLY_STOPPING' | 'CANCELLED' | 'NON_FINITE_LOSS';

export interface TrainingSummary {
  /** Completed epochs (an epoch cut short by cancellation does not count). */
  epochsRun: number;
  stopReason: StopReason;
  stoppedEarly: boolean;
  cancelled: boolean;
  /** Human-readable reason for the stop. */
  stopDetail: string;
  /** With early stopping: the epoch with the best monitored value, and that value. */
  bestEpoch?: number;
  bestValue?: number;
  /** Whether the model now holds the best epoch's weights rather than the last one's. */
  restoredBestWeights: boolean;
  batchSize: number;
  batchesPerEpoch: number;
  history: EpochMetrics[];
  durationMs: number;
  /** The engine that ran the steps. */
  stepEngine: StepEngine;
  /** Why COMPILED was asked for but the steps ran eagerly; absent otherwise. */
  compiledFallbackReason?: string;
  /** The loss trained (and reported as `loss`, `val_loss`). */
  loss: LossName;
  /** Optimizer steps taken: the batches of every epoch run. */
  gradientSteps: number;
}

export interface TrainModelOptions {
  tf: Tf;
  model: LayersModel;
  task: ModelTask;
  x: Matrix;
  /** Targets: 0/1 (binary), one-hot (multiclass) or values (regression), as preprocessing encodes them. */
  y: Matrix;
  validation?: { x: Matrix; y: Matrix };
  hyperparameters: TrainingHyperparameters;
  /** Seeds the batch order and the dropout masks. */
  seed: number;
  /** Loss weight per class index (classification). */
  classWeights?: readonly number[];
  /** Multiplies regression errors into label units (the target's standardization scale). @default 1 */
  targetScale?: number;
  onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /**
   * Polled before every batch. The loop yields to the event loop at least every
   * {@link YIELD_INTERVAL_MS}, so a flag set by an event (a cancel notification) is seen promptly.
   */
  shouldStop?: () => boolean;
  /**
   * COMPILED runs each step as one graph call when the graph addon is loaded and the model's layers,
   * activations and optimizer are built by it; otherwise the run trains eagerly and the summary
   * says why. Same loss, metrics, class weights, L2 and seeded batch order either way.
   * @default 'EAGER'
   */
  stepEngine?: StepEngine;
}

/** Longest stretch the loop computes without letting other event-loop work run. */
export const YIELD_INTERVAL_MS = 50;
/** Matches Keras' epsilon for clipping probabilities in cross-entropy. */
const EPSILON = 1e-7;
/** Rows per forward pass when measuring validation metrics. */
const EVAL_CHUNK_ROWS = 16_384;
/** Per-batch device scalars are read back after this many batches (and at the end of each epoch). */
const PENDING_BATCHES = 1024;

/** One optimizer step on a batch: returns the loss and the batch's metric sums (kept tensors). */
export type TrainStep = (x: Tensor2D, y: Tensor2D, weights?: Tensor) => { loss: Scalar; sums: Tensor };

/**
 * Builds the step function the loop (and backend timing) calls: forward pass in training mode,
 * the loss (the task's by default) plus the layers' regularization penalties, gradients, update.
 * `sums` holds [correct predictions] for classification or [sum |error|, sum error^2] for regression.
 */
export function createTrainStep(tf: Tf, model: LayersModel, task: ModelTask, optimizer: Optimizer, lossName: LossName = defaultLoss(task)): TrainStep {
  const variables = model.trainableWeights.map((weight) => trainableVariable(tf, weight));
  return (x, y, weights) => {
    let sums: Tensor | undefined;
    const loss = optimizer.minimize(
      () => {
        const output = model.apply(x, { training: true }) as Tensor;
        const perRow = perRowLoss(tf, lossName, y, output);
        let total = tf.mean(weights ? tf.mul(perRow, weights) : perRow);
        for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
        sums = tf.keep(metricSums(tf, task, y, output));
        return total as Scalar;
      },
      true,
      variables,
    ) as Scalar;
    if (!sums) throw new Error('internal error: the training step computed no metric sums');
    return { loss, sums };
  };
}

/** The variable that holds a layer weight's value (tfjs-layers creates one per weight): what the optimizer updates. */
export function trainableVariable(tf: Tf, weight: { name: string; read(): Tensor }): Variable {
  const value = weight.read();
  const isVariable = (tensor: Tensor): tensor is Variable => tensor instanceof tf.Variable;
  if (!isVariable(value)) throw new Error(`internal error: weight ${weight.name} is not held in a variable`);
  return value;
}

/**
 * Trains `model` in place.
 * @throws ValidationError for invalid hyperparameters (see `validateHyperparameters`) or no training rows.
 */
export async function trainModel(options: TrainModelOptions): Promise<TrainingSummary> {
  const { tf, model, task, x, y, validation, hyperparameters, onEpochEnd, shouldStop } = options;
  validateHyperparameters(hyperparameters, { task, hasValidation: validation !== undefined && validation.x.rows > 0 });
  if (x.rows === 0) throw new ValidationError('the training split has no rows', { field: 'input.hyperparameters.split.train' });
  if (y.rows !== x.rows || (validation && validation.y.rows !== validation.x.rows)) {
    throw new Error(`inputs and targets differ in rows: ${x.rows} vs ${y.rows}`);
  }
  const rows = x.rows;
  const batchSize = Math.min(hyperparameters.batchSize ?? rows, rows);
  const batchesPerEpoch = Math.ceil(rows / batchSize);
  const targetScale = options.targetScale ?? 1;
  const rowWeights = options.classWeights ? weightsPerRow(task, y, options.classWeights) : undefined;
  const shuffleRandom = createRandom(options.seed);
  const dropoutRandom = createRandom(options.seed + 1);
  const dropoutLayers = model.layers.filter((layer) => layer.getClassName() === 'Dropout') as unknown as { seed?: number }[];
  const loss = hyperparameters.loss ?? defaultLoss(task);
  const optimizer = createOptimizer(tf, hyperparameters.optimizer, hyperparameters.learningRate);
  const step = createTrainStep(tf, model, task, optimizer, loss);
  const compiledPlan =
    options.stepEngine === 'COMPILED'
      ? prepareCompiledTraining({
          tf,
          model,
          task,
          loss,
          optimizer: hyperparameters.optimizer,
          learningRate: hyperparameters.learningRate,
          rowWeights: rowWeights !== undefined,
        })
      : undefined;
  const compiled = compiledPlan && 'training' in compiledPlan ? compiledPlan.training : undefined;
  const weightShapes = model.getWeights().map((weight) => weight.shape);
  const validationTensors = validation && validation.x.rows > 0 ? toTensors(tf, validation) : undefined;
  const stopper = hyperparameters.earlyStopping ? new EarlyStopper(hyperparameters.earlyStopping) : undefined;
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const history: EpochMetrics[] = [];
  const started = performance.now();
  let lastYield = started;
  let stopReason: StopReason = 'COMPLETED';
  let stopDetail = `completed ${hyperparameters.epochs} epochs`;
  let accumulator: EpochAccumulator | undefined;
  let stepsTaken = 0;

  try {
    epochs: for (let epoch = 1; epoch <= hyperparameters.epochs; epoch++) {
      const epochStarted = performance.now();
      shuffleRandom.shuffle(order);
      accumulator = new EpochAccumulator(tf, task, targetScale);
      const compiledTotals = compiled ? new EpochTotals(task, targetScale) : undefined;
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (performance.now() - lastYield >= YIELD_INTERVAL_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        if (shouldStop?.()) {
          stopReason = 'CANCELLED';
          stopDetail = `cancelled during epoch ${epoch}`;
          break epochs;
        }
        const start = b * batchSize;
        const count = Math.min(batchSize, rows - start);
        if (compiled && compiledTotals) {
          const result = compiledStep(compiled, x, y, rowWeights, order, start, count, dropoutRandom);
          compiledTotals.add(result[0], result.subarray(1), count);
          stepsTaken++;
          continue;
        }
        for (const layer of dropoutLayers) layer.seed = dropoutRandom.nextUint32();
        const result = tf.tidy(() => {
          const xb = tf.tensor2d(gatherRows(x, order, start, count), [count, x.cols]);
          const yb = tf.tensor2d(gatherRows(y, order, start, count), [count, y.cols]);
          const wb = rowWeights ? tf.tensor1d(gatherValues(rowWeights, order, start, count)) : undefined;
          return step(xb, yb, wb);
        });
        accumulator.add(result.loss, result.sums, count);
        stepsTaken++;
      }
      const train = compiledTotals ? compiledTotals.finish() : accumulator.finish();
      if (compiled) copyWeightsToModel(tf, model, compiled, weightShapes);
      const validationMetrics = validationTensors ? evaluate(tf, model, task, loss, validationTensors, targetScale) : undefined;
      const now = performance.now();
      const metrics: EpochMetrics = {
        epoch,
        train,
        validation: validationMetrics,
        elapsedMs: now - started,
        epochMs: now - epochStarted,
        samplesPerSecond: rows / ((now - epochStarted) / 1000),
      };
      history.push(metrics);
      await onEpochEnd?.(metrics);
      lastYield = performance.now();
      if (!Number.isFinite(train.loss)) {
        stopReason = 'NON_FINITE_LOSS';
        stopDetail = `training loss became ${train.loss} in epoch ${epoch}`;
        break;
      }
      if (stopper?.update(metrics, model)) {
        stopReason = 'EARLY_STOPPING';
        stopDetail = stopper.describe(epoch);
        break;
      }
    }
    const restoredBestWeights = stopReason !== 'CANCELLED' && stopper !== undefined && stopper.restoreIfBetter(model, history.length);
    return {
      epochsRun: history.length,
      stopReason,
      stoppedEarly: stopReason === 'EARLY_STOPPING' || stopReason === 'NON_FINITE_LOSS',
      cancelled: stopReason === 'CANCELLED',
      stopDetail,
      bestEpoch: stopper?.bestEpoch,
      bestValue: stopper?.bestValue,
      restoredBestWeights,
      batchSize,
      batchesPerEpoch,
      history,
      durationMs: performance.now() - started,
      stepEngine: compiled ? 'COMPILED' : 'EAGER',
      ...(compiledPlan && 'reason' in compiledPlan ? { compiledFallbackReason: compiledPlan.reason } : {}),
      loss,
      gradientSteps: stepsTaken,
    };
  } finally {
    compiled?.dispose();
    accumulator?.dispose();
    stopper?.dispose();
    validationTensors?.x.dispose();
    validationTensors?.y.dispose();
    optimizer.dispose();
  }
}

/** Loss per row (shape [rows]): Keras' formula of each loss (see `LOSSES`), averaged over the output units. */
export function perRowLoss(tf: Tf, loss: LossName, y: Tensor, output: Tensor): Tensor {
  switch (loss) {
    case 'MEAN_SQUARED_ERROR':
      return tf.mean(tf.squaredDifference(output, y), 1);
    case 'MEAN_ABSOLUTE_ERROR':
      return tf.mean(tf.abs(tf.sub(output, y)), 1);
    case 'HUBER': {
      // 0.5 q^2 + delta (|e| - q) with q = min(|e|, delta): 0.5 e^2 inside delta, delta (|e| - delta / 2) beyond.
      const absolute = tf.abs(tf.sub(output, y));
      const quadratic = tf.minimum(absolute, HUBER_DELTA);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(HUBER_DELTA, tf.sub(absolute, quadratic))), 1);
    }
    case 'CATEGORICAL_CROSSENTROPY':
      return tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(output, EPSILON, 1 - EPSILON))), 1));
    case 'BINARY_CROSSENTROPY': {
      const p = tf.clipByValue(output, EPSILON, 1 - EPSILON);
      const likelihood = tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))));
      return tf.neg(tf.mean(likelihood, 1));
    }
  }
}

function metricSums(tf: Tf, task: ModelTask, y: Tensor, output: Tensor): Tensor {
  switch (task) {
    case 'BINARY_CLASSIFICATION':
      return tf.sum(tf.cast(tf.equal(tf.cast(tf.greaterEqual(output, 0.5), 'float32'), y), 'float32')).reshape([1]);
    case 'MULTICLASS_CLASSIFICATION':
      return tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), tf.argMax(y, 1)), 'float32')).reshape([1]);
    case 'REGRESSION': {
      const error = tf.sub(output, y);
      return tf.stack([tf.sum(tf.abs(error)), tf.sum(tf.square(error))]);
    }
  }
}

/** One compiled step on rows `order[start .. start+count)`; dropout seeds drawn as the eager loop draws them. */
function compiledStep(
  compiled: CompiledTraining,
  x: Matrix,
  y: Matrix,
  rowWeights: Float32Array | undefined,
  order: Int32Array,
  start: number,
  count: number,
  dropoutRandom: { nextUint32(): number },
): Float32Array {
  let seeds: Int32Array | undefined;
  if (compiled.dropoutLayers > 0) {
    seeds = new Int32Array(compiled.dropoutLayers * 2);
    for (let i = 0; i < compiled.dropoutLayers; i++) {
      seeds[2 * i] = dropoutRandom.nextUint32() | 0;
      seeds[2 * i + 1] = i;
    }
  }
  const wb = rowWeights ? gatherValues(rowWeights, order, start, count) : undefined;
  return compiled.step(gatherRows(x, order, start, count), gatherRows(y, order, start, count), count, wb, seeds);
}

/** Puts the compiled step's weights into the tfjs model (for validation, early stopping and the artifact). */
function copyWeightsToModel(tf: Tf, model: LayersModel, compiled: CompiledTraining, shapes: number[][]): void {
  const tensors = compiled.readWeights().map((values, i) => tf.tensor(values, shapes[i]));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Sums per-batch losses (weighted by rows) and metric sums in double precision. */
class EpochTotals {
  private lossTotal = 0;
  private sumTotals = [0, 0];
  private rows = 0;

  constructor(
    private readonly task: ModelTask,
    private readonly targetScale: number,
  ) {}

  add(loss: number, sums: ArrayLike<number>, count: number): void {
    this.lossTotal += loss * count;
    for (let k = 0; k < sums.length; k++) this.sumTotals[k] += sums[k];
    this.rows += count;
  }

  finish(): SplitMetrics {
    return splitMetrics(this.task, this.lossTotal / this.rows, this.sumTotals, this.rows, this.targetScale);
  }
}

/** Collects per-batch device scalars and reads them back in bulk. */
class EpochAccumulator {
  private losses: Scalar[] = [];
  private sums: Tensor[] = [];
  private counts: number[] = [];
  private readonly totals: EpochTotals;

  constructor(
    private readonly tf: Tf,
    task: ModelTask,
    targetScale: number,
  ) {
    this.totals = new EpochTotals(task, targetScale);
  }

  add(loss: Scalar, sums: Tensor, count: number): void {
    this.losses.push(loss);
    this.sums.push(sums);
    this.counts.push(count);
    if (this.losses.length >= PENDING_BATCHES) this.flush();
  }

  finish(): SplitMetrics {
    this.flush();
    return this.totals.finish();
  }

  dispose(): void {
    this.tf.dispose([...this.losses, ...this.sums]);
    this.losses = [];
    this.sums = [];
  }

  private flush(): void {
    if (this.losses.length === 0) return;
    const { tf } = this;
    const [losses, sums] = tf.tidy(() => [tf.stack(this.losses), tf.stack(this.sums)]);
    const lossValues = losses.dataSync();
    const sumValues = sums.dataSync();
    const width = sums.shape[1] ?? 1;
    tf.dispose([losses, sums]);
    this.counts.forEach((count, i) => this.totals.add(lossValues[i], sumValues.subarray(i * width, (i + 1) * width), count));
    this.dispose();
    this.counts = [];
  }
}

function splitMetrics(task: ModelTask, loss: number, sums: number[], rows: number, targetScale: number): SplitMetrics {
  if (task === 'REGRESSION') {
    return { loss, mae: (sums[0] / rows) * targetScale, rmse: Math.sqrt(sums[1] / rows) * targetScale };
  }
  return { loss, accuracy: sums[0] / rows };
}

/** Loss and metrics of `model` on a split, without dropout or class weights. */
function evaluate(tf: Tf, model: LayersModel, task: ModelTask, loss: LossName, data: { x: Tensor2D; y: Tensor2D }, targetScale: number): SplitMetrics {
  const rows = data.x.shape[0];
  let lossTotal = 0;
  const sumTotals = [0, 0];
  for (let start = 0; start < rows; start += EVAL_CHUNK_ROWS) {
    const count = Math.min(EVAL_CHUNK_ROWS, rows - start);
    const values = tf.tidy(() => {
      const x = count === rows ? data.x : tf.slice(data.x, [start, 0], [count, -1]);
      const y = count === rows ? data.y : tf.slice(data.y, [start, 0], [count, -1]);
      const output = model.apply(x, { training: false }) as Tensor;
      return tf.concat([tf.sum(perRowLoss(tf, loss, y, output)).reshape([1]), metricSums(tf, task, y, output)]);
    });
    const read = values.dataSync();
    values.dispose();
    lossTotal += read[0];
    for (let k = 1; k < read.length; k++) sumTotals[k - 1] += read[k];
  }
  return splitMetrics(task, lossTotal / rows, sumTotals, rows, targetScale);
}

/** Early stopping in the manner of Keras' callback: patience counts epochs without an improvement. */
class EarlyStopper {
  bestEpoch?: number;
  bestValue?: number;
  private wait = 0;
  private bestWeights?: Tensor[];
  private readonly maximize: boolean;
  private readonly minDelta: number;

  constructor(private readonly config: EarlyStopping) {
    this.maximize = monitorMaximizes(config.monitor);
    this.minDelta = config.minDelta ?? 0;
  }

  /** Records an epoch; returns true when training should stop. */
  update(metrics: EpochMetrics, model: LayersModel): boolean {
    const value = monitoredValue(metrics, this.config.monitor);
    const improved = this.bestValue === undefined || (this.maximize ? value - this.minDelta > this.bestValue : value + this.minDelta < this.bestValue);
    if (improved) {
      this.bestValue = value;
      this.bestEpoch = metrics.epoch;
      this.wait = 0;
      if (this.config.restoreBestWeights ?? true) {
        this.disposeBest();
        this.bestWeights = model.getWeights().map((weight) => weight.clone());
      }
      return false;
    }
    this.wait++;
    return this.wait >= Math.max(1, this.config.patience);
  }

  describe(epoch: number): string {
    return `${this.config.monitor} did not improve by more than ${this.minDelta} for ${this.wait} epochs after epoch ${String(this.bestEpoch)} (best ${String(this.bestValue)}); stopped after epoch ${epoch}`;
  }

  /** Puts back the best weights when the last epoch run was not the best. */
  restoreIfBetter(model: LayersModel, lastEpoch: number): boolean {
    if (!this.bestWeights || this.bestEpoch === lastEpoch) return false;
    model.setWeights(this.bestWeights);
    return true;
  }

  dispose(): void {
    this.disposeBest();
  }

  private disposeBest(): void {
    this.bestWeights?.forEach((weight) => weight.dispose());
    this.bestWeights = undefined;
  }
}

function monitoredValue(metrics: EpochMetrics, monitor: Monitor): number {
  const validation = monitor.startsWith('val_');
  const split = validation ? metrics.validation : metrics.train;
  const key = (validation ? monitor.slice(4) : monitor) as keyof SplitMetrics;
  const value = split?.[key];
  return value ?? NaN;
}

function toTensors(tf: Tf, data: { x: Matrix; y: Matrix }): { x: Tensor2D; y: Tensor2D } {
  return {
    x: tf.tensor2d(data.x.data, [data.x.rows, data.x.cols]),
    y: tf.tensor2d(data.y.data, [data.y.rows, data.y.cols]),
  };
}

/** Copies rows `order[start .. start+count)` of `m` into a new buffer. */
function gatherRows(m: Matrix, order: Int32Array, start: number, count: number): Float32Array {
  const { cols, data } = m;
  const out = new Float32Array(count * cols);
  for (let i = 0; i < count; i++) {
    const from = order[start + i] * cols;
    if (cols === 1) out[i] = data[from];
    else out.set(data.subarray(from, from + cols), i * cols);
  }
  return out;
}

function gatherValues(values: Float32Array, order: Int32Array, start: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = values[order[start + i]];
  return out;
}

/** Loss weight per training row, from its class (0/1 target, or the one-hot position). */
function weightsPerRow(task: ModelTask, y: Matrix, classWeights: readonly number[]): Float32Array {
  const weights = new Float32Array(y.rows);
  for (let r = 0; r < y.rows; r++) {
    let classIndex = 0;
    if (task === 'BINARY_CLASSIFICATION') classIndex = y.data[r] > 0.5 ? 1 : 0;
    else if (task === 'MULTICLASS_CLASSIFICATION') {
      for (let c = 1; c < y.cols; c++) if (y.data[r * y.cols + c] > y.data[r * y.cols + classIndex]) classIndex = c;
    }
    weights[r] = classWeights[classIndex] ?? 1;
  }
  return weights;
}
