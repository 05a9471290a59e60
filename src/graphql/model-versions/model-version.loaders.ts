import type { ModelAlias, ModelVersion } from '../../services/model-versions/model-version.service';
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

/** A model's aliases, by name. */
export const aliasesByModel = defineLoader<string, ModelAlias[]>('aliasesByModel', async (modelIds, ctx) => {
  const byModel = await ctx.services.modelVersions.aliasesOfModels(modelIds);
  return modelIds.map((id) => byModel.get(id) ?? []);
});
