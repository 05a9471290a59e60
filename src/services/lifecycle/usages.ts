import type { Prisma } from '../../generated/prisma/client';
import type { Usage } from '../../domain/lifecycle/usage';
import { deploymentsOfModel, deploymentsUsingVersion } from '../deployments/deployment-repository';
import { deploymentsWithPredictionsOf } from '../predictions/prediction-repository';
import { activeRunsOfModel } from '../runs/run-repository';

type Tx = Prisma.TransactionClient;

/** `version 3 of model "seed"` (a trial version: `trial version 3 of model "seed"`). */
export function versionName(version: { version: number; kind: string }, modelName: string): string {
  return `${version.kind === 'TRIAL' ? 'trial version' : 'version'} ${version.version} of model "${modelName}"`;
}

/**
 * What uses a model version: aliases pointing at it, deployments serving it, running it as their
 * canary or keeping it as their rollback target, and (with `predictions`) deployments holding
 * predictions it made.
 */
export async function usagesOfVersion(tx: Tx, versionId: string, options: { predictions: boolean }): Promise<Usage[]> {
  const usages: Usage[] = [];
  const aliases = await tx.modelAlias.findMany({ where: { modelVersionId: versionId }, orderBy: { alias: 'asc' } });
  for (const alias of aliases) usages.push({ kind: 'ALIAS', id: null, name: alias.alias, how: 'points at it' });
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
    for (const holder of await deploymentsWithPredictionsOf(tx, versionId))
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
  const models = await tx.model.findMany({ where: { datasetId }, orderBy: { name: 'asc' } });
  const usages: Usage[] = models.map((m) => ({ kind: 'MODEL', id: m.id, name: m.name, how: 'is defined on it' }));
  const evaluations = await tx.evaluation.findMany({
    where: { datasetVersion: { datasetId }, modelVersion: { model: { datasetId: { not: datasetId } } } },
    include: { modelVersion: { include: { model: { select: { name: true } } } }, datasetVersion: { select: { version: true } } },
    orderBy: { createdAt: 'asc' },
  });
  for (const evaluation of evaluations) {
    usages.push({
      kind: 'EVALUATION',
      id: evaluation.id,
      name: null,
      how: `evaluates ${versionName(evaluation.modelVersion, evaluation.modelVersion.model.name)} on its version ${evaluation.datasetVersion.version}`,
    });
  }
  return usages;
}

/** Standard versions promoted from a study's trials: they belong to the model now, and keep the trial run as lineage. */
export async function usagesOfStudy(tx: Tx, studyId: string): Promise<Usage[]> {
  const promoted = await tx.modelVersion.findMany({
    where: { kind: 'STANDARD', run: { parentRunId: studyId } },
    include: { model: { select: { name: true } } },
    orderBy: { version: 'asc' },
  });
  return promoted.map((v) => ({
    kind: 'MODEL_VERSION',
    id: v.id,
    name: versionName(v, v.model.name),
    how: 'was promoted from one of its trials (delete it first)',
  }));
}
