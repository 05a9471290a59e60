import type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, ModelVersionKind } from '../../services/model-versions/model-version.service';
import { defineLoader } from '../context';

export const modelVersionById = defineLoader<string, ModelVersion | null>('modelVersionById', async (ids, ctx) => {
  const found = new Map((await ctx.services.modelVersions.findVersionsByIds(ids)).map((version) => [version.id, version]));
  return ids.map((id) => found.get(id) ?? null);
});

/** The version a run registered, or null. */
export const modelVersionByRun = defineLoader<string, ModelVersion | null>('modelVersionByRun', async (runIds, ctx) => {
  const byRun = await ctx.services.modelVersions.versionsOfRuns(runIds);
  return runIds.map((id) => byRun.get(id) ?? null);
});

export interface VersionsKey {
  modelId: string;
  /** The kinds listed (STANDARD when empty). */
  kinds: readonly ModelVersionKind[];
  includeArchived: boolean;
}

function versionListKey(key: Omit<VersionsKey, 'modelId'>): string {
  return `${[...key.kinds].sort().join(',')}\u0000${key.includeArchived}`;
}

/** A model's versions of the asked kinds, newest first: one query per distinct list asked for. */
export const versionsByModel = defineLoader<VersionsKey, ModelVersion[], string>(
  'versionsByModel',
  async (keys, ctx) => {
    const lists = new Map<string, Map<string, ModelVersion[]>>();
    for (const key of keys) {
      const list = versionListKey(key);
      if (lists.has(list)) continue;
      const modelIds = [...new Set(keys.filter((other) => versionListKey(other) === list).map((other) => other.modelId))];
      lists.set(list, await ctx.services.modelVersions.versionsOfModels(modelIds, key));
    }
    return keys.map((key) => lists.get(versionListKey(key))?.get(key.modelId) ?? []);
  },
  { cacheKeyFn: (key) => `${key.modelId}\u0000${versionListKey(key)}` },
);

/** A version's evaluations, oldest first. */
export const evaluationsByVersion = defineLoader<string, Evaluation[]>('evaluationsByVersion', async (versionIds, ctx) => {
  const byVersion = await ctx.services.modelVersions.evaluationsOfVersions(versionIds);
  return versionIds.map((id) => byVersion.get(id) ?? []);
});

/** A model's aliases, by name. */
export const aliasesByModel = defineLoader<string, ModelAlias[]>('aliasesByModel', async (modelIds, ctx) => {
  const byModel = await ctx.services.modelVersions.aliasesOfModels(modelIds);
  return modelIds.map((id) => byModel.get(id) ?? []);
});

export interface AliasHistoryKey {
  modelId: string;
  /** One alias, or null for all of the model's aliases. */
  alias: string | null;
}

/** Moves of a model's aliases (or of one alias), newest first: one query per distinct alias asked for. */
export const aliasHistoryByModel = defineLoader<AliasHistoryKey, ModelAliasEvent[], string>(
  'aliasHistoryByModel',
  async (keys, ctx) => {
    const aliases = [...new Set(keys.map((key) => key.alias))];
    const histories = new Map(
      await Promise.all(
        aliases.map(async (alias) => {
          const modelIds = [...new Set(keys.filter((key) => key.alias === alias).map((key) => key.modelId))];
          return [alias, await ctx.services.modelVersions.aliasHistoryOfModels(modelIds, alias)] as const;
        }),
      ),
    );
    return keys.map((key) => histories.get(key.alias)?.get(key.modelId) ?? []);
  },
  { cacheKeyFn: (key) => `${key.modelId}\u0000${key.alias ?? ''}` },
);
