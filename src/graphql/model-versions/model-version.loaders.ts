import type { PageRequest } from '../../domain/common/pagination';
import type { Evaluation, ModelAlias, ModelAliasEvent, ModelVersion, VersionListOptions } from '../../services/model-versions/model-version.service';
import type { Deployment } from '../../domain/deployments/deployment';
import { definePageLoader } from '../common/page-loader';
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

/** A page of each model's aliases, by name. */
export const modelAliasPages = definePageLoader<ModelAlias>('modelAliasPages', (ids, args, ctx) => ctx.services.modelVersions.pageAliases(ids, 'model', args));

/** A page of the aliases pointing at each version, by name. */
export const versionAliasPages = definePageLoader<ModelAlias>('versionAliasPages', (ids, args, ctx) =>
  ctx.services.modelVersions.pageAliases(ids, 'version', args),
);

/** A page of the deployments following each alias (keyed `${modelId}/${alias}`), by name. */
export const followerPages = definePageLoader<Deployment>('followerPages', (keys, args, ctx) => ctx.services.deployments.pageFollowers(keys, args));

/** A page of each model's versions. */
export const modelVersionPages = definePageLoader<ModelVersion, PageRequest & VersionListOptions>('modelVersionPages', (ids, args, ctx) =>
  ctx.services.modelVersions.pageVersions(ids, args, { kinds: args.kinds, includeArchived: args.includeArchived }),
);

/** A page of each version's evaluations. */
export const evaluationPages = definePageLoader<Evaluation>('evaluationPages', (ids, args, ctx) => ctx.services.modelVersions.pageEvaluations(ids, args));

/** A page of the moves of each model's aliases (or of one alias). */
export const aliasHistoryPages = definePageLoader<ModelAliasEvent, PageRequest & { alias: string | null }>('aliasHistoryPages', (ids, args, ctx) =>
  ctx.services.modelVersions.pageAliasHistory(ids, args.alias, args),
);
