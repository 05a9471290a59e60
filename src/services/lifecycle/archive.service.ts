import type { Dataset } from '../../domain/datasets/dataset';
import { InUseError, InvalidStateError, NotFoundError } from '../../domain/errors';
import type { Model } from '../../domain/models/model';
import type { Run } from '../../domain/runs/run';
import { versionName, type ModelVersion } from '../../domain/models/model-version';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { lockDatasetRow, setDatasetArchivedAt } from '../datasets/dataset-repository';
import type { DatasetService } from '../datasets/dataset.service';
import { setModelArchivedAt } from '../models/model-repository';
import type { ModelService } from '../models/model.service';
import { lockRun, setStudyArchivedAt } from '../runs/run-repository';
import { setVersionArchivedAt } from '../model-versions/model-version-repository';
import { lockModel, lockVersion } from './locks';
import { usagesOfModel, usagesOfVersion } from './usages';

/**
 * Archiving and restoring datasets, models, model versions and studies (deployments: see the
 * deployment service, where archiving is a deployment event). An archived thing keeps everything it
 * holds and can still be read by id or name, but it leaves the default lists (`includeArchived: true`
 * shows it) and takes no new work: no new versions or models on an archived dataset, no runs,
 * studies or deployments of an archived model, no alias or deployment of an archived version.
 * Archiving is refused while it would contradict what uses the thing (a serving deployment of the
 * model; an alias or deployment of the version; a study still running).
 */
export class ArchiveService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly datasets: DatasetService,
    private readonly models: ModelService,
  ) {}

  async archiveDataset(id: string): Promise<Dataset> {
    return this.setDatasetArchived(id, true);
  }

  async restoreDataset(id: string): Promise<Dataset> {
    return this.setDatasetArchived(id, false);
  }

  /** @throws InUseError while a deployment that is not archived serves a version of the model. */
  async archiveModel(id: string): Promise<Model> {
    return this.setModelArchived(id, true);
  }

  async restoreModel(id: string): Promise<Model> {
    return this.setModelArchived(id, false);
  }

  /** @throws InUseError while an alias points at the version, or a deployment serves it, runs it as canary or keeps it as rollback target. */
  async archiveModelVersion(id: string): Promise<ModelVersion> {
    return this.setVersionArchived(id, true);
  }

  async restoreModelVersion(id: string): Promise<ModelVersion> {
    return this.setVersionArchived(id, false);
  }

  /** Archives a study with its trial runs. @throws InvalidStateError while it is queued or running. */
  async archiveStudy(id: string): Promise<Run> {
    return this.setStudyArchived(id, true);
  }

  async restoreStudy(id: string): Promise<Run> {
    return this.setStudyArchived(id, false);
  }

  private async setDatasetArchived(id: string, archived: boolean): Promise<Dataset> {
    await this.prisma.$transaction(async (tx) => {
      const dataset = await lockDatasetRow(tx, id);
      if (!dataset) throw new NotFoundError('dataset', id, { field: 'id' });
      checkTransition(`dataset "${dataset.name}"`, dataset.archivedAt, archived);
      await setDatasetArchivedAt(tx, id, archived ? new Date() : null);
    });
    logger.info({ datasetId: id, archived }, archived ? 'dataset archived' : 'dataset restored');
    return this.datasets.requireDataset(id, 'id');
  }

  private async setModelArchived(id: string, archived: boolean): Promise<Model> {
    await this.prisma.$transaction(async (tx) => {
      const model = await lockModel(tx, id);
      checkTransition(`model "${model.name}"`, model.archivedAt, archived);
      if (archived) {
        const usages = await usagesOfModel(tx, id, { servingOnly: true });
        if (usages.length > 0) throw new InUseError(`cannot archive model "${model.name}" (archive or delete its deployments first)`, usages, { field: 'id' });
      }
      await setModelArchivedAt(tx, id, archived ? new Date() : null);
    });
    logger.info({ modelId: id, archived }, archived ? 'model archived' : 'model restored');
    return this.models.requireModel(id, 'id');
  }

  private async setVersionArchived(id: string, archived: boolean): Promise<ModelVersion> {
    const version = await this.prisma.$transaction(async (tx) => {
      const { model, version: current } = await lockVersion(tx, id);
      const name = versionName(current, model.name);
      checkTransition(name, current.archivedAt, archived);
      if (archived) {
        const usages = await usagesOfVersion(tx, current, { predictions: false });
        if (usages.length > 0)
          throw new InUseError(`cannot archive ${name} (move its aliases and deployments to another version first)`, usages, { field: 'id' });
      }
      return setVersionArchivedAt(tx, id, archived ? new Date() : null);
    });
    logger.info({ modelVersionId: id, archived }, archived ? 'model version archived' : 'model version restored');
    return version;
  }

  private async setStudyArchived(id: string, archived: boolean): Promise<Run> {
    const study = await this.prisma.$transaction(async (tx) => {
      const row = await lockRun(tx, id);
      if (!row || row.kind !== 'OPTIMIZATION') throw new NotFoundError('Study', id, { field: 'id' });
      checkTransition(`study ${id}`, row.archivedAt, archived);
      if (archived && (row.status === 'QUEUED' || row.status === 'RUNNING')) {
        throw new InvalidStateError(`study ${id} is ${row.status}: cancel it first (cancelStudy)`, { field: 'id' });
      }
      const archivedAt = archived ? new Date() : null;
      return setStudyArchivedAt(tx, id, archivedAt);
    });
    logger.info({ studyId: id, archived }, archived ? 'study archived' : 'study restored');
    return study;
  }
}

/** @throws InvalidStateError when the thing already is in the asked state. */
function checkTransition(what: string, archivedAt: Date | null, archive: boolean): void {
  if (archive && archivedAt) throw new InvalidStateError(`${what} is already archived`, { field: 'id' });
  if (!archive && !archivedAt) throw new InvalidStateError(`${what} is not archived`, { field: 'id' });
}
