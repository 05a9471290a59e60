/**
 * How big a dense network is and how much memory training it takes, so that a model that cannot
 * fit is refused when it is defined (and again when a run is started, with the run's batch size),
 * with the numbers in the error, instead of taking a worker down.
 */
import type { DatasetVersion } from '../datasets/dataset';
import { ValidationError } from '../errors';

/** Bytes of one float32 value. */
const FLOAT_BYTES = 4;
/**
 * Copies of the parameters training keeps: the weights, their gradients and the two Adam slots
 * (the optimizer with the most state; SGD and the others keep less).
 */
const PARAMETER_COPIES = 4;
/** Per row of a batch and per unit: the activation, its gradient, and a pre-activation or dropout mask. */
const ACTIVATION_COPIES = 3;
/** The preprocessed features (float64 matrix) plus one float32 copy on the device. */
const DATASET_BYTES_PER_VALUE = 8 + FLOAT_BYTES;
/** Fixed cost of a worker with tfjs loaded (libtensorflow, code, pools). */
export const WORKER_BASE_BYTES = 400 * 1024 * 1024;

/**
 * Most floating-point operations one training step may take (forward and backward pass: about 6
 * per parameter per row). Cancellation and the memory watch are checked between steps, so a step
 * must end well within the 2 s promised for `cancelRun`: 20 GFLOP take about 0.5-1 s on one core
 * of a current server CPU with the native backend.
 */
export const MAX_STEP_FLOP = 20e9;

/** @default 20,000,000 parameters (about 320 MB of training state at 16 bytes each). */
export const DEFAULT_MAX_MODEL_PARAMETERS = 20_000_000;

/** The layer widths of a dense network. */
export interface NetworkShape {
  inputWidth: number;
  hiddenUnits: readonly number[];
  outputUnits: number;
}

/** Weights plus biases of every dense layer. */
export function countParameters(shape: NetworkShape): number {
  let parameters = 0;
  let previous = shape.inputWidth;
  for (const units of [...shape.hiddenUnits, shape.outputUnits]) {
    parameters += previous * units + units;
    previous = units;
  }
  return parameters;
}

/**
 * The network's shape on a dataset version: one input per numeric feature and one per category of
 * a categorical feature (every category in the version: an upper bound of those in a training split),
 * one output, or one per class for multiclass.
 */
export function shapeOn(version: Pick<DatasetVersion, 'columns' | 'labelClasses'>, hiddenUnits: readonly number[], multiclass: boolean): NetworkShape {
  let inputWidth = 0;
  for (const column of version.columns) {
    if (column.role === 'LABEL') continue;
    inputWidth += column.type === 'NUMERIC' ? 1 : Math.max(1, column.profile.distinct);
  }
  return { inputWidth, hiddenUnits, outputUnits: multiclass ? Math.max(2, version.labelClasses?.length ?? 2) : 1 };
}

/** Estimated peak bytes of a worker training `shape` on `datasetRows` rows, `batchRows` per step. */
export function trainingMemoryBytes(shape: NetworkShape, batchRows: number, datasetRows: number): number {
  const units = shape.hiddenUnits.reduce((sum, n) => sum + n, 0) + shape.outputUnits;
  return (
    WORKER_BASE_BYTES +
    countParameters(shape) * PARAMETER_COPIES * FLOAT_BYTES +
    batchRows * (units * ACTIVATION_COPIES + shape.inputWidth * 2) * FLOAT_BYTES +
    datasetRows * shape.inputWidth * DATASET_BYTES_PER_VALUE
  );
}

/** What a worker can take. */
export interface ModelBudget {
  maxParameters: number;
  /** Memory a worker may use (`MLPLANE_WORKER_MEMORY_LIMIT_MB`). */
  memoryBytes: number;
}

const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024)).toLocaleString('en-US')} MB`;

/**
 * @throws ValidationError (on `field`) when the network has more parameters than the cap, when one
 *   step of `rows.batch` rows is over {@link MAX_STEP_FLOP} (on `rows.batchField`), or when its
 *   estimated training memory is over the worker's budget; the message gives the numbers.
 */
export function checkModelFits(shape: NetworkShape, rows: { batch: number; dataset: number; batchField?: string }, budget: ModelBudget, field: string): void {
  const parameters = countParameters(shape);
  if (parameters > budget.maxParameters) {
    throw new ValidationError(
      `the model has ${parameters.toLocaleString('en-US')} parameters (input width ${shape.inputWidth}, layers ${[...shape.hiddenUnits, shape.outputUnits].join('-')}), over the limit of ${budget.maxParameters.toLocaleString('en-US')} (MLPLANE_MAX_MODEL_PARAMETERS)`,
      { field },
    );
  }
  const stepFlop = 6 * parameters * rows.batch;
  if (stepFlop > MAX_STEP_FLOP) {
    const largest = Math.max(1, Math.floor(MAX_STEP_FLOP / (6 * parameters)));
    throw new ValidationError(
      `one training step of ${rows.batch.toLocaleString('en-US')} rows on ${parameters.toLocaleString('en-US')} parameters is about ${(stepFlop / 1e9).toFixed(1)} GFLOP, over the limit of ${MAX_STEP_FLOP / 1e9} GFLOP that keeps a cancel within 2 s; use a batchSize of at most ${largest.toLocaleString('en-US')}`,
      { field: rows.batchField ?? field },
    );
  }
  const bytes = trainingMemoryBytes(shape, rows.batch, rows.dataset);
  if (bytes > budget.memoryBytes) {
    throw new ValidationError(
      `training this model on ${rows.dataset.toLocaleString('en-US')} rows, ${rows.batch.toLocaleString('en-US')} per step, needs about ${mb(bytes)} (${parameters.toLocaleString('en-US')} parameters), over the worker memory limit of ${mb(budget.memoryBytes)} (MLPLANE_WORKER_MEMORY_LIMIT_MB); use fewer units or a smaller batchSize`,
      { field },
    );
  }
}
