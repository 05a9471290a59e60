import type { ModelVersion, ModelVersionKind, Prisma } from '../../generated/prisma/client';
import type { DatasetVersion } from '../../domain/datasets/dataset';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import type { ColumnImportance } from '../../ml/training/feature-importance';
import type { TrainedModel } from '../../ml/training/training-pipeline';
import { toJsonColumn } from '../../infra/db/json-columns';

export interface ModelVersionRegistration {
  modelId: string;
  /** TRIAL for what a study's trial trained (kept apart until promoted). @default STANDARD */
  kind?: ModelVersionKind;
  /** The run that trained it (none for versions registered outside a run). */
  runId?: string;
  datasetVersion: Pick<DatasetVersion, 'id' | 'contentHash'>;
  trained: Pick<TrainedModel, 'artifact' | 'preprocessing' | 'environment'>;
  hyperparameters: TrainingRunHyperparameters;
  featureImportance?: ColumnImportance[] | null;
}

/** The model's next version number of `kind`; the caller holds the model row's lock. */
async function nextVersionNumber(tx: Prisma.TransactionClient, modelId: string, kind: ModelVersionKind): Promise<number> {
  const last = await tx.modelVersion.aggregate({ where: { modelId, kind }, _max: { version: true } });
  return (last._max.version ?? 0) + 1;
}

/**
 * Stores a trained model as the model's next version of its kind (artifact, preprocessing,
 * lineage), numbering under a lock on the model row so concurrent registrations never share a number.
 */
export async function registerModelVersion(tx: Prisma.TransactionClient, registration: ModelVersionRegistration): Promise<ModelVersion> {
  const { modelId, trained } = registration;
  const kind = registration.kind ?? 'STANDARD';
  await tx.$queryRaw`SELECT id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
  return tx.modelVersion.create({
    data: {
      modelId,
      kind,
      version: await nextVersionNumber(tx, modelId, kind),
      runId: registration.runId,
      datasetVersionId: registration.datasetVersion.id,
      datasetContentHash: registration.datasetVersion.contentHash,
      artifactSha256: trained.artifact.sha256,
      artifactBytes: trained.artifact.bytes.length,
      preprocessing: toJsonColumn(trained.preprocessing),
      hyperparameters: toJsonColumn(registration.hyperparameters),
      environment: toJsonColumn(trained.environment),
      featureImportance: registration.featureImportance == null ? undefined : toJsonColumn(registration.featureImportance),
      artifact: { create: { bytes: new Uint8Array(trained.artifact.bytes) } },
    },
  });
}

/**
 * Registers a TRIAL version as the model's next STANDARD version (same id, artifact and lineage; it
 * takes the next standard number), under the model row's lock. A version that is already STANDARD
 * is returned as it is; null when the version does not exist (any more).
 */
export async function promoteTrialVersion(tx: Prisma.TransactionClient, versionId: string): Promise<{ version: ModelVersion; promoted: boolean } | null> {
  const found = await tx.modelVersion.findUnique({ where: { id: versionId }, select: { modelId: true } });
  if (!found) return null;
  await tx.$queryRaw`SELECT id FROM models WHERE id = ${found.modelId}::uuid FOR UPDATE`;
  const version = await tx.modelVersion.findUnique({ where: { id: versionId } });
  if (!version) return null;
  if (version.kind === 'STANDARD') return { version, promoted: false };
  const promoted = await tx.modelVersion.update({
    where: { id: versionId },
    data: { kind: 'STANDARD', version: await nextVersionNumber(tx, version.modelId, 'STANDARD') },
  });
  return { version: promoted, promoted: true };
}
