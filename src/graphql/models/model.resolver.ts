import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ValidationError } from '../../domain/errors';
import type { Model as DomainModel } from '../../domain/models/model';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { datasetById } from '../datasets/dataset.loaders';
import { Dataset } from '../datasets/dataset.type';
import { modelAliasPages, aliasHistoryPages, modelVersionPages } from '../model-versions/model-version.loaders';
import {
  ModelAliasConnection,
  ModelAliasEventConnection,
  ModelVersion,
  ModelVersionConnection,
  ModelVersionKindEnum,
} from '../model-versions/model-version.type';
import { CreateModelInput, fromTfjsActivation, Layer, Model, ModelConnection, toTfjsActivation } from './model.type';
import { Allow } from '../auth/access';

@Resolver(() => Model)
export class ModelResolver {
  @Allow('VIEWER')
  @Query(() => ModelConnection, { description: 'Models, newest first; archived ones only with `includeArchived: true`.' })
  async models(@Ctx() ctx: GraphQLContext, @Args() page: PageArgs, @Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived?: boolean) {
    return toConnection(await ctx.services.models.listModels(page, { includeArchived }));
  }

  @Allow('VIEWER')
  @Query(() => Model, { nullable: true, description: 'One model, by id or by name.' })
  async model(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { nullable: true }) id?: string, @Arg('name', () => String, { nullable: true }) name?: string) {
    return ctx.services.models.findModel({ id, name });
  }

  @Allow('EDITOR')
  @Mutation(() => Model, { description: "Defines a model: hidden layers on the dataset's features, output layer derived from the task unless given." })
  async createModel(@Ctx() ctx: GraphQLContext, @Arg('input') input: CreateModelInput) {
    return ctx.services.models.createModel({
      name: input.name,
      datasetId: input.datasetId,
      task: input.task,
      layers: input.layers.map((layer) => ({ ...layer, activation: toTfjsActivation(layer.activation) })),
      outputLayer: input.outputLayer ? { ...input.outputLayer, activation: toTfjsActivation(input.outputLayer.activation) } : null,
    });
  }

  @FieldResolver(() => [Layer], { description: 'Hidden layers, input side first.' })
  layers(@Root() model: DomainModel): Layer[] {
    return model.architecture.layers.map((layer) => ({
      units: layer.units,
      activation: fromTfjsActivation(layer.activation),
      dropout: layer.dropout ?? null,
      l2: layer.l2 ?? null,
    }));
  }

  @FieldResolver(() => Layer, { nullable: true, description: 'The output layer as given; null when derived from the task at training time.' })
  outputLayer(@Root() model: DomainModel): Layer | null {
    const output = model.architecture.outputLayer;
    return output ? { units: output.units ?? 0, activation: fromTfjsActivation(output.activation), dropout: null, l2: null } : null;
  }

  @FieldResolver(() => Dataset)
  async dataset(@Root() model: DomainModel, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(datasetById).load(model.datasetId);
  }

  @FieldResolver(() => ModelVersionConnection, {
    description:
      "Trained versions: by default the standard ones that are not archived, highest number first. Study trials' versions come with `kinds: [TRIAL]`; several kinds are listed newest first.",
  })
  async versions(
    @Root() model: DomainModel,
    @Ctx() ctx: GraphQLContext,
    @Args() page: PageArgs,
    @Arg('kinds', () => [ModelVersionKindEnum], { nullable: true, description: 'Which kinds; [STANDARD] when omitted or empty.' })
    kinds?: ModelVersionKindEnum[] | null,
    @Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived?: boolean,
  ) {
    return toConnection(
      await ctx.loaders.get(modelVersionPages).load({ parentId: model.id, args: { ...page, kinds: kinds ?? null, includeArchived: includeArchived ?? false } }),
    );
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'One version, by alias (e.g. production) or by its standard number: give exactly one.' })
  async version(
    @Root() model: DomainModel,
    @Ctx() ctx: GraphQLContext,
    @Arg('alias', () => String, { nullable: true }) alias?: string | null,
    @Arg('version', () => Int, { nullable: true }) version?: number | null,
  ) {
    if ((alias == null) === (version == null)) {
      throw new ValidationError('give exactly one of alias and version', { field: alias == null ? 'alias' : 'version' });
    }
    if (alias != null) return ctx.services.modelVersions.resolveAlias(model.id, alias);
    if (version == null) throw new ValidationError('give exactly one of alias and version', { field: 'version' });
    return ctx.services.modelVersions.findVersionByNumber(model.id, version);
  }

  @FieldResolver(() => ModelAliasConnection, { description: 'Where each alias points now, by name.' })
  async aliases(@Root() model: DomainModel, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(modelAliasPages).load({ parentId: model.id, args: page }));
  }

  @FieldResolver(() => ModelAliasEventConnection, { description: 'Every move of the aliases (or of one alias), newest first.' })
  async aliasHistory(
    @Root() model: DomainModel,
    @Ctx() ctx: GraphQLContext,
    @Args() page: PageArgs,
    @Arg('alias', () => String, { nullable: true }) alias?: string | null,
  ) {
    return toConnection(await ctx.loaders.get(aliasHistoryPages).load({ parentId: model.id, args: { ...page, alias: alias ?? null } }));
  }
}
