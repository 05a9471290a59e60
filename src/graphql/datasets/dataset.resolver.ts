import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ColumnTypeOverrides } from '../../domain/datasets/column-typing';
import { NotFoundError } from '../../domain/errors';
import type { EventPayloads } from '../../services/events/event-publisher';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { datasetById, datasetVersionPages } from './dataset.loaders';
import { CreateDatasetInput, CreateDatasetVersionInput, SplitInput } from './dataset.input';
import {
  DatasetIngestProgress,
  IngestPhaseEnum,
  CreateDatasetPayload,
  CreateDatasetVersionPayload,
  Dataset,
  DatasetConnection,
  DatasetRow,
  DatasetSplit,
  DatasetVersion,
  DatasetVersionConnection,
} from './dataset.type';
import { Allow } from '../auth/access';

function overrides(input: CreateDatasetInput): ColumnTypeOverrides | undefined {
  if (!input.columnTypes) return undefined;
  return Object.fromEntries(input.columnTypes.map((entry) => [entry.column, entry.type]));
}

@Resolver(() => Dataset)
export class DatasetResolver {
  @Allow('VIEWER')
  @Query(() => DatasetConnection, { description: 'Datasets, newest first; archived ones only with `includeArchived: true`.' })
  async datasets(
    @Ctx() ctx: GraphQLContext,
    @Args() page: PageArgs,
    @Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived?: boolean,
  ) {
    return toConnection(await ctx.services.datasets.listDatasets(page, { includeArchived }));
  }

  @Allow('VIEWER')
  @Query(() => Dataset, { nullable: true, description: 'One dataset, by id or by name.' })
  async dataset(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { nullable: true }) id?: string,
    @Arg('name', () => String, { nullable: true }) name?: string,
  ) {
    return ctx.services.datasets.findDataset({ id, name });
  }

  @Allow('EDITOR')
  @Mutation(() => CreateDatasetPayload, { description: 'Creates a dataset and its first version from CSV text.' })
  async createDataset(@Ctx() ctx: GraphQLContext, @Arg('input') input: CreateDatasetInput) {
    return ctx.services.datasets.createDataset({ ...input, columnTypes: overrides(input) });
  }

  @Allow('EDITOR')
  @Mutation(() => CreateDatasetVersionPayload, { description: 'Adds an immutable version; identical content returns the existing version.' })
  async createDatasetVersion(@Ctx() ctx: GraphQLContext, @Arg('input') input: CreateDatasetVersionInput) {
    return ctx.services.datasets.createDatasetVersion(input);
  }

  @FieldResolver(() => DatasetVersionConnection, { description: 'Versions, newest first.' })
  async versions(@Root() dataset: Dataset, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(datasetVersionPages).load({ parentId: dataset.id, args: page }));
  }

  @FieldResolver(() => DatasetVersion)
  async latestVersion(@Root() dataset: Dataset, @Ctx() ctx: GraphQLContext) {
    const newest = await ctx.loaders.get(datasetVersionPages).load({ parentId: dataset.id, args: { first: 1 } });
    return newest.items[0];
  }

  @Allow('VIEWER')
  @Subscription(() => DatasetIngestProgress, {
    topics: 'datasetIngestProgress',
    topicId: ({ args }: { args: { uploadId: string } }) => args.uploadId,
    description: 'Progress of one upload to POST /datasets/{name}/versions (subscribe with the uploadId you send), from any API process.',
  })
  datasetIngestProgress(@Root() event: EventPayloads['datasetIngestProgress'], @Arg('uploadId', () => ID) _uploadId: string): DatasetIngestProgress {
    return {
      uploadId: event.uploadId,
      phase: event.phase as IngestPhaseEnum,
      bytesReceived: event.bytesReceived,
      totalBytes: event.totalBytes,
      datasetId: event.datasetId ?? null,
      datasetVersionId: event.datasetVersionId ?? null,
      message: event.message ?? null,
      code: event.code ?? null,
    };
  }

  @Allow('VIEWER')
  @Subscription(() => Dataset, { topics: 'datasetCreated', description: 'Every dataset created, by any API process.' })
  async datasetCreated(@Root() event: EventPayloads['datasetCreated'], @Ctx() ctx: GraphQLContext) {
    const dataset = await ctx.services.datasets.findDataset({ id: event.id });
    if (!dataset) throw new NotFoundError('dataset', event.id);
    return dataset;
  }
}

@Resolver(() => DatasetVersion)
export class DatasetVersionResolver {
  @Allow('VIEWER')
  @Query(() => DatasetVersion, { nullable: true })
  async datasetVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.datasets.findVersion(id);
  }

  @FieldResolver(() => Dataset)
  async dataset(@Root() version: DatasetVersion, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.get(datasetById).load(version.datasetId);
  }

  @FieldResolver(() => [DatasetRow], { description: 'A preview of rows offset..offset+limit-1 (limit at most 1,000), each with its values in column order.' })
  async rows(
    @Root() version: DatasetVersion,
    @Ctx() ctx: GraphQLContext,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Arg('limit', () => Int, { defaultValue: 20 }) limit: number,
  ) {
    return ctx.services.datasets.previewRows(version.id, offset, limit);
  }

  @FieldResolver(() => DatasetSplit, {
    description: 'The deterministic split of the rows: same fractions and seed, same rows. Stratified by class for classification.',
  })
  async split(@Root() version: DatasetVersion, @Ctx() ctx: GraphQLContext, @Arg('input', () => SplitInput) input: SplitInput) {
    const { seed, ...fractions } = input;
    const split = await ctx.services.datasets.split(version.id, fractions, seed);
    return { train: Array.from(split.train), validation: Array.from(split.validation), test: Array.from(split.test) };
  }
}
