/**
 * One training run from a dataset table to a registered-ready model version: split, fit the
 * preprocessing on the training rows, pick the backend, train, serialize, evaluate on the held-out
 * test rows and explain. Pure of storage: the caller loads the table and stores the result.
 */
import os from 'node:os';
import type { DataTable } from '../../domain/datasets/data-table';
import { splitRows } from '../../domain/datasets/dataset-split';
import { classWeightVector, toTrainerHyperparameters, type TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import { saveModelArtifact, type ModelArtifact } from '../artifact';
import { chooseBackend, type BackendSelection } from '../backend-selection';
import { buildModel, type Architecture } from '../model-builder';
import { applyPreprocessing, fitPreprocessing, labelsOf, type PreprocessingSpec } from '../preprocessing';
import { backendInfo, tf as loadTf, tfNode } from '../tf-backend';
import type { Matrix, ModelTask, Tf } from '../tf-types';
import { trainModel, type EpochMetrics, type StepEngine, type TrainingSummary } from '../trainer';
import { evaluateModel, type ModelEvaluation } from './evaluate-model';
import { createTensorboardWriter, type EpochSummaryWriter } from './tensorboard-writer';

export interface TrainingPipelineInput {
  table: DataTable;
  labelColumn: string;
  /** The dataset version's label classes (classification), used to stratify the split. */
  labelClasses: string[] | null;
  task: ModelTask;
  architecture: Architecture;
  hyperparameters: TrainingRunHyperparameters;
  onEpochEnd?: (metrics: EpochMetrics) => Promise<void>;
  shouldStop?: () => boolean;
  /** TensorBoard event files are written here (by libtensorflow, whichever backend trains). */
  tensorboardDir?: string;
}

/** Where a run's TensorBoard files went, or why none were written; null when none were asked for. */
export type TensorboardOutcome = { written: true; dir: string } | { written: false; reason: string } | null;

/** Where a run trained: what a reader needs to reproduce it. */
export interface TrainingEnvironment {
  backend: string;
  /** EAGER (a kernel launch at a time) or COMPILED (each step one libtensorflow graph call). */
  stepEngine: StepEngine;
  backendReason: string;
  tfjsVersion: string;
  libtensorflowVersion: string | null;
  nodeVersion: string;
  cpuModel: string;
  cpuCores: number;
  platform: string;
}

export interface TrainedModel {
  summary: TrainingSummary;
  backend: BackendSelection;
  environment: TrainingEnvironment;
  preprocessing: PreprocessingSpec;
  artifact: ModelArtifact;
  /** Null when the run was cancelled or the test split is empty. */
  testEvaluation: ModelEvaluation | null;
  splitSizes: { train: number; validation: number; test: number };
  /** Row indices of the test split (for permutation importance). */
  testRows: Int32Array;
  /** The trained model; the caller disposes it. */
  model: ReturnType<typeof buildModel>;
  tf: Tf;
  tensorboard: TensorboardOutcome;
}

/** Class index per row, to stratify classification splits. */
function strata(table: DataTable, labelColumn: string, labelClasses: string[] | null): Int32Array | undefined {
  const label = table.columns.find((column) => column.name === labelColumn);
  if (!label || !labelClasses) return undefined;
  const index = new Map(labelClasses.map((name, i) => [name, i]));
  const result = new Int32Array(table.rowCount);
  for (let r = 0; r < table.rowCount; r++) {
    const name = label.type === 'NUMERIC' ? String(label.values[r]) : label.categories[label.codes[r]];
    result[r] = index.get(name) ?? 0;
  }
  return result;
}

function firstRows(matrix: Matrix, count: number): Matrix {
  const rows = Math.min(count, matrix.rows);
  return { data: matrix.data.subarray(0, rows * matrix.cols), rows, cols: matrix.cols };
}

function environmentOf(selection: BackendSelection, summary: TrainingSummary): TrainingEnvironment {
  const info = backendInfo();
  const cpus = os.cpus();
  const fallback = summary.compiledFallbackReason;
  return {
    backend: selection.backend,
    stepEngine: summary.stepEngine,
    backendReason: fallback ? `${selection.reason}; trained eagerly because ${fallback}` : selection.reason,
    tfjsVersion: info.tfjsVersion,
    libtensorflowVersion: info.libtensorflowVersion ?? null,
    nodeVersion: process.version,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCores: cpus.length,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Trains one model. @throws ValidationError for inputs that cannot train (e.g. an unknown class weight). */
export async function runTrainingPipeline(input: TrainingPipelineInput): Promise<TrainedModel> {
  const tf = loadTf();
  const { table, labelColumn, task, hyperparameters: hp } = input;
  const split = splitRows({
    rowCount: table.rowCount,
    fractions: hp.split,
    seed: hp.seed,
    strata: strata(table, labelColumn, input.labelClasses),
    fieldPrefix: 'input.hyperparameters.split',
  });
  const featureColumns = table.columns.filter((column) => column.name !== labelColumn).map((column) => column.name);
  const preprocessing = fitPreprocessing(table, split.train, { labelColumn, featureColumns, task });
  const train = applyPreprocessing(preprocessing, table, { rows: split.train });
  const validation = split.validation.length > 0 ? applyPreprocessing(preprocessing, table, { rows: split.validation }) : undefined;
  const classCount = preprocessing.label.kind === 'CLASSES' ? preprocessing.label.classes.length : undefined;
  const build = () => buildModel({ tf, architecture: input.architecture, task, inputWidth: preprocessing.inputWidth, classCount, seed: hp.seed });
  const batchRows = hp.batchSize ?? train.x.rows;
  const classWeights = preprocessing.label.kind === 'CLASSES' ? classWeightVector(hp, preprocessing.label.classes) : undefined;

  const backend = await chooseBackend({
    tf,
    requested: hp.backend,
    task,
    buildModel: build,
    sampleBatch: { x: firstRows(train.x, batchRows), y: firstRows(labelsOf(train).targets, batchRows) },
    optimizer: hp.optimizer,
    learningRate: hp.learningRate,
    rowWeights: classWeights !== undefined,
  });
  const native = tfNode();
  const tensorboard: EpochSummaryWriter | undefined = input.tensorboardDir && native ? createTensorboardWriter(native, input.tensorboardDir) : undefined;
  const tensorboardOutcome: TensorboardOutcome = !input.tensorboardDir
    ? null
    : tensorboard
      ? { written: true, dir: input.tensorboardDir }
      : { written: false, reason: 'the native TensorFlow backend (tfjs-node) is not installed: its summary writer writes the event files' };

  const model = build();
  try {
    const summary = await trainModel({
      tf,
      model,
      task,
      x: train.x,
      y: labelsOf(train).targets,
      validation: validation ? { x: validation.x, y: labelsOf(validation).targets } : undefined,
      hyperparameters: toTrainerHyperparameters(hp),
      seed: hp.seed,
      classWeights,
      targetScale: preprocessing.label.kind === 'TARGET' ? preprocessing.label.scale : 1,
      onEpochEnd: async (metrics) => {
        tensorboard?.write(metrics);
        await input.onEpochEnd?.(metrics);
      },
      shouldStop: input.shouldStop,
      stepEngine: backend.stepEngine,
    });
    const environment = environmentOf(backend, summary);
    const artifact = await saveModelArtifact(tf, model);
    const testEvaluation = !summary.cancelled && split.test.length > 0 ? evaluateModel(tf, model, preprocessing, table, split.test) : null;
    return {
      summary,
      backend,
      environment,
      preprocessing,
      artifact,
      testEvaluation,
      splitSizes: { train: split.train.length, validation: split.validation.length, test: split.test.length },
      testRows: split.test,
      model,
      tf,
      tensorboard: tensorboardOutcome,
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tensorboard?.close();
  }
}
