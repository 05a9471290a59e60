import type { Prisma } from '../../src/generated/prisma/client';
import type { PrismaClient } from '../../src/infra/db/prisma-client';
import { parseTrainingHyperparameters } from '../../src/domain/runs/training-hyperparameters';
import type { Architecture } from '../../src/ml/model-builder';
import { runTrainingPipeline } from '../../src/ml/training/training-pipeline';
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
 * worker runs, a few epochs each) and registered as training-job.ts does, without a run or a queue.
 */
export async function trainVersions(
  prisma: PrismaClient,
  services: DomainServices,
  options: { name: string; csv: string; labelColumn: string; seeds: number[]; epochs?: number },
): Promise<TrainedVersions> {
  const { version: datasetVersion } = await services.datasets.createDataset({ name: options.name, csv: options.csv, labelColumn: options.labelColumn });
  const model = await services.models.createModel({ name: `${options.name}-model`, datasetId: datasetVersion.datasetId, layers: [{ units: 8, activation: 'relu' }] });
  const table = await services.datasets.loadTable(datasetVersion.id);
  const versionIds: string[] = [];
  for (const [i, seed] of options.seeds.entries()) {
    const hyperparameters = parseTrainingHyperparameters(
      { epochs: options.epochs ?? 5, batchSize: 32, seed, backend: 'CPU' },
      { task: model.task, labelClasses: datasetVersion.labelClasses },
    );
    const trained = await runTrainingPipeline({
      table,
      labelColumn: options.labelColumn,
      labelClasses: datasetVersion.labelClasses,
      task: model.task,
      architecture: model.architecture as Architecture,
      hyperparameters,
    });
    trained.model.dispose();
    const version = await prisma.modelVersion.create({
      data: {
        modelId: model.id,
        version: i + 1,
        datasetVersionId: datasetVersion.id,
        datasetContentHash: datasetVersion.contentHash,
        artifactSha256: trained.artifact.sha256,
        artifactBytes: trained.artifact.bytes.length,
        preprocessing: trained.preprocessing as unknown as Prisma.InputJsonValue,
        hyperparameters: hyperparameters as unknown as Prisma.InputJsonValue,
        environment: trained.environment as unknown as Prisma.InputJsonValue,
        artifact: { create: { bytes: new Uint8Array(trained.artifact.bytes) } },
      },
    });
    versionIds.push(version.id);
  }
  return { datasetId: datasetVersion.datasetId, datasetVersionId: datasetVersion.id, modelId: model.id, modelName: model.name, versionIds };
}
