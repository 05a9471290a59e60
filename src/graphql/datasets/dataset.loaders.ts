import type { Dataset, DatasetVersion } from '../../domain/datasets/dataset';
import { defineLoader } from '../context';

export const datasetById = defineLoader<string, Dataset | null>('datasetById', async (ids, ctx) => {
  const found = new Map((await ctx.services.datasets.findDatasetsByIds(ids)).map((dataset) => [dataset.id, dataset]));
  return ids.map((id) => found.get(id) ?? null);
});

export const datasetVersionsByDataset = defineLoader<string, DatasetVersion[]>('datasetVersionsByDataset', async (ids, ctx) => {
  const byDataset = await ctx.services.datasets.versionsOfDatasets(ids);
  return ids.map((id) => byDataset.get(id) ?? []);
});

export const datasetVersionById = defineLoader<string, DatasetVersion | null>('datasetVersionById', async (ids, ctx) => {
  const found = new Map((await ctx.services.datasets.findVersionsByIds(ids)).map((version) => [version.id, version]));
  return ids.map((id) => found.get(id) ?? null);
});
