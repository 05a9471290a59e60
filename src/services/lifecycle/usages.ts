import type { Prisma } from '../../generated/prisma/client';
import type { Usage } from '../../domain/lifecycle/usage';
import { deploymentsOfModel, deploymentsUsingVersion } from '../deployments/deployment-repository';
import { deploymentsHoldingPredictionsOf } from '../predictions/prediction-repository';
import { activeRunsOfModel } from '../runs/run-repository';
import { versionName } from '../../domain/models/model-version';
import { modelsOnDataset } from '../models/model-repository';
import { aliasesPointingAt, evaluationsOnDatasetByOtherModels, versionsPromotedFromStudy } from '../model-versions/model-version-repository';

type Tx = Prisma.TransactionClient;

/**
 * What uses a model version: aliases pointing at it, deployments serving it, running it as their
 * canary or keeping it as their rollback target, and (with `predictions`) deployments holding
 * predictions it made.
 */
export async function usagesOfVersion(tx: Tx, version: { id: string; modelId: string }, options: { predictions: boolean }): Promise<Usage[]> {
  const versionId = version.id;
  const usages: Usage[] = [];
  for (const alias of await aliasesPointingAt(tx, versionId)) usages.push({ kind: 'ALIAS', id: null, name: alias, how: 'points at it' });
  for (const deployment of await deploymentsUsingVersion(tx, versionId)) {
    const how =
      deployment.modelVersionId === versionId
        ? 'serves it'
        : deployment.canaryModelVersionId === versionId
          ? 'runs it as its canary'
          : 'keeps it as its rollback target';
    usages.push({ kind: 'DEPLOYMENT', id: deployment.id, name: deployment.name, how });
  }
  if (options.predictions) {
    // Only deployments of the version's model can hold its predictions (a deployment keeps one model).
    const candidates = await deploymentsOfModel(tx, version.modelId, { servingOnly: false });
    const holders = await deploymentsHoldingPredictionsOf(
      tx,
      versionId,
      candidates.map((deployment) => deployment.id),
    );
    for (const holder of candidates.filter((deployment) => holders.has(deployment.id)))
      usages.push({ kind: 'PREDICTIONS', id: holder.id, name: holder.name, how: 'holds predictions it made' });
  }
  return usages;
}

/** Deployments of a model (only the serving ones when `servingOnly`), and its runs and studies still queued or running. */
export async function usagesOfModel(tx: Tx, modelId: string, options: { servingOnly: boolean }): Promise<Usage[]> {
  const deployments = await deploymentsOfModel(tx, modelId, options);
  const usages: Usage[] = deployments.map((d) => ({
    kind: 'DEPLOYMENT',
    id: d.id,
    name: d.name,
    how: d.archivedAt ? 'is an archived deployment of it' : 'serves it',
  }));
  if (!options.servingOnly) {
    const active = await activeRunsOfModel(tx, modelId);
    for (const run of active) usages.push({ kind: 'RUN', id: run.id, name: null, how: `(${run.kind}) is ${run.status}: cancel it first` });
  }
  return usages;
}

/** Models defined on a dataset, and evaluations of other models' versions on its versions. */
export async function usagesOfDataset(tx: Tx, datasetId: string): Promise<Usage[]> {
  const models = await modelsOnDataset(tx, datasetId);
  const usages: Usage[] = models.map((m) => ({ kind: 'MODEL', id: m.id, name: m.name, how: 'is defined on it' }));
  for (const evaluation of await evaluationsOnDatasetByOtherModels(tx, datasetId)) {
    usages.push({
      kind: 'EVALUATION',
      id: evaluation.id,
      name: null,
      how: `evaluates ${versionName(evaluation.version, evaluation.modelName)} on its version ${evaluation.datasetVersion}`,
    });
  }
  return usages;
}

/** Standard versions promoted from a study's trials: they belong to the model now, and keep the trial run as lineage. */
export async function usagesOfStudy(tx: Tx, studyId: string): Promise<Usage[]> {
  const promoted = await versionsPromotedFromStudy(tx, studyId);
  return promoted.map(({ version, modelName }) => ({
    kind: 'MODEL_VERSION',
    id: version.id,
    name: versionName(version, modelName),
    how: 'was promoted from one of its trials (delete it first)',
  }));
}
