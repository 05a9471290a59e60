import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { OptimizerEnum, TrainingHyperparametersInput } from '../runs/training-hyperparameters.type';

/** Values equal the domain's strategy names. */
export enum SearchStrategyEnum {
  GRID = 'GRID',
  RANDOM = 'RANDOM',
  TPE = 'TPE',
}
registerEnumType(SearchStrategyEnum, {
  name: 'SearchStrategy',
  description:
    'GRID: every point of the product of the parameter grids, in order. RANDOM: independent draws from each distribution. TPE: Tree-structured Parzen Estimator (random startup trials, then candidates from the good-trial density ranked by l(x)/g(x)).',
});

export enum ObjectiveDirectionEnum {
  MINIMIZE = 'MINIMIZE',
  MAXIMIZE = 'MAXIMIZE',
}
registerEnumType(ObjectiveDirectionEnum, { name: 'ObjectiveDirection' });

export enum SearchParameterKindEnum {
  CHOICE = 'CHOICE',
  UNIFORM = 'UNIFORM',
  LOG_UNIFORM = 'LOG_UNIFORM',
  INT_RANGE = 'INT_RANGE',
  INT_LOG_UNIFORM = 'INT_LOG_UNIFORM',
}
registerEnumType(SearchParameterKindEnum, {
  name: 'SearchParameterKind',
  description: 'How a parameter is distributed; the LOG kinds are searched in log space.',
});

export enum PruningKindEnum {
  MEDIAN = 'MEDIAN',
  NONE = 'NONE',
}
registerEnumType(PruningKindEnum, {
  name: 'PruningKind',
  description: 'MEDIAN stops a trial whose best objective so far is worse than the median of completed trials at the same epoch (after warm-up).',
});

@InputType({ description: 'The epoch metric a study optimizes.' })
export class ObjectiveInput {
  @Field({ description: 'loss, accuracy, mae, rmse, or their val_ forms (val_loss, val_accuracy, ...; these need a validation split).' })
  metric!: string;
  @Field(() => ObjectiveDirectionEnum) direction!: ObjectiveDirectionEnum;
}

@InputType({ description: 'One tuned hyperparameter and its distribution; a CHOICE gives exactly one of numbers, optimizers and (deprecated) values.' })
export class SearchParameterInput {
  @Field({ description: 'learningRate, batchSize, optimizer, epochs, units[i] or dropout[i] (i: hidden layer, from 0).' }) name!: string;
  @Field(() => SearchParameterKindEnum) kind!: SearchParameterKindEnum;
  @Field(() => [Float], { nullable: true, description: 'CHOICE of a numeric parameter: the choices.' }) numbers?: number[] | null;
  @Field(() => [OptimizerEnum], { nullable: true, description: 'CHOICE of optimizer: the choices.' }) optimizers?: OptimizerEnum[] | null;
  @Field(() => [GraphQLJSON], {
    nullable: true,
    deprecationReason: 'Use numbers, or optimizers for optimizer.',
    description: 'CHOICE only: numbers, or optimizer names for optimizer.',
  })
  values?: unknown[] | null;
  @Field(() => Float, { nullable: true, description: 'Numeric kinds: inclusive lower bound.' }) low?: number | null;
  @Field(() => Float, { nullable: true, description: 'Numeric kinds: inclusive upper bound.' }) high?: number | null;
  @Field(() => Int, { nullable: true, description: 'INT_RANGE only; defaults to 1.' }) step?: number | null;
  @Field(() => Int, { nullable: true, description: 'GRID only: evenly spaced points (log-spaced for LOG kinds); required for UNIFORM and LOG_UNIFORM.' })
  gridPoints?: number | null;
}

@InputType()
export class PruningInput {
  @Field(() => PruningKindEnum, { nullable: true, description: 'Defaults to MEDIAN.' }) kind?: PruningKindEnum | null;
  @Field(() => Int, { nullable: true, description: 'Epochs at the start of each trial never pruned; defaults to 1.' }) warmupEpochs?: number | null;
  @Field(() => Int, { nullable: true, description: 'Completed trials needed before anything is pruned; defaults to 5.' }) startupTrials?: number | null;
}

@InputType()
export class StartOptimizationInput {
  @Field(() => ID) modelId!: string;
  @Field(() => ID, { description: "A version of the model's dataset." }) datasetVersionId!: string;
  @Field(() => ObjectiveInput) objective!: ObjectiveInput;
  @Field(() => [SearchParameterInput]) searchSpace!: SearchParameterInput[];
  @Field(() => SearchStrategyEnum) strategy!: SearchStrategyEnum;
  @Field(() => Int, { description: 'Trials to run (a GRID study stops earlier when its grid is exhausted).' }) maxTrials!: number;
  @Field(() => Int, { nullable: true, description: 'Trials queued or running at once, spread over the worker processes; defaults to 1.' })
  parallelism?: number | null;
  @Field(() => PruningInput, { nullable: true }) pruning?: PruningInput | null;
  @Field(() => Int, {
    nullable: true,
    description: "Seeds the sampler, and the trials' training unless baseHyperparameters.seed is given; drawn when omitted.",
  })
  seed?: number | null;
  @Field(() => TrainingHyperparametersInput, { nullable: true, description: 'What every trial trains with before its sampled parameters are applied.' })
  baseHyperparameters?: TrainingHyperparametersInput | null;
}
