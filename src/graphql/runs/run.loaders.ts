import type { Run, RunEpoch } from '../../services/training/training.service';
import { defineLoader } from '../context';

export const runById = defineLoader<string, Run | null>('runById', async (ids, ctx) => {
  const found = new Map((await ctx.services.training.findRunsByIds(ids)).map((run) => [run.id, run]));
  return ids.map((id) => found.get(id) ?? null);
});

/** Every stored epoch of a run, in order (`epochs` and `metrics(name)` share it). */
export const epochsByRun = defineLoader<string, RunEpoch[]>('epochsByRun', async (ids, ctx) => {
  const byRun = await ctx.services.training.epochsOfRuns(ids);
  return ids.map((id) => byRun.get(id) ?? []);
});
