import type { Run, RunEpoch } from '../../domain/runs/run';
import type { PageRequest } from '../../domain/common/pagination';
import { definePageLoader } from '../common/page-loader';
import { defineLoader } from '../context';

export const runById = defineLoader<string, Run | null>('runById', async (ids, ctx) => {
  const found = new Map((await ctx.services.training.findRunsByIds(ids)).map((run) => [run.id, run]));
  return ids.map((id) => found.get(id) ?? null);
});

/** A page of each run's epochs, oldest first (`epochs(afterEpoch)`, and `metrics(name)`: the epochs that recorded the metric). */
export const epochPages = definePageLoader<RunEpoch, PageRequest & { afterEpoch: number | null; metric: string | null }>('epochPages', (ids, args, ctx) =>
  ctx.services.training.pageEpochs(ids, args, { afterEpoch: args.afterEpoch, metric: args.metric }),
);
