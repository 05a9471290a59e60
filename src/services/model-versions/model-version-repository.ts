/**
 * The persistence of model versions: the only code that reads or writes the `model_versions`,
 * `model_artifacts`, `model_aliases`, `model_alias_events` and `evaluations` tables (training
 * registers a version and its test evaluation, a study promotes its best trial's version, and the
 * lifecycle services lock, archive and delete versions through the functions below, each in the
 * caller's transaction). It returns the domain types of `src/domain/models/model-version.ts`,
 * mapping rows in one place ({@link toModelVersion}, {@link toModelAlias}, {@link toAliasEvent},
 * {@link toEvaluation}, which decode the JSON columns); no Prisma row leaves it. The rules (who may
 * move an alias, which versions may be aliased, archived or deleted, what follows a move) are the
 * services': a function here is one read or one write.
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given.
 */
import {
  Prisma,
  type Evaluation as EvaluationRow,
  type ModelAlias as ModelAliasRow,
  type ModelAliasEvent as ModelAliasEventRow,
  type ModelVersion as ModelVersionRow,
} from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { Evaluation, EvaluationSplit, ModelAlias, ModelAliasEvent, ModelVersion, ModelVersionKind } from '../../domain/models/model-version';
import {
  evaluationMetricsOf,
  featureImportanceOf,
  preprocessingSpecOf,
  toJsonColumn,
  trainingEnvironmentOf,
  trainingHyperparametersOf,
} from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import { keysetPagesByParent, newestFirst, oldestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A new version with its artifact's bytes; `id` and `createdAt` come from the database, `archivedAt` is null. */
export type NewModelVersion = Omit<ModelVersion, 'id' | 'createdAt' | 'archivedAt' | 'environment'> & {
  environment: NonNullable<ModelVersion['environment']>;
  artifact: Uint8Array;
};

/** A move (or, with no `toModelVersionId`, the deletion) of an alias, to record. */
export type NewAliasEvent = Omit<ModelAliasEvent, 'id' | 'movedAt'>;

/** A new evaluation; `id` and `createdAt` come from the database. */
export type NewEvaluation = Omit<Evaluation, 'id' | 'createdAt'>;

/** Which of a model's versions a list shows. */
export interface VersionListFilter {
  /** At least one kind. */
  kinds: readonly ModelVersionKind[];
  includeArchived: boolean;
}

/** An evaluation that keeps a dataset from being deleted: what it evaluates, named. */
export interface EvaluationOfVersion {
  id: string;
  version: Pick<ModelVersion, 'version' | 'kind'>;
  modelName: string;
  datasetVersion: number;
}

export class ModelVersionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  // Versions.

  /** The version, or null (also for an id that is not a UUID). */
  async findById(id: string): Promise<ModelVersion | null> {
    return findVersion(this.prisma, id);
  }

  /** Versions by id, in no particular order; ids that are not UUIDs match nothing (for DataLoaders). */
  async findByIds(ids: readonly string[]): Promise<ModelVersion[]> {
    return (await this.prisma.modelVersion.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toModelVersion);
  }

  /** A model's version of `kind` numbered `version`, or null. */
  async findByNumber(modelId: string, kind: ModelVersionKind, version: number): Promise<ModelVersion | null> {
    if (!isUuid(modelId)) return null;
    const row = await this.prisma.modelVersion.findUnique({ where: { modelId_kind_version: { modelId, kind, version } } });
    return row && toModelVersion(row);
  }

  /** The version each run registered, by run id (runs that registered none are left out). */
  async findByRuns(runIds: readonly string[]): Promise<Map<string, ModelVersion>> {
    const rows = await this.prisma.modelVersion.findMany({ where: { runId: { in: runIds.filter(isUuid) } } });
    return new Map(rows.flatMap((row) => (row.runId === null ? [] : [[row.runId, toModelVersion(row)] as const])));
  }

  /** The stored artifact (topology and weights) of a version, or null when it has none. */
  async artifactBytes(versionId: string): Promise<Uint8Array | null> {
    if (!isUuid(versionId)) return null;
    return (await this.prisma.modelArtifact.findUnique({ where: { modelVersionId: versionId } }))?.bytes ?? null;
  }

  /**
   * The same page of each model's versions that pass `filter`, by model id: one kind listed by
   * number, highest first; several kinds (numbered apart) newest first.
   */
  async pageByModels(modelIds: readonly string[], request: PageRequest, filter: VersionListFilter): Promise<Map<string, Page<ModelVersion>>> {
    const kinds = [...new Set(filter.kinds)];
    const condition = Prisma.sql`kind = ANY(${kinds}::"ModelVersionKind"[])${filter.includeArchived ? Prisma.empty : Prisma.sql` AND archived_at IS NULL`}`;
    const rowsByIds = async (ids: string[]) => (await this.prisma.modelVersion.findMany({ where: { id: { in: ids } } })).map(toModelVersion);
    const list = { table: 'model_versions', parentColumn: 'model_id', filter: condition, rowsByIds };
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

  // Aliases.

  /** The version an alias of a model points to, or null. */
  async resolveAlias(modelId: string, alias: string): Promise<ModelVersion | null> {
    return aliasTarget(this.prisma, modelId, alias);
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
        rowsByIds: async (keys) =>
          (
            await this.prisma.modelAlias.findMany({
              where: {
                OR: keys.map((key) => {
                  const [modelId, alias] = key.split('/');
                  return { modelId, alias };
                }),
              },
            })
          ).map(toModelAlias),
      },
      parentIds,
      request,
    );
  }

  /** One move of an alias, or null. */
  async findAliasEvent(id: string): Promise<ModelAliasEvent | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.modelAliasEvent.findUnique({ where: { id } });
    return row && toAliasEvent(row);
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
        rowsByIds: async (ids) => (await this.prisma.modelAliasEvent.findMany({ where: { id: { in: ids } } })).map(toAliasEvent),
      },
      modelIds,
      request,
    );
  }

  // Evaluations.

  async insertEvaluation(evaluation: NewEvaluation): Promise<Evaluation> {
    return insertEvaluation(this.prisma, evaluation);
  }

  async findEvaluation(id: string): Promise<Evaluation | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.evaluation.findUnique({ where: { id } });
    return row && toEvaluation(row);
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
        rowsByIds: async (ids) => (await this.prisma.evaluation.findMany({ where: { id: { in: ids } } })).map(toEvaluation),
      },
      modelVersionIds,
      request,
    );
  }
}

// Versions, in the caller's transaction.

/** The version, or null (also for an id that is not a UUID). */
export async function findVersion(db: Db, id: string): Promise<ModelVersion | null> {
  if (!isUuid(id)) return null;
  const row = await db.modelVersion.findUnique({ where: { id } });
  return row && toModelVersion(row);
}

/** The model of a version (read before locking the model's row), or null for an unknown version. */
export async function modelIdOfVersion(db: Db, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  return (await db.modelVersion.findUnique({ where: { id }, select: { modelId: true } }))?.modelId ?? null;
}

/** Each version's number (1, 2, ...), by id; unknown ids are left out. */
export async function versionNumbers(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await db.modelVersion.findMany({ where: { id: { in: ids.filter(isUuid) } }, select: { id: true, version: true } });
  return new Map(rows.map((row) => [row.id, row.version]));
}

/** Each version's preprocessing, by id (what a prediction's output and actual are read with); unknown ids are left out. */
export async function preprocessingOfVersions(db: Db, ids: readonly string[]): Promise<Map<string, PreprocessingSpec>> {
  const rows = await db.modelVersion.findMany({ where: { id: { in: ids.filter(isUuid) } }, select: { id: true, preprocessing: true } });
  return new Map(rows.map((row) => [row.id, preprocessingSpecOf(row.preprocessing)]));
}

/** The id of the version a run registered, or null. */
export async function versionIdOfRun(db: Db, runId: string): Promise<string | null> {
  if (!isUuid(runId)) return null;
  return (await db.modelVersion.findUnique({ where: { runId }, select: { id: true } }))?.id ?? null;
}

/** The highest number among a model's versions of `kind` (0 before the first); the caller holds the model row's lock. */
export async function lastVersionNumber(tx: Db, modelId: string, kind: ModelVersionKind): Promise<number> {
  const last = await tx.modelVersion.aggregate({ where: { modelId, kind }, _max: { version: true } });
  return last._max.version ?? 0;
}

/** Inserts a version with its artifact (one statement: the artifact's row is nested). */
export async function insertVersion(tx: Db, version: NewModelVersion): Promise<ModelVersion> {
  const { preprocessing, hyperparameters, environment, featureImportance, artifact, ...fields } = version;
  return toModelVersion(
    await tx.modelVersion.create({
      data: {
        ...fields,
        preprocessing: toJsonColumn(preprocessing),
        hyperparameters: toJsonColumn(hyperparameters),
        environment: toJsonColumn(environment),
        featureImportance: featureImportance === null ? undefined : toJsonColumn(featureImportance),
        artifact: { create: { bytes: new Uint8Array(artifact) } },
      },
    }),
  );
}

/** Renumbers a version as `kind` number `version` (a promotion of a trial version). */
export async function renumberVersion(tx: Db, id: string, kind: ModelVersionKind, version: number): Promise<ModelVersion> {
  return toModelVersion(await tx.modelVersion.update({ where: { id }, data: { kind, version } }));
}

/** Archives a version (at `archivedAt`) or restores it (null). */
export async function setVersionArchivedAt(tx: Db, id: string, archivedAt: Date | null): Promise<ModelVersion> {
  return toModelVersion(await tx.modelVersion.update({ where: { id }, data: { archivedAt } }));
}

/**
 * Locks one version's row `FOR UPDATE` in `tx`, as a deletion does before it checks what uses the
 * version: a prediction log batch naming it (which holds it `FOR KEY SHARE`) commits first, and
 * a later one waits, then finds it gone.
 */
export async function lockVersionRowForDeletion(tx: Db, id: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM model_versions WHERE id = ${id}::uuid FOR UPDATE`;
}

/** Deletes one version's row (its artifact goes with it); its evaluations must be gone first. */
export async function deleteVersionRow(tx: Db, id: string): Promise<void> {
  await tx.modelVersion.delete({ where: { id } });
}

/** Deletes every version of a model (artifacts go with them); returns how many. */
export async function deleteVersionsOfModel(tx: Db, modelId: string): Promise<number> {
  return (await tx.modelVersion.deleteMany({ where: { modelId } })).count;
}

/** Deletes the versions these runs registered (artifacts go with them); returns how many. */
export async function deleteVersionsOfRuns(tx: Db, runIds: readonly string[]): Promise<number> {
  return (await tx.modelVersion.deleteMany({ where: { runId: { in: [...runIds] } } })).count;
}

/** Standard versions promoted from a study's trials, by number, with their model's name. */
export async function versionsPromotedFromStudy(tx: Db, studyId: string): Promise<{ version: ModelVersion; modelName: string }[]> {
  const rows = await tx.modelVersion.findMany({
    where: { kind: 'STANDARD', run: { parentRunId: studyId } },
    include: { model: { select: { name: true } } },
    orderBy: { version: 'asc' },
  });
  return rows.map(({ model, ...row }) => ({ version: toModelVersion(row), modelName: model.name }));
}

// Aliases, in the caller's transaction.

/** The version an alias of a model points to, or null. */
export async function aliasTarget(db: Db, modelId: string, alias: string): Promise<ModelVersion | null> {
  if (!isUuid(modelId)) return null;
  const row = await db.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } }, include: { modelVersion: true } });
  return row ? toModelVersion(row.modelVersion) : null;
}

export async function findAlias(tx: Db, modelId: string, alias: string): Promise<ModelAlias | null> {
  const row = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } } });
  return row && toModelAlias(row);
}

/** Points a model's alias at a version, creating the alias when it does not exist; `updatedAt` is now. */
export async function pointAlias(tx: Db, modelId: string, alias: string, modelVersionId: string): Promise<ModelAlias> {
  return toModelAlias(
    await tx.modelAlias.upsert({
      where: { modelId_alias: { modelId, alias } },
      create: { modelId, alias, modelVersionId },
      update: { modelVersionId, updatedAt: new Date() },
    }),
  );
}

export async function deleteAlias(tx: Db, modelId: string, alias: string): Promise<void> {
  await tx.modelAlias.delete({ where: { modelId_alias: { modelId, alias } } });
}

/** The names of the aliases pointing at a version, in order. */
export async function aliasesPointingAt(tx: Db, modelVersionId: string): Promise<string[]> {
  const rows = await tx.modelAlias.findMany({ where: { modelVersionId }, orderBy: { alias: 'asc' }, select: { alias: true } });
  return rows.map((row) => row.alias);
}

/** Deletes a model's aliases; returns how many. */
export async function deleteAliasesOfModel(tx: Db, modelId: string): Promise<number> {
  return (await tx.modelAlias.deleteMany({ where: { modelId } })).count;
}

export async function insertAliasEvent(tx: Db, event: NewAliasEvent): Promise<ModelAliasEvent> {
  return toAliasEvent(await tx.modelAliasEvent.create({ data: event }));
}

/** Deletes the history of a model's aliases; returns how many moves. */
export async function deleteAliasHistoryOfModel(tx: Db, modelId: string): Promise<number> {
  return (await tx.modelAliasEvent.deleteMany({ where: { modelId } })).count;
}

// Evaluations, in the caller's transaction.

export async function insertEvaluation(db: Db, evaluation: NewEvaluation): Promise<Evaluation> {
  const { metrics, ...fields } = evaluation;
  return toEvaluation(await db.evaluation.create({ data: { ...fields, metrics: toJsonColumn(metrics) } }));
}

/** A version's evaluations, newest first. */
export async function evaluationsOfVersion(db: Db, modelVersionId: string): Promise<Evaluation[]> {
  if (!isUuid(modelVersionId)) return [];
  return (await db.evaluation.findMany({ where: { modelVersionId }, orderBy: { createdAt: 'desc' } })).map(toEvaluation);
}

/** Deletes a version's evaluations; returns how many. */
export async function deleteEvaluationsOfVersion(tx: Db, modelVersionId: string): Promise<number> {
  return (await tx.evaluation.deleteMany({ where: { modelVersionId } })).count;
}

/** Deletes the evaluations of every version of a model; returns how many. */
export async function deleteEvaluationsOfModel(tx: Db, modelId: string): Promise<number> {
  return (await tx.evaluation.deleteMany({ where: { modelVersion: { modelId } } })).count;
}

/** Deletes the evaluations of the versions these runs registered; returns how many. */
export async function deleteEvaluationsOfRuns(tx: Db, runIds: readonly string[]): Promise<number> {
  return (await tx.evaluation.deleteMany({ where: { modelVersion: { runId: { in: [...runIds] } } } })).count;
}

/** Evaluations, oldest first, of versions of models defined on other datasets, made on this dataset's versions. */
export async function evaluationsOnDatasetByOtherModels(tx: Db, datasetId: string): Promise<EvaluationOfVersion[]> {
  const rows = await tx.evaluation.findMany({
    where: { datasetVersion: { datasetId }, modelVersion: { model: { datasetId: { not: datasetId } } } },
    select: {
      id: true,
      modelVersion: { select: { version: true, kind: true, model: { select: { name: true } } } },
      datasetVersion: { select: { version: true } },
    },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((row) => ({
    id: row.id,
    version: { version: row.modelVersion.version, kind: row.modelVersion.kind },
    modelName: row.modelVersion.model.name,
    datasetVersion: row.datasetVersion.version,
  }));
}

// Rows to domain types.

/** A `model_versions` row as the domain type, its JSON columns decoded. */
export function toModelVersion(row: ModelVersionRow): ModelVersion {
  return {
    id: row.id,
    modelId: row.modelId,
    kind: row.kind,
    version: row.version,
    runId: row.runId,
    datasetVersionId: row.datasetVersionId,
    datasetContentHash: row.datasetContentHash,
    artifactSha256: row.artifactSha256,
    artifactBytes: row.artifactBytes,
    preprocessing: preprocessingSpecOf(row.preprocessing),
    hyperparameters: trainingHyperparametersOf(row.hyperparameters, 'ModelVersion.hyperparameters'),
    environment: trainingEnvironmentOf(row.environment),
    featureImportance: featureImportanceOf(row.featureImportance),
    createdAt: row.createdAt,
    archivedAt: row.archivedAt,
  };
}

function toModelAlias(row: ModelAliasRow): ModelAlias {
  return { modelId: row.modelId, alias: row.alias, modelVersionId: row.modelVersionId, updatedAt: row.updatedAt };
}

function toAliasEvent(row: ModelAliasEventRow): ModelAliasEvent {
  return {
    id: row.id,
    modelId: row.modelId,
    alias: row.alias,
    fromModelVersionId: row.fromModelVersionId,
    toModelVersionId: row.toModelVersionId,
    movedBy: row.movedBy,
    movedAt: row.movedAt,
  };
}

const SPLITS: readonly string[] = ['TEST', 'ALL'] satisfies EvaluationSplit[];

function isEvaluationSplit(split: string): split is EvaluationSplit {
  return SPLITS.includes(split);
}

/** An `evaluations` row as the domain type, its metrics decoded. */
function toEvaluation(row: EvaluationRow): Evaluation {
  if (!isEvaluationSplit(row.split)) throw new Error(`stored Evaluation.split is malformed: ${JSON.stringify(row.split)}, expected TEST or ALL`);
  return {
    id: row.id,
    modelVersionId: row.modelVersionId,
    datasetVersionId: row.datasetVersionId,
    split: row.split,
    rowCount: row.rowCount,
    task: row.task,
    metrics: evaluationMetricsOf(row.metrics),
    createdAt: row.createdAt,
  };
}
