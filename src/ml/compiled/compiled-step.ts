/**
 * Prepares a compiled training step for a model, or says why it cannot: the graph addon is not
 * loaded, a layer or activation is not built by the compiled step, or libtensorflow refused the
 * graph. The step starts from the model's current weights.
 */
import type { LossName, OptimizerName } from '../hyperparameters';
import type { LayersModel, ModelTask, Tf } from '../tf-types';
import { compileTraining, describeModel, type CompiledTraining } from './compiled-training';
import { graphAddon } from './graph-addon';

export interface PrepareCompiledOptions {
  tf: Tf;
  model: LayersModel;
  task: ModelTask;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate?: number;
  rowWeights: boolean;
}

export type CompiledPlan = { training: CompiledTraining } | { reason: string };

/** Compiled threads: TensorFlow's defaults (a pool per core), as Keras runs. */
const THREADS = { intraOpThreads: 0, interOpThreads: 0 };

export function prepareCompiledTraining(options: PrepareCompiledOptions): CompiledPlan {
  const addon = graphAddon();
  if (!addon.available) return { reason: addon.reason };
  const description = describeModel(options.model);
  if ('reason' in description) return { reason: description.reason };
  let training: CompiledTraining;
  try {
    training = compileTraining({
      addon: addon.addon,
      layers: description.layers,
      task: options.task,
      loss: options.loss,
      optimizer: options.optimizer,
      learningRate: options.learningRate,
      rowWeights: options.rowWeights,
      ...THREADS,
    });
  } catch (error) {
    return { reason: `libtensorflow refused the training graph: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    training.writeWeights(options.model.getWeights().map((weight) => weight.dataSync() as Float32Array));
  } catch (error) {
    training.dispose();
    throw error;
  }
  return { training };
}
