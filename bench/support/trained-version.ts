import type { BenchServices } from './bench-services';
import { startWorkerProcess, stopWorkerProcess, waitForRunEnd } from './worker-process';

export interface TrainedVersion {
  datasetId: string;
  datasetVersionId: string;
  modelId: string;
  modelName: string;
  versionId: string;
}

/**
 * A model version trained as a client trains one: the dataset and a model with one hidden layer
 * of `hiddenUnits` units (default 8) created through the services, a training run queued with `hyperparameters` and taken
 * by a `mlplane worker` process started for it.
 */
export async function trainModelVersion(
  bench: BenchServices,
  databaseUrl: string,
  input: { name: string; csv: string; labelColumn: string; hyperparameters: Record<string, unknown>; hiddenUnits?: number },
): Promise<TrainedVersion> {
  const { services, prisma } = bench;
  const { version } = await services.datasets.createDataset({ name: input.name, csv: input.csv, labelColumn: input.labelColumn });
  const model = await services.models.createModel({
    name: `${input.name}-model`,
    datasetId: version.datasetId,
    layers: [{ units: input.hiddenUnits ?? 8, activation: 'relu' }],
  });
  const worker = await startWorkerProcess(databaseUrl);
  try {
    const run = await services.training.startTrainingRun({ modelId: model.id, datasetVersionId: version.id, hyperparameters: input.hyperparameters }, 'bench');
    const { status } = await waitForRunEnd(prisma, run.id);
    if (status !== 'SUCCEEDED') throw new Error(`training run ${run.id} of ${input.name} ended ${status}`);
    const trained = await prisma.modelVersion.findUniqueOrThrow({ where: { runId: run.id } });
    return { datasetId: version.datasetId, datasetVersionId: version.id, modelId: model.id, modelName: model.name, versionId: trained.id };
  } finally {
    await stopWorkerProcess(worker);
  }
}
