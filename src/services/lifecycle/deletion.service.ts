import type { DeletedCount, DeletionReport } from '../../domain/lifecycle/deletion';
import { InUseError, InvalidStateError, NotFoundError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { versionName } from '../../domain/models/model-version';
import { deleteDeploymentAlerts, deleteRunAlerts } from '../alerts/alert-repository';
import { removeDeploymentGrants } from '../auth/api-key-repository';
import { deleteDeploymentEvents, deleteDeploymentRow, lockDeploymentForDeletion } from '../deployments/deployment-repository';
import { deleteDatasetRow, deleteVersionsOfDataset, lockDatasetRow } from '../datasets/dataset-repository';
import { deleteModelRow } from '../models/model-repository';
import {
  deleteAliasesOfModel,
  deleteAliasHistoryOfModel,
  deleteEvaluationsOfModel,
  deleteEvaluationsOfRuns,
  deleteEvaluationsOfVersion,
  deleteVersionRow,
  lockVersionRowForDeletion,
  deleteVersionsOfModel,
  deleteVersionsOfRuns,
} from '../model-versions/model-version-repository';
import { deleteDeploymentDriftReports } from '../monitoring/drift-report-repository';
import { deleteDeploymentPredictions } from '../predictions/prediction-repository';
import { deleteRuns, lockRun, RunRepository, runIdsOfModel, trialIdsOf } from '../runs/run-repository';
import { lockModel, lockVersion } from './locks';
import { usagesOfDataset, usagesOfModel, usagesOfStudy, usagesOfVersion } from './usages';

/** A deletion runs in one transaction: a deployment with millions of predictions needs time (at most this). */
const DELETE_TRANSACTION = { maxWait: 10_000, timeout: 120_000 };

/**
 * Deleting datasets, models, model versions, studies and deployments (ADMIN only, see the
 * resolvers). Each deletion is one transaction: it deletes the entity and what belongs to it
 * (cascade), reports every kind it removed with a count, and refuses with IN_USE, naming each user,
 * when something that does not belong to it uses it. Audit events are never deleted.
 *
 * | deleting     | refused while                                                        | also deletes |
 * | dataset      | models are defined on it; other models' versions were evaluated on it | its versions (CSV, columns, reference sample) |
 * | model        | it has deployments (archived ones too); a run or study is queued or running | versions (artifacts, evaluations), aliases and their history, runs, studies and trials (epochs, RUN_FAILED alerts) |
 * | version      | an alias points at it; a deployment serves it, runs it as canary, keeps it as rollback target, or holds its predictions | its artifact and evaluations (its run stays) |
 * | study        | queued or running; a version promoted from its trials exists       | its trial runs (epochs, alerts) and their trial versions (artifacts, evaluations) |
 * | deployment   | it is not archived (archive it first: it stops serving)             | events, predictions with their actuals, drift reports, alert rules, alerts and deliveries; its id in PREDICTOR keys |
 */
export class DeletionService {
  private readonly runs: RunRepository;

  constructor(private readonly prisma: PrismaClient) {
    this.runs = new RunRepository(prisma);
  }

  async deleteDataset(id: string): Promise<DeletionReport> {
    const deleted = await this.prisma.$transaction(async (tx) => {
      const dataset = await lockDatasetRow(tx, id);
      if (!dataset) throw new NotFoundError('dataset', id, { field: 'id' });
      const usages = await usagesOfDataset(tx, id);
      if (usages.length > 0) throw new InUseError(`cannot delete dataset "${dataset.name}" (delete what uses it first)`, usages, { field: 'id' });
      const versions = await deleteVersionsOfDataset(tx, id);
      await deleteDatasetRow(tx, id);
      return deletionReport(id, [
        ['DATASET', 1],
        ['DATASET_VERSION', versions],
      ]);
    }, DELETE_TRANSACTION);
    logger.info({ datasetId: id, deleted: deleted.deleted }, 'dataset deleted');
    return deleted;
  }

  async deleteModel(id: string): Promise<DeletionReport> {
    const deleted = await this.prisma.$transaction(async (tx) => {
      const model = await lockModel(tx, id);
      const usages = await usagesOfModel(tx, id, { servingOnly: false });
      if (usages.length > 0)
        throw new InUseError(`cannot delete model "${model.name}" (delete its deployments and cancel its runs first)`, usages, { field: 'id' });
      const runIds = await runIdsOfModel(tx, id);
      const alerts = await deleteRunAlerts(tx, runIds);
      const evaluations = await deleteEvaluationsOfModel(tx, id);
      const aliasEvents = await deleteAliasHistoryOfModel(tx, id);
      const aliases = await deleteAliasesOfModel(tx, id);
      const versions = await deleteVersionsOfModel(tx, id);
      const runs = await deleteRuns(tx, runIds);
      await deleteModelRow(tx, id);
      return deletionReport(id, [
        ['MODEL', 1],
        ['MODEL_VERSION', versions],
        ['EVALUATION', evaluations],
        ['MODEL_ALIAS', aliases],
        ['MODEL_ALIAS_EVENT', aliasEvents],
        ['RUN', runs],
        ['ALERT', alerts],
      ]);
    }, DELETE_TRANSACTION);
    logger.info({ modelId: id, deleted: deleted.deleted }, 'model deleted');
    return deleted;
  }

  async deleteModelVersion(id: string): Promise<DeletionReport> {
    const deleted = await this.prisma.$transaction(async (tx) => {
      const { model, version } = await lockVersion(tx, id);
      await lockVersionRowForDeletion(tx, id);
      const usages = await usagesOfVersion(tx, version, { predictions: true });
      if (usages.length > 0) {
        throw new InUseError(`cannot delete ${versionName(version, model.name)} (move its aliases and deployments to another version first)`, usages, {
          field: 'id',
        });
      }
      const evaluations = await deleteEvaluationsOfVersion(tx, id);
      await deleteVersionRow(tx, id);
      return deletionReport(id, [
        ['MODEL_VERSION', 1],
        ['EVALUATION', evaluations],
      ]);
    }, DELETE_TRANSACTION);
    logger.info({ modelVersionId: id, deleted: deleted.deleted }, 'model version deleted');
    return deleted;
  }

  async deleteStudy(id: string): Promise<DeletionReport> {
    const found = await this.runs.findRun(id);
    if (!found || found.kind !== 'OPTIMIZATION') throw new NotFoundError('Study', id, { field: 'id' });
    const deleted = await this.prisma.$transaction(async (tx) => {
      await lockModel(tx, found.modelId);
      const study = await lockRun(tx, id);
      if (!study) throw new NotFoundError('Study', id, { field: 'id' });
      if (study.status === 'QUEUED' || study.status === 'RUNNING')
        throw new InvalidStateError(`study ${id} is ${study.status}: cancel it first (cancelStudy)`, { field: 'id' });
      const usages = await usagesOfStudy(tx, id);
      if (usages.length > 0) throw new InUseError(`cannot delete study ${id}`, usages, { field: 'id' });
      const trialIds = await trialIdsOf(tx, id);
      const evaluations = await deleteEvaluationsOfRuns(tx, trialIds);
      const versions = await deleteVersionsOfRuns(tx, trialIds);
      const alerts = await deleteRunAlerts(tx, [id, ...trialIds]);
      const runs = await deleteRuns(tx, [id]);
      return deletionReport(id, [
        ['RUN', runs],
        ['MODEL_VERSION', versions],
        ['EVALUATION', evaluations],
        ['ALERT', alerts],
      ]);
    }, DELETE_TRANSACTION);
    logger.info({ studyId: id, deleted: deleted.deleted }, 'study deleted');
    return deleted;
  }

  /** Deletes an archived deployment with everything it recorded; its id leaves the PREDICTOR keys that named it. */
  async deleteDeployment(name: string): Promise<DeletionReport> {
    const deleted = await this.prisma.$transaction(async (tx) => {
      const deployment = await lockDeploymentForDeletion(tx, name);
      if (!deployment) throw new NotFoundError('deployment', name, { field: 'deployment' });
      if (!deployment.archivedAt) {
        throw new InvalidStateError(`deployment "${name}" serves predictions: archive it first (archiveDeployment), then delete it`, { field: 'deployment' });
      }
      const id = deployment.id;
      const predictions = await deleteDeploymentPredictions(tx, id);
      const driftReports = await deleteDeploymentDriftReports(tx, id);
      const { alerts, rules } = await deleteDeploymentAlerts(tx, id);
      const events = await deleteDeploymentEvents(tx, id);
      const grants = await removeDeploymentGrants(tx, id);
      await deleteDeploymentRow(tx, id);
      return deletionReport(id, [
        ['DEPLOYMENT', 1],
        ['DEPLOYMENT_EVENT', events],
        ['PREDICTION', predictions],
        ['DRIFT_REPORT', driftReports],
        ['ALERT_RULE', rules],
        ['ALERT', alerts],
        ['API_KEY_GRANT', grants],
      ]);
    }, DELETE_TRANSACTION);
    logger.info({ deployment: name, deleted: deleted.deleted }, 'deployment deleted');
    return deleted;
  }
}

function deletionReport(id: string, counts: [DeletedCount['kind'], number][]): DeletionReport {
  return { id, deleted: counts.map(([kind, count]) => ({ kind, count })) };
}
