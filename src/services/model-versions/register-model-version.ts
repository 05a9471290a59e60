import type { DatasetVersion } from '../../domain/datasets/dataset';
import type { ModelVersion, ModelVersionKind } from '../../domain/models/model-version';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import type { ColumnImportance } from '../../ml/training/feature-importance';
import type { TrainedModel } from '../../ml/training/training-pipeline';
import { lockModelRow } from '../models/model-repository';
import { findVersion, insertVersion, lastVersionNumber, modelIdOfVersion, renumberVersion, type Db } from './model-version-repository';

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
async function nextVersionNumber(tx: Db, modelId: string, kind: ModelVersionKind): Promise<number> {
  return (await lastVersionNumber(tx, modelId, kind)) + 1;
}

/**
 * Stores a trained model as the model's next version of its kind (artifact, preprocessing,
 * lineage), numbering under a lock on the model row so concurrent registrations never share a number.
 */
export async function registerModelVersion(tx: Db, registration: ModelVersionRegistration): Promise<ModelVersion> {
  const { modelId, trained } = registration;
  const kind = registration.kind ?? 'STANDARD';
  await lockModelRow(tx, modelId);
  return insertVersion(tx, {
    modelId,
    kind,
    version: await nextVersionNumber(tx, modelId, kind),
    runId: registration.runId ?? null,
    datasetVersionId: registration.datasetVersion.id,
    datasetContentHash: registration.datasetVersion.contentHash,
    artifactSha256: trained.artifact.sha256,
    artifactBytes: trained.artifact.bytes.length,
    preprocessing: trained.preprocessing,
    hyperparameters: registration.hyperparameters,
    environment: trained.environment,
    featureImportance: registration.featureImportance ?? null,
    artifact: trained.artifact.bytes,
  });
}

/**
 * Registers a TRIAL version as the model's next STANDARD version (same id, artifact and lineage; it
 * takes the next standard number), under the model row's lock. A version that is already STANDARD
 * is returned as it is; null when the version does not exist (any more).
 */
export async function promoteTrialVersion(tx: Db, versionId: string): Promise<{ version: ModelVersion; promoted: boolean } | null> {
  const modelId = await modelIdOfVersion(tx, versionId);
  if (!modelId) return null;
  await lockModelRow(tx, modelId);
  const version = await findVersion(tx, versionId);
  if (!version) return null;
  if (version.kind === 'STANDARD') return { version, promoted: false };
  const promoted = await renumberVersion(tx, versionId, 'STANDARD', await nextVersionNumber(tx, version.modelId, 'STANDARD'));
  return { version: promoted, promoted: true };
}
