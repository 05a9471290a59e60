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

/** Keras' layout: `<runDir>/train` and `<runDir>/validation`, so TensorBoard overlays the two. */
export function createTensorboardWriter(tfNode: TfNode, runDir: string): EpochSummaryWriter {
  const train = tfNode.node.summaryFileWriter(path.join(runDir, 'train'));
  const validation = tfNode.node.summaryFileWriter(path.join(runDir, 'validation'));
  return {
    write(metrics) {
      writeSplit(train, metrics.train, metrics.epoch);
      if (metrics.validation) writeSplit(validation, metrics.validation, metrics.epoch);
      train.flush();
      validation.flush();
    },
    close() {
      train.flush();
      validation.flush();
    },
  };
}
