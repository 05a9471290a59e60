import type { Model } from '../../domain/models/model';
import { defineLoader } from '../context';

export const modelById = defineLoader<string, Model | null>('modelById', async (ids, ctx) => {
  const found = new Map((await ctx.services.models.findModelsByIds(ids)).map((model) => [model.id, model]));
  return ids.map((id) => found.get(id) ?? null);
});
