import type { Dataset, DatasetVersion } from '../../domain/datasets/dataset';
import { definePageLoader } from '../common/page-loader';
import { defineLoader } from '../context';

export const datasetById = defineLoader<string, Dataset | null>('datasetById', async (ids, ctx) => {
  const found = new Map((await ctx.services.datasets.findDatasetsByIds(ids)).map((dataset) => [dataset.id, dataset]));
  return ids.map((id) => found.get(id) ?? null);
});

export const datasetVersionById = defineLoader<string, DatasetVersion | null>('datasetVersionById', async (ids, ctx) => {
  const found = new Map((await ctx.services.datasets.findVersionsByIds(ids)).map((version) => [version.id, version]));
  return ids.map((id) => found.get(id) ?? null);
});

/** A page of each dataset's versions. */
export const datasetVersionPages = definePageLoader<DatasetVersion>('datasetVersionPages', (ids, args, ctx) => ctx.services.datasets.pageVersions(ids, args));
