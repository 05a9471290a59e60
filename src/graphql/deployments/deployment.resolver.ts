import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { NotFoundError } from '../../domain/errors';
import type { Deployment as DeploymentRecord } from '../../domain/deployments/deployment';
import { followOf } from '../../services/deployments/deployment.service';
import type { EventPayloads } from '../../services/events/event-publisher';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { modelVersionById } from '../model-versions/model-version.loaders';
import { toWindowMetrics } from '../model-versions/model-version.mapping';
import { EvaluationSplitEnum, ModelAliasEvent, ModelVersion } from '../model-versions/model-version.type';
import { Model } from '../models/model.type';
import { DeployModelInput, RollbackDeploymentInput, SetDeploymentBatchingInput, StartCanaryInput, UpdateDeploymentInput } from './deployment.input';
import {
  AliasUpdateEnum,
  Canary,
  Deployment,
  DeploymentAliasFollow,
  DeploymentBatching,
  DeploymentChangePayload,
  DeploymentConnection,
  DeploymentEvent,
  DeploymentEventConnection,
  DeploymentPerformance,
  TrafficBucket,
} from './deployment.type';
import { Allow } from '../auth/access';
import { deploymentEventPages } from './deployment.loaders';

@Resolver(() => Deployment)
export class DeploymentResolver {
  @Allow('VIEWER')
  @Query(() => DeploymentConnection, { description: 'Deployments, newest first; archived ones only with `includeArchived: true`.' })
  async deployments(
    @Ctx() ctx: GraphQLContext,
    @Args() page: PageArgs,
    @Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived?: boolean,
  ) {
    return toConnection(await ctx.services.deployments.listDeployments(page, { includeArchived }));
  }

  @Allow('VIEWER')
  @Query(() => Deployment, { nullable: true, description: 'One deployment, by name or by id.' })
  async deployment(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', () => String, { nullable: true }) name?: string,
    @Arg('id', () => ID, { nullable: true }) id?: string,
  ) {
    return ctx.services.deployments.findDeployment({ id, name });
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, {
    description:
      'Deploys a version under a new name: by id (pinned to it), or by model and alias (it follows the alias: a move of the alias switches it, or starts a canary, per aliasUpdate).',
  })
  async deployModel(@Ctx() ctx: GraphQLContext, @Arg('input') input: DeployModelInput) {
    return ctx.services.deployments.deployModel(input, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, {
    description:
      'Switches the stable version (no canary may be running): to a version by id (the deployment is then pinned to it), or to where an alias points (it then follows the alias).',
  })
  async updateDeployment(@Ctx() ctx: GraphQLContext, @Arg('input') input: UpdateDeploymentInput) {
    return ctx.services.deployments.updateDeployment(input, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, { description: 'Sends a share of requests to another version; replaces a running canary.' })
  async startCanary(@Ctx() ctx: GraphQLContext, @Arg('input') input: StartCanaryInput) {
    return ctx.services.deployments.startCanary(input, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, { description: 'Makes the canary the stable version.' })
  async promoteCanary(@Ctx() ctx: GraphQLContext, @Arg('deployment', { description: 'Deployment name.' }) deployment: string) {
    return ctx.services.deployments.promoteCanary(deployment, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, { description: 'Ends a running canary, or else returns to the version served before the last switch.' })
  async rollbackDeployment(@Ctx() ctx: GraphQLContext, @Arg('input') input: RollbackDeploymentInput) {
    return ctx.services.deployments.rollbackDeployment(input, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => Deployment, { description: 'Changes how concurrent requests are batched into model calls; every API process applies it at once.' })
  async setDeploymentBatching(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetDeploymentBatchingInput) {
    const { deployment, ...patch } = input;
    return ctx.services.deployments.setBatching(deployment, patch);
  }

  @FieldResolver(() => DeploymentBatching)
  batching(@Root() deployment: DeploymentRecord): DeploymentBatching {
    return deployment.batching;
  }

  @FieldResolver(() => ModelVersion, { description: 'The stable version.' })
  async modelVersion(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelVersionById).load(deployment.modelVersionId);
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The rollback target when no canary runs.' })
  async previousModelVersion(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext) {
    return deployment.previousModelVersionId ? ctx.loaders.get(modelVersionById).load(deployment.previousModelVersionId) : null;
  }

  @FieldResolver(() => DeploymentAliasFollow, {
    nullable: true,
    description: 'The alias the deployment follows; null when it is pinned to its versions (deployed or updated by version id).',
  })
  followsAlias(@Root() deployment: DeploymentRecord): DeploymentAliasFollow | null {
    const follow = followOf(deployment);
    return follow ? { alias: follow.alias, update: follow.mode as AliasUpdateEnum, canaryPercent: follow.canaryPercent, modelId: deployment.modelId } : null;
  }

  @FieldResolver(() => Canary, { nullable: true, description: 'The running canary, if any.' })
  canary(@Root() deployment: DeploymentRecord): Canary | null {
    return deployment.canaryModelVersionId ? { modelVersionId: deployment.canaryModelVersionId, percent: deployment.canaryPercent ?? 0 } : null;
  }

  @FieldResolver(() => Model)
  async model(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext) {
    return ctx.services.models.requireModel(deployment.modelId);
  }

  @FieldResolver(() => DeploymentEventConnection, { description: 'Every change, newest first.' })
  async events(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(deploymentEventPages).load({ parentId: deployment.id, args: page }));
  }

  @FieldResolver(() => DeploymentPerformance, {
    description:
      'The stable version (or the given one) on its predictions with recorded actuals: consecutive windows of `window` predictions, newest first, compared with its evaluation.',
  })
  async performance(
    @Root() deployment: DeploymentRecord,
    @Ctx() ctx: GraphQLContext,
    @Arg('window', () => Int, { defaultValue: 500 }) window: number,
    @Arg('windows', () => Int, { defaultValue: 1 }) windows: number,
    @Arg('modelVersionId', () => ID, { nullable: true }) modelVersionId?: string | null,
  ): Promise<DeploymentPerformance> {
    const result = await ctx.services.performance.performance(deployment, { window, windows, modelVersionId });
    return {
      modelVersionId: result.modelVersionId,
      baselineEvaluationId: result.baseline?.id ?? null,
      baselineSplit: (result.baseline?.split as EvaluationSplitEnum | undefined) ?? null,
      windows: result.windows.map((w) => ({
        count: w.count,
        from: w.from,
        to: w.to,
        comparison: w.comparison,
        metrics: toWindowMetrics(result.modelVersionId, w.evaluation),
      })),
    };
  }

  @Allow('VIEWER')
  @FieldResolver(() => [TrafficBucket], {
    description:
      'Prediction rate and latency: buckets of `bucketSeconds` over the last `minutes` (at most 7 days and 2,000 buckets), oldest first; empty buckets are left out.',
  })
  async traffic(
    @Root() deployment: DeploymentRecord,
    @Ctx() ctx: GraphQLContext,
    @Arg('minutes', () => Int, { defaultValue: 60 }) minutes: number,
    @Arg('bucketSeconds', () => Int, { defaultValue: 60 }) bucketSeconds: number,
  ): Promise<TrafficBucket[]> {
    return ctx.services.traffic.traffic(deployment.id, { minutes, bucketSeconds });
  }

  @Allow('VIEWER')
  @Subscription(() => DeploymentEvent, {
    topics: 'deploymentChanged',
    topicId: ({ args }: { args: { deployment?: string | null } }) => args.deployment ?? undefined,
    description: 'Every change of one deployment (by name), or of all deployments when none is given, by any API process.',
  })
  async deploymentChanged(
    @Root() event: EventPayloads['deploymentChanged'],
    @Ctx() ctx: GraphQLContext,
    @Arg('deployment', () => String, { nullable: true }) _deployment?: string | null,
  ) {
    const row = await ctx.services.deployments.findEvent(event.id);
    if (!row) throw new NotFoundError('deployment event', event.id);
    return row;
  }
}

@Resolver(() => Canary)
export class CanaryResolver {
  @FieldResolver(() => ModelVersion)
  async modelVersion(@Root() canary: Canary, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelVersionById).load(canary.modelVersionId);
  }
}

@Resolver(() => DeploymentAliasFollow)
export class DeploymentAliasFollowResolver {
  @FieldResolver(() => ModelVersion, {
    nullable: true,
    description: 'Where the alias points now (the deployment serves something else after a rollback, until the alias moves again).',
  })
  async modelVersion(@Root() follow: DeploymentAliasFollow, @Ctx() ctx: GraphQLContext) {
    return ctx.services.modelVersions.resolveAlias(follow.modelId, follow.alias);
  }
}

@Resolver(() => DeploymentEvent)
export class DeploymentEventResolver {
  @FieldResolver(() => ModelVersion, { nullable: true, description: 'Null when there was none, or once that version was deleted (fromModelVersionId stays).' })
  async fromModelVersion(@Root() event: DeploymentEvent, @Ctx() ctx: GraphQLContext) {
    return event.fromModelVersionId ? ctx.loaders.get(modelVersionById).load(event.fromModelVersionId) : null;
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'Null once that version was deleted (toModelVersionId stays).' })
  async toModelVersion(@Root() event: DeploymentEvent, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelVersionById).load(event.toModelVersionId);
  }

  @FieldResolver(() => ModelAliasEvent, { nullable: true, description: 'The alias move that made this change, when one did.' })
  async aliasMove(@Root() event: DeploymentEvent, @Ctx() ctx: GraphQLContext) {
    return event.aliasEventId ? ctx.services.modelVersions.findAliasEvent(event.aliasEventId) : null;
  }

  @FieldResolver(() => Deployment, { description: 'The deployment as it is now.' })
  async deployment(@Root() event: DeploymentEvent, @Ctx() ctx: GraphQLContext) {
    const deployment = await ctx.services.deployments.findDeployment({ id: event.deploymentId });
    if (!deployment) throw new NotFoundError('deployment', event.deploymentId);
    return deployment;
  }
}
