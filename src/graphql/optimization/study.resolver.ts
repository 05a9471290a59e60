import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { Run as RunRow } from '../../domain/runs/run';
import type { Study as StudyView } from '../../services/optimization/study-trials';
import type { StudyLeaderboardEntry } from '../../services/optimization/optimization.service';
import { trialSummaryOf, type StudyTrial } from '../../services/optimization/study-trials';
import type { GraphQLContext } from '../context';
import { modelVersionByRun } from '../model-versions/model-version.loaders';
import { ModelVersion } from '../model-versions/model-version.type';
import { Run } from '../runs/run.type';
import { runById } from '../runs/run.loaders';
import { taskOfModel } from '../models/model.loaders';
import { fromTrainingHyperparametersInput, toTrainingHyperparameters, TrainingHyperparameters } from '../runs/training-hyperparameters.type';
import { pubSubOf } from '../schema-pub-sub';
import { isDatabaseUnavailable } from '../../infra/db/connection-errors';
import { toStudySummary } from '../runs/run-summary.mapping';
import { StudySummary } from '../runs/run-summary.type';
import { SearchParameter, toSearchParameter, toTrialParameters } from './study-parameters';
import { runIdOfStudy, studyIdOf } from './study-id';
import { openStudyProgress, type StudyProgressEvent } from './study-progress-stream';
import { StartOptimizationInput } from './study.input';
import { readSearchSpace } from './search-parameter-input.mapping';
import { LeaderboardEntry, Study, StudyProgress, Trial, TrialConnection, TrialStateEnum, type StudyObjective, type StudyPruning } from './study.type';
import { Allow } from '../auth/access';
import { mapPage } from '../../domain/common/pagination';
import { PageArgs, toConnection } from '../common/connection.type';
import { definePageLoader } from '../common/page-loader';
import type { StudyTrialRow } from '../../services/optimization/optimization.service';

/** A page of each study's trials. */
const trialPages = definePageLoader<StudyTrialRow>('trialPages', (ids, args, ctx) => ctx.services.optimization.pageTrials(ids, args));

/** A study's trial as its GraphQL type. */
function toTrial({ run, record }: StudyTrial): Trial {
  const summary = trialSummaryOf(run);
  return {
    number: record.number,
    state: record.state as TrialStateEnum,
    params: toTrialParameters(record.params),
    value: record.value ?? null,
    pruned: summary?.pruned === true,
    pruneReason: summary?.pruneReason ?? null,
    intermediateValues: record.intermediateValues.map((v) => ({ epoch: v.step, value: v.value })),
    runId: run.id,
  };
}

function toLeaderboardEntry(entry: StudyLeaderboardEntry): LeaderboardEntry {
  return { ...entry, params: toTrialParameters(entry.params) };
}

function subscribeStudyProgress({ args, context, info }: SubscribeResolverData<unknown, { studyId: string }, GraphQLContext>) {
  const pubSub = pubSubOf(info.schema);
  return openStudyProgress(
    { subscribe: (topic) => pubSub.subscribe(topic), findRun: (id) => context.services.training.findRun(id) },
    runIdOfStudy(args.studyId),
    {
      isTransient: isDatabaseUnavailable,
    },
  );
}

/** Study fields are read from the study: its OPTIMIZATION run, with the definition it stores decoded once. */
@Resolver(() => Study)
export class StudyResolver {
  @Allow('EDITOR')
  @Mutation(() => Study, {
    description:
      "Validates and queues a hyperparameter optimization study (an OPTIMIZATION run). A worker coordinates it: it samples trials (TRIAL runs) and queues up to `parallelism` at once for any worker, prunes, and links the best trial's model version. Cancel it with cancelStudy.",
  })
  async startOptimization(@Ctx() ctx: GraphQLContext, @Arg('input') input: StartOptimizationInput) {
    return ctx.services.optimization.startOptimization(
      {
        ...input,
        searchSpace: readSearchSpace(input.searchSpace),
        baseHyperparameters: fromTrainingHyperparametersInput(input.baseHyperparameters),
      },
      ctx.principal.name,
    );
  }

  @Allow('EDITOR')
  @Mutation(() => Study, { description: 'Cancels a study and its queued and running trials.' })
  async cancelStudy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.optimization.cancelStudy(runIdOfStudy(id));
  }

  @Allow('VIEWER')
  @Query(() => Study, { nullable: true })
  async study(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.optimization.findStudy(runIdOfStudy(id));
  }

  @FieldResolver(() => ID, {
    description: "The study's own id, for node(id:): not its OPTIMIZATION run's (run.id), though study, cancelStudy and studyProgress take either.",
  })
  id(@Root() study: StudyView): string {
    return studyIdOf(study.id);
  }

  @FieldResolver(() => StudySummary, { nullable: true, description: 'Once ended: the trial counts and the best trial.' })
  summary(@Root() study: StudyView): StudySummary | null {
    return toStudySummary(study.summary);
  }

  @FieldResolver()
  objective(@Root() study: StudyView): StudyObjective {
    return study.definition.objective as StudyObjective;
  }

  @FieldResolver()
  strategy(@Root() study: StudyView): string {
    return study.definition.strategy;
  }

  @FieldResolver(() => [SearchParameter], { description: 'The validated search space, one entry per parameter, in the order given.' })
  searchSpace(@Root() study: StudyView): SearchParameter[] {
    return study.definition.searchSpace.parameters.map(toSearchParameter);
  }

  @FieldResolver()
  maxTrials(@Root() study: StudyView): number {
    return study.definition.maxTrials;
  }

  @FieldResolver()
  parallelism(@Root() study: StudyView): number {
    return study.definition.parallelism;
  }

  @FieldResolver()
  pruning(@Root() study: StudyView): StudyPruning {
    return study.definition.pruning as StudyPruning;
  }

  @FieldResolver()
  seed(@Root() study: StudyView): number {
    return study.definition.seed;
  }

  @FieldResolver(() => TrainingHyperparameters, { description: 'What every trial trains with before its sampled parameters are applied.' })
  async baseHyperparameters(@Root() study: StudyView, @Ctx() ctx: GraphQLContext): Promise<TrainingHyperparameters> {
    return toTrainingHyperparameters(study.definition.baseHyperparameters, () => taskOfModel(ctx, study.modelId));
  }

  @FieldResolver(() => Run, { description: 'The OPTIMIZATION run.' })
  run(@Root() study: StudyView): RunRow {
    return study;
  }

  @FieldResolver(() => TrialConnection, { description: 'Every trial so far, in trial-number order.' })
  async trials(@Root() study: StudyView, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(mapPage(await ctx.loaders.get(trialPages).load({ parentId: study.id, args: page }), toTrial));
  }

  @FieldResolver(() => Trial, { nullable: true, description: 'The completed trial with the best objective.' })
  async bestTrial(@Root() study: StudyView, @Ctx() ctx: GraphQLContext): Promise<Trial | null> {
    const best = (await ctx.services.optimization.leaderboard(study.id)).at(0);
    if (!best) return null;
    const trials = await ctx.services.optimization.trials(study.id);
    const trial = trials.find((t) => t.run.id === best.trialRunId);
    return trial ? toTrial(trial) : null;
  }

  @FieldResolver(() => [LeaderboardEntry], { description: 'Completed trials, best objective first.' })
  async leaderboard(@Root() study: StudyView, @Ctx() ctx: GraphQLContext): Promise<LeaderboardEntry[]> {
    return (await ctx.services.optimization.leaderboard(study.id)).map(toLeaderboardEntry);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The model version the best trial registered.' })
  async bestModelVersion(@Root() study: StudyView, @Ctx() ctx: GraphQLContext) {
    const best = (await ctx.services.optimization.leaderboard(study.id)).at(0);
    return best ? ctx.loaders.get(modelVersionByRun).load(best.trialRunId) : null;
  }

  @Allow('VIEWER')
  @Subscription(() => StudyProgress, {
    subscribe: subscribeStudyProgress,
    description:
      "The study's current status, then each trial queued, started, epoch (with the objective), finished or pruned, and each study status change, each with the leaderboard as it is then; completes after the study's final status.",
  })
  studyProgress(
    @Root() event: StudyProgressEvent,
    @Arg('studyId', () => ID, { description: "The study's id (or its OPTIMIZATION run's)." }) _studyId: string,
  ): StudyProgress {
    return { ...(event as StudyProgress), studyId: studyIdOf(event.studyId) };
  }
}

@Resolver(() => Trial)
export class TrialResolver {
  @FieldResolver(() => Run)
  async run(@Root() trial: Trial, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(runById).load(trial.runId);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The version the trial registered (COMPLETE trials).' })
  async modelVersion(@Root() trial: Trial, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelVersionByRun).load(trial.runId);
  }
}

@Resolver(() => LeaderboardEntry)
export class LeaderboardEntryResolver {
  @FieldResolver(() => Run, { description: "The trial's run." })
  async run(@Root() entry: LeaderboardEntry, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(runById).load(entry.trialRunId);
  }
}

@Resolver(() => StudyProgress)
export class StudyProgressResolver {
  @FieldResolver(() => [LeaderboardEntry], { description: 'The leaderboard when the event is delivered.' })
  async leaderboard(@Root() event: StudyProgress, @Ctx() ctx: GraphQLContext): Promise<LeaderboardEntry[]> {
    return (await ctx.services.optimization.leaderboard(runIdOfStudy(event.studyId))).map(toLeaderboardEntry);
  }

  @FieldResolver(() => Study, { description: 'The study when the event is delivered.' })
  async study(@Root() event: StudyProgress, @Ctx() ctx: GraphQLContext) {
    return ctx.services.optimization.requireStudy(runIdOfStudy(event.studyId));
  }
}
