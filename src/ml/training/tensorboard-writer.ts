import path from 'node:path';
import type { EpochMetrics, SplitMetrics } from '../trainer';
import type { TfNode } from '../tf-backend';

/** Writes a run's epoch metrics as TensorBoard event files (`epoch_loss`, `epoch_accuracy`, ... under train/ and validation/). */
export interface EpochSummaryWriter {
  write(metrics: EpochMetrics): void;
  close(): void;
}

type SummaryWriter = ReturnType<TfNode['node']['summaryFileWriter']>;

function writeSplit(writer: SummaryWriter, split: SplitMetrics, step: number): void {
  for (const [name, value] of Object.entries(split)) {
    if (typeof value === 'number' && Number.isFinite(value)) writer.scalar(`epoch_${name}`, value, step);
  }
}

/**
 * Runs `fn` with the native backend active. The summary writer's ops run in libtensorflow and take
 * their string and scalar inputs from the active backend, so a run training on `cpu` switches to
 * `tensorflow` for the write and back. Switching to an already registered backend is synchronous,
 * and `fn` has no await: nothing else runs on the engine in between.
 */
function onNativeBackend<T>(tfNode: TfNode, fn: () => T): T {
  const previous = tfNode.getBackend();
  if (previous === 'tensorflow') return fn();
  void tfNode.setBackend('tensorflow');
  if (tfNode.getBackend() !== 'tensorflow')
    throw new Error(`cannot switch to the tensorflow backend to write TensorBoard files (active: ${tfNode.getBackend()})`);
  try {
    return fn();
  } finally {
    void tfNode.setBackend(previous);
  }
}

/**
 * Keras' layout: `<runDir>/train` and `<runDir>/validation`, so TensorBoard overlays the two. Written
 * by libtensorflow's summary writer whichever backend the run trains on (see {@link onNativeBackend}).
 */
export function createTensorboardWriter(tfNode: TfNode, runDir: string): EpochSummaryWriter {
  const [train, validation] = onNativeBackend(tfNode, () => [
    tfNode.node.summaryFileWriter(path.join(runDir, 'train')),
    tfNode.node.summaryFileWriter(path.join(runDir, 'validation')),
  ]);
  return {
    write(metrics) {
      onNativeBackend(tfNode, () => {
        writeSplit(train, metrics.train, metrics.epoch);
        if (metrics.validation) writeSplit(validation, metrics.validation, metrics.epoch);
        train.flush();
        validation.flush();
      });
    },
    close() {
      onNativeBackend(tfNode, () => {
        train.flush();
        validation.flush();
      });
    },
  };
}
