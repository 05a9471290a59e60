import { Prisma, type Evaluation, type ModelAlias, type ModelAliasEvent, type ModelVersion, type ModelVersionKind } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import { InUseError, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import type { Usage } from '../../domain/lifecycle/usage';
import { checkAliasName } from '../../domain/models/model-alias';
import { loadModelArtifact } from '../../ml/artifact';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import { tf as loadTf } from '../../ml/tf-backend';
import type { LayersModel } from '../../ml/tf-types';
import { evaluateModel } from '../../ml/training/evaluate-model';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { DatasetService } from '../datasets/dataset.service';
import { keysetPagesByParent, newestFirst, oldestFirst } from '../keyset-pagination';
import { promoteTrialVersion } from './register-model-version';
import { preprocessingSpecOf, toJsonColumn } from '../../infra/db/json-columns';

export type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, ModelVersionKind } from '../../generated/prisma/client';

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
export function requireUsableVersion(version: ModelVersion, field: string): ModelVersion {
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

/** Trained model versions: lookup, sha256-checked loading, aliases with history, evaluations. */
export class ModelVersionService {
  /** Told of alias moves (the deployment service; set once the services are wired). */
  aliasFollowers: AliasFollowers | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly datasets: DatasetService,
  ) {}

  /** The version, or null (also for an id that is not a UUID). */
  async findVersion(id: string): Promise<ModelVersion | null> {
    if (!isUuid(id)) return null;
    return this.prisma.modelVersion.findUnique({ where: { id } });
  }

  async requireVersion(id: string, field = 'modelVersionId'): Promise<ModelVersion> {
    const version = await this.findVersion(id);
    if (!version) throw new NotFoundError('model version', id, { field });
    return version;
  }

  async findVersionsByIds(ids: readonly string[]): Promise<ModelVersion[]> {
    return this.prisma.modelVersion.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  }

  /** A model's standard version by its number (1, 2, ...), or null. */
  async findVersionByNumber(modelId: string, version: number): Promise<ModelVersion | null> {
    if (!isUuid(modelId)) return null;
    return this.prisma.modelVersion.findUnique({ where: { modelId_kind_version: { modelId, kind: 'STANDARD', version } } });
  }

  /**
   * The same page of each model's versions, by model id: by default its standard, unarchived ones.
   * One kind is listed by number, highest first; several kinds (numbered apart) newest first.
   */
  async pageVersions(modelIds: readonly string[], request: PageRequest, options: VersionListOptions = {}): Promise<Map<string, Page<ModelVersion>>> {
    const kinds = options.kinds?.length ? [...new Set(options.kinds)] : (['STANDARD'] as ModelVersionKind[]);
    const filter = Prisma.sql`kind = ANY(${kinds}::"ModelVersionKind"[])${options.includeArchived ? Prisma.empty : Prisma.sql` AND archived_at IS NULL`}`;
    const rowsByIds = (ids: string[]) => this.prisma.modelVersion.findMany({ where: { id: { in: ids } } });
    const list = { table: 'model_versions', parentColumn: 'model_id', filter, rowsByIds };
    if (kinds.length === 1) {
      return keysetPagesByParent<ModelVersion, 'version'>(
        this.prisma,
        { ...list, order: { keys: [{ column: 'version', kind: 'int' }], direction: 'desc' }, columns: { version: 'version' } },
        modelIds,
        request,
      );
    }
    return keysetPagesByParent<ModelVersion, 'createdAt' | 'id'>(
      this.prisma,
      { ...list, order: newestFirst<ModelVersion>(), columns: { createdAt: 'created_at', id: 'id' } },
      modelIds,
      request,
    );
  }

  /** The same page of each version's evaluations (oldest first), by version id. */
  async pageEvaluations(modelVersionIds: readonly string[], request: PageRequest): Promise<Map<string, Page<Evaluation>>> {
    return keysetPagesByParent<Evaluation, 'createdAt' | 'id'>(
      this.prisma,
      {
        order: oldestFirst<Evaluation>(),
        table: 'evaluations',
        parentColumn: 'model_version_id',
        columns: { createdAt: 'created_at', id: 'id' },
        rowsByIds: (ids) => this.prisma.evaluation.findMany({ where: { id: { in: ids } } }),
      },
      modelVersionIds,
      request,
    );
  }

  /** The same page of the moves of each model's aliases (or of one alias), newest first, by model id. */
  async pageAliasHistory(modelIds: readonly string[], alias: string | null, request: PageRequest): Promise<Map<string, Page<ModelAliasEvent>>> {
    return keysetPagesByParent<ModelAliasEvent, 'movedAt' | 'id'>(
      this.prisma,
      {
        order: {
          keys: [
            { column: 'movedAt', kind: 'date' },
            { column: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
        },
        table: 'model_alias_events',
        parentColumn: 'model_id',
        columns: { movedAt: 'moved_at', id: 'id' },
        filter: alias ? Prisma.sql`alias = ${alias}` : undefined,
        rowsByIds: (ids) => this.prisma.modelAliasEvent.findMany({ where: { id: { in: ids } } }),
      },
      modelIds,
      request,
    );
  }

  async findEvaluation(id: string): Promise<Evaluation | null> {
    return isUuid(id) ? this.prisma.evaluation.findUnique({ where: { id } }) : null;
  }

  /** One move of an alias, or null. */
  async findAliasEvent(id: string): Promise<ModelAliasEvent | null> {
    return isUuid(id) ? this.prisma.modelAliasEvent.findUnique({ where: { id } }) : null;
  }

  /** The version each run registered (for DataLoaders). */
  async versionsOfRuns(runIds: readonly string[]): Promise<Map<string, ModelVersion>> {
    const rows = await this.prisma.modelVersion.findMany({ where: { runId: { in: [...runIds] } } });
    return new Map(rows.flatMap((row) => (row.runId === null ? [] : [[row.runId, row] as const])));
  }

  /**
   * The same page of where each model's aliases point (`parent: 'model'`, by model id) or of the
   * aliases pointing at each version (`parent: 'version'`, by version id), by alias name.
   */
  async pageAliases(parentIds: readonly string[], parent: 'model' | 'version', request: PageRequest): Promise<Map<string, Page<ModelAlias>>> {
    return keysetPagesByParent<ModelAlias, 'alias'>(
      this.prisma,
      {
        order: { keys: [{ column: 'alias', kind: 'text' }], direction: 'asc' },
        table: 'model_aliases',
        parentColumn: parent === 'model' ? 'model_id' : 'model_version_id',
        columns: { alias: 'alias' },
        // Alias names match ALIAS_PATTERN: no '/'.
        rowKey: { sql: `model_id::text || '/' || alias`, of: (row) => `${row.modelId}/${row.alias}` },
        rowsByIds: (keys) =>
          this.prisma.modelAlias.findMany({
            where: {
              OR: keys.map((key) => {
                const [modelId, alias] = key.split('/');
                return { modelId, alias };
              }),
            },
          }),
      },
      parentIds,
      request,
    );
  }

  /** The version an alias of a model points to, or null. */
  async resolveAlias(modelId: string, alias: string): Promise<ModelVersion | null> {
    const row = await this.prisma.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } }, include: { modelVersion: true } });
    return row?.modelVersion ?? null;
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
    const result = await this.prisma.$transaction(async (tx) => {
      await lockModel(tx, found.modelId);
      // Read again under the lock: the version may have been archived, deleted or promoted meanwhile.
      const version = await tx.modelVersion.findUnique({ where: { id: found.id } });
      if (!version) throw new NotFoundError('model version', found.id, { field: 'input.modelVersionId' });
      requireUsableVersion(version, 'input.modelVersionId');
      const previous = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId: version.modelId, alias: input.alias } } });
      const alias = await tx.modelAlias.upsert({
        where: { modelId_alias: { modelId: version.modelId, alias: input.alias } },
        create: { modelId: version.modelId, alias: input.alias, modelVersionId: version.id },
        update: { modelVersionId: version.id, updatedAt: new Date() },
      });
      const event = await tx.modelAliasEvent.create({
        data: {
          modelId: version.modelId,
          alias: input.alias,
          fromModelVersionId: previous?.modelVersionId ?? null,
          toModelVersionId: version.id,
          movedBy: principal,
        },
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
    const event = await this.prisma.$transaction(async (tx) => {
      await lockModel(tx, modelId);
      const current = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } } });
      if (!current) throw new NotFoundError('alias', alias, { field: 'input.alias' });
      const followers = (await this.aliasFollowers?.followersOf(tx, modelId, alias)) ?? [];
      if (followers.length > 0) {
        throw new InUseError(`cannot delete alias "${alias}": pin the deployments to a version first (updateDeployment with modelVersionId)`, followers, {
          field: 'input.alias',
        });
      }
      await tx.modelAlias.delete({ where: { modelId_alias: { modelId, alias } } });
      return tx.modelAliasEvent.create({ data: { modelId, alias, fromModelVersionId: current.modelVersionId, toModelVersionId: null, movedBy: principal } });
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
    const promotion = await this.prisma.$transaction((tx) => promoteTrialVersion(tx, id));
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
    const artifact = await this.prisma.modelArtifact.findUnique({ where: { modelVersionId: versionId } });
    if (!artifact) throw new InvalidStateError(`model version ${versionId} has no stored artifact`);
    const model = await loadModelArtifact(loadTf(), artifact.bytes, version.artifactSha256);
    return { version, model, preprocessing: preprocessingSpecOf(version.preprocessing) };
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
      return await this.prisma.evaluation.create({
        data: {
          modelVersionId: loaded.version.id,
          datasetVersionId: datasetVersion.id,
          split: 'ALL',
          rowCount: result.rowCount,
          task: spec.task,
          metrics: toJsonColumn(result.metrics),
        },
      });
    } finally {
      loaded.model.dispose();
    }
  }
}

/** Takes the model row's lock: alias moves, version numbering and the lifecycle of its versions serialize on it. */
async function lockModel(tx: Tx, modelId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
}
