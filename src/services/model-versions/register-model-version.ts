import type { ModelVersion, Prisma } from '../../generated/prisma/client';
import type { DatasetVersion } from '../../domain/datasets/dataset';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import type { ColumnImportance } from '../../ml/training/feature-importance';
import type { TrainedModel } from '../../ml/training/training-pipeline';

export interface ModelVersionRegistration {
  modelId: string;
  /** The run that trained it (none for versions registered outside a run). */
  runId?: string;
  datasetVersion: Pick<DatasetVersion, 'id' | 'contentHash'>;
  trained: Pick<TrainedModel, 'artifact' | 'preprocessing' | 'environment'>;
  hyperparameters: TrainingRunHyperparameters;
  featureImportance?: ColumnImportance[] | null;
}

/**
 * Stores a trained model as the model's next version (artifact, preprocessing, lineage), numbering
 * under a lock on the model row so concurrent registrations never share a number.
 */
export async function registerModelVersion(tx: Prisma.TransactionClient, registration: ModelVersionRegistration): Promise<ModelVersion> {
  const { modelId, trained } = registration;
  await tx.$queryRaw`SELECT id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
  const last = await tx.modelVersion.aggregate({ where: { modelId }, _max: { version: true } });
  return tx.modelVersion.create({
    data: {
      modelId,
      version: (last._max.version ?? 0) + 1,
      runId: registration.runId,
      datasetVersionId: registration.datasetVersion.id,
      datasetContentHash: registration.datasetVersion.contentHash,
      artifactSha256: trained.artifact.sha256,
      artifactBytes: trained.artifact.bytes.length,
      preprocessing: trained.preprocessing as unknown as Prisma.InputJsonValue,
      hyperparameters: registration.hyperparameters as unknown as Prisma.InputJsonValue,
      environment: trained.environment as unknown as Prisma.InputJsonValue,
      featureImportance: (registration.featureImportance ?? undefined) as unknown as Prisma.InputJsonValue | undefined,
      artifact: { create: { bytes: new Uint8Array(trained.artifact.bytes) } },
    },
  });
}
