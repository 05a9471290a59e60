import type { Prisma } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { InUseError, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import type { Usage } from '../../domain/lifecycle/usage';
import { checkAliasName } from '../../domain/models/model-alias';
import type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, ModelVersionKind } from '../../domain/models/model-version';
import { loadModelArtifact } from '../../ml/artifact';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import { tf as loadTf } from '../../ml/tf-backend';
import type { LayersModel } from '../../ml/tf-types';
import { evaluateModel } from '../../ml/training/evaluate-model';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { DatasetService } from '../datasets/dataset.service';
import { lockModelRow } from '../models/model-repository';
import { deleteAlias, findAlias, findVersion, insertAliasEvent, pointAlias, ModelVersionRepository } from './model-version-repository';
import { promoteTrialVersion } from './register-model-version';

export type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, ModelVersionKind } from '../../domain/models/model-version';

type Tx = Prisma.TransactionClient;

/** A move of an alias, as the deployments that follow it see it (in the mover's transaction). */
export interface AliasMove {
  modelId: string;
  alias: string;
  fromVersionId: string | null;
  to: ModelVersion;
  /** The ModelAliasEvent recording the move. */
  aliasEventId: string;
  actor: string;
}

/**
 * What follows aliases (deployments made by alias): told of every move inside the transaction that
 * makes it, so the followers change atomically with the alias; announced after the commit.
 */
export interface AliasFollowers<Change = unknown> {
  /** Who follows the alias now (a deleted alias would leave them without a version). */
  followersOf(tx: Tx, modelId: string, alias: string): Promise<Usage[]>;
  /** Applies the move to every follower; returns what changed. */
  followMove(tx: Tx, move: AliasMove): Promise<Change[]>;
  /** Announces the changes once the transaction committed. */
  announce(changes: readonly Change[]): Promise<void>;
}

/** Which versions a list shows: kinds (default STANDARD only) and whether archived ones are included. */
export interface VersionListOptions {
  kinds?: readonly ModelVersionKind[] | null;
  includeArchived?: boolean | null;
}

/**
 * @throws InvalidStateError when a version may not be aliased or deployed: a TRIAL version (promote
 *   it first) or an archived one (restore it first).
 */
export function requireUsableVersion<V extends Pick<ModelVersion, 'id' | 'kind' | 'archivedAt'>>(version: V, field: string): V {
  if (version.kind === 'TRIAL') {
    throw new InvalidStateError(`model version ${version.id} is a study trial's version: promote it first (promoteModelVersion)`, { field });
  }
  if (version.archivedAt) throw new InvalidStateError(`model version ${version.id} is archived: restore it first (restoreModelVersion)`, { field });
  return version;
}

export interface LoadedModelVersion {
  version: ModelVersion;
  model: LayersModel;
  preprocessing: PreprocessingSpec;
}

/** Trained model versions: lookup, sha256-checked loading, aliases with history, evaluations (stored through {@link ModelVersionRepository}). */
export class ModelVersionService {
  /** Told of alias moves (the deployment service; set once the services are wired). */
  aliasFollowers: AliasFollowers | null = null;

  private readonly repository: ModelVersionRepository;

  constructor(
    prisma: PrismaClient,
    private readonly datasets: DatasetService,
  ) {
    this.repository = new ModelVersionRepository(prisma);
  }

  /** The version, or null (also for an id that is not a UUID). */
  async findVersion(id: string): Promise<ModelVersion | null> {
    return this.repository.findById(id);
  }

  async requireVersion(id: string, field = 'modelVersionId'): Promise<ModelVersion> {
    const version = await this.findVersion(id);
    if (!version) throw new NotFoundError('model version', id, { field });
    return version;
  }

  async findVersionsByIds(ids: readonly string[]): Promise<ModelVersion[]> {
    return this.repository.findByIds(ids);
  }

  /** A model's standard version by its number (1, 2, ...), or null. */
  async findVersionByNumber(modelId: string, version: number): Promise<ModelVersion | null> {
    return this.repository.findByNumber(modelId, 'STANDARD', version);
  }

  /**
   * The same page of each model's versions, by model id: by default its standard, unarchived ones.
   * One kind is listed by number, highest first; several kinds (numbered apart) newest first.
   */
  async pageVersions(modelIds: readonly string[], request: PageRequest, options: VersionListOptions = {}): Promise<Map<string, Page<ModelVersion>>> {
    const kinds: readonly ModelVersionKind[] = options.kinds?.length ? options.kinds : ['STANDARD'];
    return this.repository.pageByModels(modelIds, request, { kinds, includeArchived: options.includeArchived ?? false });
  }

  /** The same page of each version's evaluations (oldest first), by version id. */
  async pageEvaluations(modelVersionIds: readonly string[], request: PageRequest): Promise<Map<string, Page<Evaluation>>> {
    return this.repository.pageEvaluations(modelVersionIds, request);
  }

  /** The same page of the moves of each model's aliases (or of one alias), newest first, by model id. */
  async pageAliasHistory(modelIds: readonly string[], alias: string | null, request: PageRequest): Promise<Map<string, Page<ModelAliasEvent>>> {
    return this.repository.pageAliasHistory(modelIds, alias, request);
  }

  async findEvaluation(id: string): Promise<Evaluation | null> {
    return this.repository.findEvaluation(id);
  }

  /** One move of an alias, or null. */
  async findAliasEvent(id: string): Promise<ModelAliasEvent | null> {
    return this.repository.findAliasEvent(id);
  }

  /** The version each run registered (for DataLoaders). */
  async versionsOfRuns(runIds: readonly string[]): Promise<Map<string, ModelVersion>> {
    return this.repository.findByRuns(runIds);
  }

  /**
   * The same page of where each model's aliases point (`parent: 'model'`, by model id) or of the
   * aliases pointing at each version (`parent: 'version'`, by version id), by alias name.
   */
  async pageAliases(parentIds: readonly string[], parent: 'model' | 'version', request: PageRequest): Promise<Map<string, Page<ModelAlias>>> {
    return this.repository.pageAliases(parentIds, parent, request);
  }

  /** The version an alias of a model points to, or null. */
  async resolveAlias(modelId: string, alias: string): Promise<ModelVersion | null> {
    return this.repository.resolveAlias(modelId, alias);
  }

  /**
   * Points `alias` of the version's model at the version, recording who moved it and from where;
   * the deployments that follow the alias switch (or start a canary) in the same transaction, and
   * their changes are announced after it commits. The version must be a standard, unarchived one.
   */
  async setAlias(input: { modelVersionId: string; alias: string }, principal: string): Promise<{ alias: ModelAlias; event: ModelAliasEvent }> {
    checkAliasName(input.alias, 'input.alias');
    const found = await this.requireVersion(input.modelVersionId, 'input.modelVersionId');
    const followers = this.aliasFollowers;
    const result = await this.repository.transaction(async (tx) => {
      await lockModelRow(tx, found.modelId);
      // Read again under the lock: the version may have been archived, deleted or promoted meanwhile.
      const version = await findVersion(tx, found.id);
      if (!version) throw new NotFoundError('model version', found.id, { field: 'input.modelVersionId' });
      requireUsableVersion(version, 'input.modelVersionId');
      const previous = await findAlias(tx, version.modelId, input.alias);
      const alias = await pointAlias(tx, version.modelId, input.alias, version.id);
      const event = await insertAliasEvent(tx, {
        modelId: version.modelId,
        alias: input.alias,
        fromModelVersionId: previous?.modelVersionId ?? null,
        toModelVersionId: version.id,
        movedBy: principal,
      });
      const changes =
        followers && previous?.modelVersionId !== version.id
          ? await followers.followMove(tx, {
              modelId: version.modelId,
              alias: input.alias,
              fromVersionId: previous?.modelVersionId ?? null,
              to: version,
              aliasEventId: event.id,
              actor: principal,
            })
          : [];
      return { alias, event, changes };
    });
    logger.info(
      { modelId: found.modelId, alias: input.alias, modelVersionId: found.id, principal, deploymentsChanged: result.changes.length },
      'model alias moved',
    );
    if (followers) await followers.announce(result.changes);
    return { alias: result.alias, event: result.event };
  }

  /**
   * Deletes an alias of a model (MLflow's `delete_registered_model_alias`), keeping its history with
   * a last event that points nowhere. Refused while a deployment follows the alias.
   * @throws NotFoundError for an unknown model or alias; InUseError naming the deployments.
   */
  async deleteAlias(input: { modelId: string; alias: string }, principal: string): Promise<ModelAliasEvent> {
    checkAliasName(input.alias, 'input.alias');
    const { modelId, alias } = input;
    const event = await this.repository.transaction(async (tx) => {
      await lockModelRow(tx, modelId);
      const current = await findAlias(tx, modelId, alias);
      if (!current) throw new NotFoundError('alias', alias, { field: 'input.alias' });
      const followers = (await this.aliasFollowers?.followersOf(tx, modelId, alias)) ?? [];
      if (followers.length > 0) {
        throw new InUseError(`cannot delete alias "${alias}": pin the deployments to a version first (updateDeployment with modelVersionId)`, followers, {
          field: 'input.alias',
        });
      }
      await deleteAlias(tx, modelId, alias);
      return insertAliasEvent(tx, { modelId, alias, fromModelVersionId: current.modelVersionId, toModelVersionId: null, movedBy: principal });
    });
    logger.info({ modelId, alias, principal }, 'model alias deleted');
    return event;
  }

  /**
   * Registers a study trial's version as the model's next standard version (it keeps its id,
   * artifact and lineage, and takes the next standard number).
   * @throws NotFoundError; InvalidStateError when it is already a standard version.
   */
  async promoteVersion(id: string): Promise<ModelVersion> {
    const alreadyStandard = (version: ModelVersion) =>
      new InvalidStateError(`model version ${id} is already a standard version (version ${version.version})`, { field: 'id' });
    const found = await this.requireVersion(id, 'id');
    if (found.kind === 'STANDARD') throw alreadyStandard(found);
    const promotion = await this.repository.transaction((tx) => promoteTrialVersion(tx, id));
    if (!promotion) throw new NotFoundError('model version', id, { field: 'id' });
    if (!promotion.promoted) throw alreadyStandard(promotion.version);
    logger.info({ modelVersionId: id, version: promotion.version.version }, 'trial model version promoted');
    return promotion.version;
  }

  /**
   * Loads a version's model, checking the artifact's sha256 first.
   * @throws InvalidStateError when the stored bytes do not match the recorded hash.
   */
  async loadModel(versionId: string): Promise<LoadedModelVersion> {
    const version = await this.requireVersion(versionId);
    const artifact = await this.repository.artifactBytes(versionId);
    if (!artifact) throw new InvalidStateError(`model version ${versionId} has no stored artifact`);
    const model = await loadModelArtifact(loadTf(), artifact, version.artifactSha256);
    return { version, model, preprocessing: version.preprocessing };
  }

  /**
   * Evaluates a version on every row of a dataset version that has the same feature columns and the
   * label column, and stores the result (split ALL).
   */
  async evaluateModelVersion(input: { modelVersionId: string; datasetVersionId: string; threshold?: number | null }): Promise<Evaluation> {
    const threshold = input.threshold ?? 0.5;
    if (!(threshold > 0 && threshold < 1)) throw new ValidationError(`threshold must be in (0, 1), got ${threshold}`, { field: 'input.threshold' });
    const datasetVersion = await this.datasets.requireVersion(input.datasetVersionId, 'input.datasetVersionId');
    const loaded = await this.loadModel(input.modelVersionId);
    try {
      const spec = loaded.preprocessing;
      const labelColumn = spec.label.column;
      const present = new Set(datasetVersion.columns.map((column) => column.name));
      const missing = [...spec.features.map((feature) => feature.name), labelColumn].filter((name) => !present.has(name));
      if (missing.length > 0) {
        throw new ValidationError(`dataset version ${datasetVersion.id} lacks column(s) the model needs: ${missing.join(', ')}`, {
          field: 'input.datasetVersionId',
          column: missing[0],
        });
      }
      const table = await this.datasets.loadTable(datasetVersion.id, [...spec.features.map((feature) => feature.name), labelColumn]);
      const result = evaluateModel(loadTf(), loaded.model, spec, table, undefined, threshold);
      return await this.repository.insertEvaluation({
        modelVersionId: loaded.version.id,
        datasetVersionId: datasetVersion.id,
        split: 'ALL',
        rowCount: result.rowCount,
        task: spec.task,
        metrics: result.metrics,
      });
    } finally {
      loaded.model.dispose();
    }
  }
}
