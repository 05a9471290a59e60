import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../domain/errors';
import { isUuid } from '../../domain/common/uuid';
import type {
  ModelAlias as ModelAliasRow,
  ModelAliasEvent as ModelAliasEventRow,
  ModelVersion as ModelVersionRow,
} from '../../services/model-versions/model-version.service';
import { mapPage } from '../../domain/common/pagination';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { datasetVersionById } from '../datasets/dataset.loaders';
import { DatasetVersion } from '../datasets/dataset.type';
import { modelById, taskOfModel } from '../models/model.loaders';
import { Model } from '../models/model.type';
import { runById } from '../runs/run.loaders';
import { toTrainingEnvironment } from '../runs/run.mapping';
import { Run, TrainingEnvironment } from '../runs/run.type';
import { toTrainingHyperparameters, TrainingHyperparameters } from '../runs/training-hyperparameters.type';
import { DeploymentConnection } from '../deployments/deployment.type';
import { DeleteModelVersionAliasInput, EvaluateModelVersionInput, SetModelVersionAliasInput } from './model-version.input';
import { evaluationPages, followerPages, modelVersionById, versionAliasPages } from './model-version.loaders';
import { classesOf, namedClassMetrics, toEvaluation, type EvaluationNode, type WindowMetricsNode } from './model-version.mapping';
import {
  ClassMetrics,
  Evaluation,
  EvaluationConnection,
  ModelAlias,
  ModelAliasConnection,
  ModelAliasEvent,
  ModelVersion,
  WindowMetrics,
} from './model-version.type';
import { Allow } from '../auth/access';
import { trainingHyperparametersOf } from '../../infra/db/json-columns';

async function requireLoadedVersion(ctx: GraphQLContext, id: string): Promise<ModelVersionRow> {
  const version = await ctx.loaders.get(modelVersionById).load(id);
  if (!version) throw new NotFoundError('model version', id);
  return version;
}

@Resolver(() => ModelVersion)
export class ModelVersionResolver {
  @Allow('VIEWER')
  @Query(() => ModelVersion, { nullable: true })
  async modelVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.modelVersions.findVersion(id);
  }

  @Allow('EDITOR')
  @Mutation(() => ModelAlias, {
    description:
      "Points an alias of the version's model (production, staging, ...) at the version (a standard, unarchived one); the move is kept in the alias history with who made it (the API key's name). Deployments that follow the alias switch (or start a canary) in the same transaction, each with a DeploymentEvent naming the move, pushed on deploymentChanged.",
  })
  async setModelVersionAlias(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetModelVersionAliasInput) {
    const { alias } = await ctx.services.modelVersions.setAlias({ modelVersionId: input.modelVersionId, alias: input.alias }, ctx.principal.name);
    return alias;
  }

  @Allow('EDITOR')
  @Mutation(() => ModelAliasEvent, {
    description: 'Deletes an alias of a model; its history stays, ending with this event (no `to`). Refused with IN_USE while a deployment follows the alias.',
  })
  async deleteModelVersionAlias(@Ctx() ctx: GraphQLContext, @Arg('input') input: DeleteModelVersionAliasInput) {
    const model = await ctx.services.models.findModel(isUuid(input.model) ? { id: input.model } : { name: input.model });
    if (!model) throw new NotFoundError('model', input.model, { field: 'input.model' });
    return ctx.services.modelVersions.deleteAlias({ modelId: model.id, alias: input.alias }, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => ModelVersion, {
    description:
      "Registers a study trial's version (kind TRIAL) as the model's next standard version: same id, weights and lineage, the next standard number. A study that succeeds does this for its best trial.",
  })
  async promoteModelVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.modelVersions.promoteVersion(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Evaluation, {
    description: 'Evaluates the version on every row of a dataset version with the same feature columns, and stores the result (split ALL).',
  })
  async evaluateModelVersion(@Ctx() ctx: GraphQLContext, @Arg('input') input: EvaluateModelVersionInput) {
    return toEvaluation(await ctx.services.modelVersions.evaluateModelVersion(input));
  }

  @FieldResolver(() => Model)
  async model(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(modelById).load(version.modelId);
  }

  @FieldResolver(() => Run, { nullable: true })
  async run(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext) {
    return version.runId ? ctx.loaders.get(runById).load(version.runId) : null;
  }

  @FieldResolver(() => DatasetVersion, { description: 'The dataset version it trained on.' })
  async datasetVersion(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(datasetVersionById).load(version.datasetVersionId);
  }

  @FieldResolver(() => TrainingHyperparameters)
  async hyperparameters(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext): Promise<TrainingHyperparameters> {
    return toTrainingHyperparameters(trainingHyperparametersOf(version.hyperparameters, 'ModelVersion.hyperparameters'), () =>
      taskOfModel(ctx, version.modelId),
    );
  }

  @FieldResolver(() => TrainingEnvironment)
  environment(@Root() version: ModelVersionRow): TrainingEnvironment | null {
    return toTrainingEnvironment(version.environment);
  }

  @FieldResolver(() => [String], { nullable: true, description: 'Classification: the classes it predicts, in their encoded order.' })
  classes(@Root() version: ModelVersionRow): string[] | null {
    return classesOf(version.preprocessing);
  }

  @FieldResolver(() => EvaluationConnection, { description: 'Oldest first: the test-split evaluation of training, then later ones.' })
  async evaluations(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(mapPage(await ctx.loaders.get(evaluationPages).load({ parentId: version.id, args: page }), toEvaluation));
  }

  @FieldResolver(() => ModelAliasConnection, { description: 'The aliases pointing at this version now, by name.' })
  async aliases(@Root() version: ModelVersionRow, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(versionAliasPages).load({ parentId: version.id, args: page }));
  }
}

/** Metrics of one version's outputs: the classes they are named by are that version's. */
type VersionMetrics = Pick<EvaluationNode, 'task' | 'perClassByIndex' | 'modelVersionId'>;

const CLASSES_DESCRIPTION = 'Classification: the classes, in the order of the confusion matrix rows and columns.';
const PER_CLASS_DESCRIPTION = 'Multiclass: precision, recall, F1 and support of each class.';

async function metricClasses(ctx: GraphQLContext, metrics: VersionMetrics): Promise<string[] | null> {
  if (metrics.task === 'REGRESSION') return null;
  return classesOf((await requireLoadedVersion(ctx, metrics.modelVersionId)).preprocessing);
}

async function namedPerClass(ctx: GraphQLContext, metrics: VersionMetrics): Promise<ClassMetrics[] | null> {
  if (!metrics.perClassByIndex) return null;
  const version = await requireLoadedVersion(ctx, metrics.modelVersionId);
  return namedClassMetrics(metrics.perClassByIndex, classesOf(version.preprocessing));
}

@Resolver(() => Evaluation)
export class EvaluationResolver {
  @FieldResolver(() => [String], { nullable: true, description: CLASSES_DESCRIPTION })
  async classes(@Root() evaluation: EvaluationNode, @Ctx() ctx: GraphQLContext) {
    return metricClasses(ctx, evaluation);
  }

  @FieldResolver(() => [ClassMetrics], { nullable: true, description: PER_CLASS_DESCRIPTION })
  async perClass(@Root() evaluation: EvaluationNode, @Ctx() ctx: GraphQLContext) {
    return namedPerClass(ctx, evaluation);
  }

  @FieldResolver(() => ModelVersion)
  async modelVersion(@Root() evaluation: EvaluationNode, @Ctx() ctx: GraphQLContext) {
    return requireLoadedVersion(ctx, evaluation.modelVersionId);
  }

  @FieldResolver(() => DatasetVersion)
  async datasetVersion(@Root() evaluation: EvaluationNode, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(datasetVersionById).load(evaluation.datasetVersionId);
  }
}

@Resolver(() => WindowMetrics)
export class WindowMetricsResolver {
  @FieldResolver(() => [String], { nullable: true, description: CLASSES_DESCRIPTION })
  async classes(@Root() metrics: WindowMetricsNode, @Ctx() ctx: GraphQLContext) {
    return metricClasses(ctx, metrics);
  }

  @FieldResolver(() => [ClassMetrics], { nullable: true, description: PER_CLASS_DESCRIPTION })
  async perClass(@Root() metrics: WindowMetricsNode, @Ctx() ctx: GraphQLContext) {
    return namedPerClass(ctx, metrics);
  }
}

@Resolver(() => ModelAlias)
export class ModelAliasResolver {
  @FieldResolver(() => ModelVersion)
  async modelVersion(@Root() alias: ModelAliasRow, @Ctx() ctx: GraphQLContext) {
    return requireLoadedVersion(ctx, alias.modelVersionId);
  }

  @FieldResolver(() => DeploymentConnection, {
    description: 'The deployments that follow this alias (archived ones too), by name: a move of the alias switches them or starts their canary.',
  })
  async deployments(@Root() alias: ModelAliasRow, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(followerPages).load({ parentId: `${alias.modelId}/${alias.alias}`, args: page }));
  }
}

@Resolver(() => ModelAliasEvent)
export class ModelAliasEventResolver {
  @FieldResolver(() => ModelVersion, {
    nullable: true,
    description: 'The version it pointed at before; null when the alias was new, or once that version was deleted.',
  })
  async from(@Root() event: ModelAliasEventRow, @Ctx() ctx: GraphQLContext) {
    return event.fromModelVersionId ? ctx.loaders.get(modelVersionById).load(event.fromModelVersionId) : null;
  }

  @FieldResolver(() => ModelVersion, {
    nullable: true,
    description: 'The version it points at after the move; null when the alias was deleted, or once that version was deleted.',
  })
  async to(@Root() event: ModelAliasEventRow, @Ctx() ctx: GraphQLContext) {
    return event.toModelVersionId ? ctx.loaders.get(modelVersionById).load(event.toModelVersionId) : null;
  }
}
