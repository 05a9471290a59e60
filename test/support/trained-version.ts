import type { PrismaClient } from '../../src/infra/db/prisma-client';
import { parseTrainingHyperparameters } from '../../src/domain/runs/training-hyperparameters';
import { runTrainingPipeline } from '../../src/ml/training/training-pipeline';
import { registerModelVersion } from '../../src/services/model-versions/register-model-version';
import type { DomainServices } from '../../src/services/services';

export interface TrainedVersions {
  datasetId: string;
  datasetVersionId: string;
  modelId: string;
  modelName: string;
  /** Version ids in the order trained (version 1, 2, ...). */
  versionIds: string[];
}

/**
 * A model on a CSV dataset with `seeds.length` versions trained in this process (the pipeline a
 * worker runs, a few epochs each) and registered as training-job.ts does, without a run or a queue
 * (of `kinds[i]`, STANDARD by default).
 */
export async function trainVersions(
  prisma: PrismaClient,
  services: DomainServices,
  options: { name: string; csv: string; labelColumn: string; seeds: number[]; epochs?: number; kinds?: ('STANDARD' | 'TRIAL')[]; hiddenUnits?: number },
): Promise<TrainedVersions> {
  const { version: datasetVersion } = await services.datasets.createDataset({ name: options.name, csv: options.csv, labelColumn: options.labelColumn });
  const model = await services.models.createModel({
    name: `${options.name}-model`,
    datasetId: datasetVersion.datasetId,
    layers: [{ units: options.hiddenUnits ?? 8, activation: 'relu' }],
  });
  const table = await services.datasets.loadTable(datasetVersion.id);
  const versionIds: string[] = [];
  for (const [index, seed] of options.seeds.entries()) {
    const hyperparameters = parseTrainingHyperparameters(
      { epochs: options.epochs ?? 5, batchSize: 32, seed, backend: 'CPU' },
      { task: model.task, labelClasses: datasetVersion.labelClasses },
    );
    const trained = await runTrainingPipeline({
      table,
      labelColumn: options.labelColumn,
      labelClasses: datasetVersion.labelClasses,
      task: model.task,
      architecture: model.architecture,
      hyperparameters,
    });
    trained.model.dispose();
    const version = await prisma.$transaction((tx) =>
      registerModelVersion(tx, { modelId: model.id, kind: options.kinds?.[index], datasetVersion, trained, hyperparameters }),
    );
    versionIds.push(version.id);
  }
  return { datasetId: datasetVersion.datasetId, datasetVersionId: datasetVersion.id, modelId: model.id, modelName: model.name, versionIds };
}
