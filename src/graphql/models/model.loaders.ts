import type { Model } from '../../domain/models/model';
import type { ModelTask } from '../../ml/tf-types';
import { defineLoader, type GraphQLContext } from '../context';

export const modelById = defineLoader<string, Model | null>('modelById', async (ids, ctx) => {
  const found = new Map((await ctx.services.models.findModelsByIds(ids)).map((model) => [model.id, model]));
  return ids.map((id) => found.get(id) ?? null);
});

/** The task of the model a version, run or study belongs to (their rows go with it, so it exists). */
export async function taskOfModel(ctx: GraphQLContext, modelId: string): Promise<ModelTask> {
  const model = await ctx.loaders.get(modelById).load(modelId);
  if (!model) throw new Error(`internal error: model ${modelId} is missing`);
  return model.task;
}
