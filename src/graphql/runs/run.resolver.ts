import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData, SubscriptionHandlerData } from 'type-graphql';
import { NotFoundError, ValidationError } from '../../domain/errors';
import type { Run as RunRow } from '../../domain/runs/run';
import { runAsOfEvent, type RunUpdatedPayload } from '../../services/runs/run-state-event';
import { mapPage } from '../../domain/common/pagination';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { datasetVersionById } from '../datasets/dataset.loaders';
import { DatasetVersion } from '../datasets/dataset.type';
import { modelVersionByRun } from '../model-versions/model-version.loaders';
import { ModelVersion } from '../model-versions/model-version.type';
import { modelById, taskOfModel } from '../models/model.loaders';
import { Model } from '../models/model.type';
import { pubSubOf } from '../schema-pub-sub';
import { isDatabaseUnavailable } from '../../infra/db/connection-errors';
import { LISTEN_RECONNECTED_TOPIC } from '../../infra/events/pg-pubsub';
import { openRunProgress, type RunProgressEvent } from './run-progress-stream';
import { RunFilter, StartTrainingRunInput } from './run.input';
import { epochPages, runById } from './run.loaders';
import { toRunSummary } from './run-summary.mapping';
import { RunSummary } from './run-summary.type';
import { stepEngineOf, toMetricPoint, toRunEpoch, toTrainingBackend, toTrainingEnvironment } from './run.mapping';
import {
  MetricPointConnection,
  Run,
  RunConnection,
  RunEpochConnection,
  RunProgress,
  RunProgressTypeEnum,
  RunWarning,
  RunWarningCodeEnum,
  TrainingEnvironment,
} from './run.type';
import { fromTrainingHyperparametersInput, toTrainingHyperparameters, TrainingBackendEnum, TrainingHyperparameters } from './training-hyperparameters.type';
import { Allow } from '../auth/access';
import { trainingHyperparametersOf } from '../../infra/db/json-columns';

/** Kinds whose `hyperparameters` are a training run's. */
const TRAINING_KINDS: ReadonlySet<string> = new Set(['TRAINING', 'TRIAL']);

/** `runUpdated`'s filter: status from the event; model and kind (which never change) from the run. */
async function matchesRunFilter({ payload, args, context }: SubscriptionHandlerData<RunUpdatedPayload, { filter?: RunFilter | null }, GraphQLContext>) {
  const filter = args.filter;
  if (!filter) return true;
  if (filter.status && payload.status !== filter.status) return false;
  if (!filter.modelId && !filter.kind) return true;
  const run = await context.services.training.findRun(payload.id);
  return run !== null && (!filter.modelId || run.modelId === filter.modelId) && (!filter.kind || run.kind === filter.kind);
}

function subscribeRunProgress({ args, context, info }: SubscribeResolverData<unknown, { runId: string; afterEpoch?: number | null }, GraphQLContext>) {
  const { runId, afterEpoch } = args;
  if (afterEpoch != null && afterEpoch < 0) throw new ValidationError(`afterEpoch must be 0 or more, got ${afterEpoch}`, { field: 'afterEpoch' });
  const pubSub = pubSubOf(info.schema);
  const training = context.services.training;
  return openRunProgress(
    {
      subscribe: (topic, id) => pubSub.subscribe(topic, id),
      findRun: (id) => training.findRun(id),
      epochs: (id, after, limit) => training.epochs(id, after, limit),
      reconnected: () => pubSub.subscribe(LISTEN_RECONNECTED_TOPIC),
    },
    runId,
    { afterEpoch, isTransient: isDatabaseUnavailable },
  );
}

@Resolver(() => Run)
export class RunResolver {
  @Allow('VIEWER')
  @Query(() => RunConnection, { description: 'Runs, newest first; runs of archived studies only with `includeArchived: true`.' })
  async runs(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null,
    @Args() page: PageArgs,
    @Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived?: boolean,
  ) {
    return toConnection(await ctx.services.training.listRuns({ ...filter, includeArchived }, page));
  }

  @Allow('VIEWER')
  @Query(() => Run, { nullable: true })
  async run(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.training.findRun(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Run, { description: 'Validates the hyperparameters and queues a training run; a worker takes it.' })
  async startTrainingRun(@Ctx() ctx: GraphQLContext, @Arg('input') input: StartTrainingRunInput) {
    return ctx.services.training.startTrainingRun(
      {
        modelId: input.modelId,
        datasetVersionId: input.datasetVersionId,
        hyperparameters: fromTrainingHyperparametersInput(input.hyperparameters),
      },
      ctx.principal.name,
    );
  }

  @Allow('EDITOR')
  @Mutation(() => Run, {
    description: 'Cancels a queued run at once; a running one stops within 2 s (its worker checks between batches). Cancelling a cancelled run is a no-op.',
  })
  async cancelRun(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.training.cancelRun(id);
  }

  @FieldResolver(() => TrainingHyperparameters, { nullable: true, description: 'Null for kinds without training hyperparameters (an optimization study).' })
  async hyperparameters(@Root() run: RunRow, @Ctx() ctx: GraphQLContext): Promise<TrainingHyperparameters | null> {
    if (!TRAINING_KINDS.has(run.kind)) return null;
    return toTrainingHyperparameters(trainingHyperparametersOf(run.hyperparameters), () => taskOfModel(ctx, run.modelId));
  }

  @FieldResolver(() => [RunWarning], {
    description:
      "What the run's settings warn about, found when it was queued (also in summary.warnings once it ran): FEW_GRADIENT_STEPS when epochs x batches per epoch is under 100. Empty for runs queued before warnings were recorded.",
  })
  warnings(@Root() run: RunRow): RunWarning[] {
    return run.warnings.map((warning) => ({ code: warning.code as RunWarningCodeEnum, message: warning.message }));
  }

  @FieldResolver(() => TrainingBackendEnum, {
    nullable: true,
    description: 'The engine the run trained on: CPU, TENSORFLOW or TENSORFLOW_COMPILED (never AUTO); null until it started.',
  })
  backend(@Root() run: RunRow): TrainingBackendEnum | null {
    return toTrainingBackend(run.backend, stepEngineOf(run));
  }

  @FieldResolver(() => RunSummary, {
    nullable: true,
    description:
      "How training went (TRAINING and TRIAL runs, once ended): epochs run, why it stopped, best epoch, split sizes, timings. A study's is Study.summary.",
  })
  summary(@Root() run: RunRow): RunSummary | null {
    return TRAINING_KINDS.has(run.kind) ? toRunSummary(run.summary) : null;
  }

  @FieldResolver(() => TrainingEnvironment, { nullable: true, description: 'Recorded when the run succeeded.' })
  environment(@Root() run: RunRow): TrainingEnvironment | null {
    return toTrainingEnvironment(run.environment);
  }

  @FieldResolver(() => Model)
  async model(@Root() run: RunRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelById).load(run.modelId);
  }

  @FieldResolver(() => DatasetVersion)
  async datasetVersion(@Root() run: RunRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(datasetVersionById).load(run.datasetVersionId);
  }

  @FieldResolver(() => RunEpochConnection, { description: 'Finished epochs, oldest first; only those after `afterEpoch` when given.' })
  async epochs(
    @Root() run: RunRow,
    @Ctx() ctx: GraphQLContext,
    @Args() page: PageArgs,
    @Arg('afterEpoch', () => Int, { nullable: true }) afterEpoch?: number | null,
  ) {
    const epochs = await ctx.loaders.get(epochPages).load({ parentId: run.id, args: { ...page, afterEpoch: afterEpoch ?? null, metric: null } });
    return toConnection(mapPage(epochs, toRunEpoch));
  }

  @FieldResolver(() => MetricPointConnection, {
    description: 'History of one epoch metric, oldest epoch first: loss, accuracy, mae, rmse, or val_loss, val_accuracy, val_mae, val_rmse.',
  })
  async metrics(@Root() run: RunRow, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs, @Arg('name') name: string) {
    const epochs = await ctx.loaders.get(epochPages).load({ parentId: run.id, args: { ...page, afterEpoch: null, metric: name } });
    return toConnection(mapPage(epochs, (epoch) => toMetricPoint(epoch, name)));
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The version the run registered (once SUCCEEDED).' })
  async modelVersion(@Root() run: RunRow, @Ctx() ctx: GraphQLContext) {
    // A version exists exactly when its run SUCCEEDED (also for a run as an earlier event saw it).
    if (run.status !== 'SUCCEEDED') return null;
    return ctx.loaders.get(modelVersionByRun).load(run.id);
  }

  @Allow('VIEWER')
  @Subscription(() => Run, {
    topics: 'runUpdated',
    filter: matchesRunFilter,
    description:
      "Status changes (and cancel requests) of every run, or of those matching the filter (its status is matched against the event's). Each event carries the run as the change left it: status, cancelRequested, attempts, startedAt, finishedAt, summary, error and backend are the event's own (QUEUED is delivered as QUEUED however late); epochs and metrics are read when the event is delivered.",
  })
  async runUpdated(
    @Root() event: RunUpdatedPayload,
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => RunFilter, { nullable: true }) _filter?: RunFilter | null,
  ) {
    const run = await ctx.loaders.get(runById).load(event.id);
    if (!run) throw new NotFoundError('run', event.id);
    return runAsOfEvent(run, event);
  }

  @Allow('VIEWER')
  @Subscription(() => RunProgress, {
    subscribe: subscribeRunProgress,
    description:
      "The stored epochs after `afterEpoch` (all when omitted), then the run's current status, then each new epoch and status change; completes after the final status (SUCCEEDED, FAILED or CANCELLED). Reconnecting with the last epoch received gives no gap and no duplicate.",
  })
  runProgress(
    @Root() event: RunProgressEvent<RunRow>,
    @Arg('runId', () => ID) _runId: string,
    @Arg('afterEpoch', () => Int, { nullable: true }) _afterEpoch?: number | null,
  ): RunProgress {
    return {
      type: event.type as RunProgressTypeEnum,
      runId: event.runId,
      status: event.status as RunProgress['status'],
      epoch: event.type === 'EPOCH' ? toRunEpoch(event.epoch) : null,
      snapshot: event.run,
    };
  }
}

@Resolver(() => RunProgress)
export class RunProgressResolver {
  @FieldResolver(() => Run, {
    description: 'The run as the stream read it for this event (for a STATUS event: the read that found that status), not as it is later.',
  })
  async run(@Root() progress: RunProgress, @Ctx() ctx: GraphQLContext) {
    if (progress.snapshot) return progress.snapshot as RunRow;
    const run = await ctx.loaders.get(runById).load(progress.runId);
    if (!run) throw new NotFoundError('run', progress.runId);
    return run;
  }
}
