import type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, Prisma } from '../../generated/prisma/client';
import { isUuid } from '../../domain/common/uuid';
import { InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import { loadModelArtifact } from '../../ml/artifact';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import { tf as loadTf } from '../../ml/tf-backend';
import type { LayersModel } from '../../ml/tf-types';
import { evaluateModel } from '../../ml/training/evaluate-model';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { DatasetService } from '../datasets/dataset.service';

export type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion } from '../../generated/prisma/client';

/** Aliases name a version for a purpose: lowercase letters, digits, `-` and `_`, e.g. `production`, `staging`, `champion`. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export interface LoadedModelVersion {
  version: ModelVersion;
  model: LayersModel;
  preprocessing: PreprocessingSpec;
}

/** Trained model versions: lookup, sha256-checked loading, aliases with history, evaluations. */
export class ModelVersionService {
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

  /** A model's version by its number (1, 2, ...), or null. */
  async findVersionByNumber(modelId: string, version: number): Promise<ModelVersion | null> {
    if (!isUuid(modelId)) return null;
    return this.prisma.modelVersion.findUnique({ where: { modelId_version: { modelId, version } } });
  }

  /** Versions of many models, newest first (for DataLoaders). */
  async versionsOfModels(modelIds: readonly string[]): Promise<Map<string, ModelVersion[]>> {
    const rows = await this.prisma.modelVersion.findMany({ where: { modelId: { in: [...modelIds] } }, orderBy: [{ modelId: 'asc' }, { version: 'desc' }] });
    return groupBy(modelIds, rows, (row) => row.modelId);
  }

  /** The version each run registered (for DataLoaders). */
  async versionsOfRuns(runIds: readonly string[]): Promise<Map<string, ModelVersion>> {
    const rows = await this.prisma.modelVersion.findMany({ where: { runId: { in: [...runIds] } } });
    return new Map(rows.flatMap((row) => (row.runId === null ? [] : [[row.runId, row] as const])));
  }

  async evaluationsOfVersions(versionIds: readonly string[]): Promise<Map<string, Evaluation[]>> {
    const rows = await this.prisma.evaluation.findMany({ where: { modelVersionId: { in: [...versionIds] } }, orderBy: [{ createdAt: 'asc' }] });
    return groupBy(versionIds, rows, (row) => row.modelVersionId);
  }

  async aliasesOfModels(modelIds: readonly string[]): Promise<Map<string, ModelAlias[]>> {
    const rows = await this.prisma.modelAlias.findMany({ where: { modelId: { in: [...modelIds] } }, orderBy: [{ alias: 'asc' }] });
    return groupBy(modelIds, rows, (row) => row.modelId);
  }

  /** Every move of a model's aliases (or of one alias), newest first. */
  async aliasHistory(modelId: string, alias?: string | null): Promise<ModelAliasEvent[]> {
    return this.prisma.modelAliasEvent.findMany({ where: { modelId, ...(alias ? { alias } : {}) }, orderBy: [{ movedAt: 'desc' }, { id: 'desc' }] });
  }

  /** {@link aliasHistory} of many models at once (for DataLoaders). */
  async aliasHistoryOfModels(modelIds: readonly string[], alias?: string | null): Promise<Map<string, ModelAliasEvent[]>> {
    const rows = await this.prisma.modelAliasEvent.findMany({
      where: { modelId: { in: [...modelIds] }, ...(alias ? { alias } : {}) },
      orderBy: [{ movedAt: 'desc' }, { id: 'desc' }],
    });
    return groupBy(modelIds, rows, (row) => row.modelId);
  }

  /** The version an alias of a model points to, or null. */
  async resolveAlias(modelId: string, alias: string): Promise<ModelVersion | null> {
    const row = await this.prisma.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } }, include: { modelVersion: true } });
    return row?.modelVersion ?? null;
  }

  /** Points `alias` of the version's model at the version, recording who moved it and from where, in one transaction. */
  async setAlias(input: { modelVersionId: string; alias: string }, principal: string): Promise<{ alias: ModelAlias; event: ModelAliasEvent }> {
    if (!ALIAS_PATTERN.test(input.alias)) {
      throw new ValidationError(`alias "${input.alias.slice(0, 70)}" must be 1-63 lowercase letters, digits, - or _, starting with a letter`, {
        field: 'input.alias',
      });
    }
    const version = await this.requireVersion(input.modelVersionId, 'input.modelVersionId');
    const result = await this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM models WHERE id = ${version.modelId}::uuid FOR UPDATE`;
      const previous = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId: version.modelId, alias: input.alias } } });
      const alias = await tx.modelAlias.upsert({
        where: { modelId_alias: { modelId: version.modelId, alias: input.alias } },
        create: { modelId: version.modelId, alias: input.alias, modelVersionId: version.id },
        update: { modelVersionId: version.id, updatedAt: new Date() },
      });
      const event = await tx.modelAliasEvent.create({
        data: { modelId: version.modelId, alias: input.alias, fromModelVersionId: previous?.modelVersionId ?? null, toModelVersionId: version.id, movedBy: principal },
      });
      return { alias, event };
    });
    logger.info({ modelId: version.modelId, alias: input.alias, modelVersionId: version.id, principal }, 'model alias moved');
    return result;
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
    return { version, model, preprocessing: version.preprocessing as unknown as PreprocessingSpec };
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
          metrics: result.metrics as unknown as Prisma.InputJsonValue,
        },
      });
    } finally {
      loaded.model.dispose();
    }
  }
}

function groupBy<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): Map<K, T[]> {
  const grouped = new Map<K, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) grouped.get(keyOf(row))?.push(row);
  return grouped;
}
