import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { Params } from '../../domain/optimization/trial';
import type { SearchParameter as DomainSearchParameter } from '../../domain/optimization/search-space';
import { OptimizerEnum } from '../runs/training-hyperparameters.type';
import { SearchParameterKindEnum } from './study.input';

@ObjectType({ description: 'Sampled values of one hidden layer (the search space names it units[index] or dropout[index]).' })
export class TrialLayerParameters {
  @Field(() => Int, { description: 'The hidden layer, from 0.' }) index!: number;
  @Field(() => Int, { nullable: true }) units!: number | null;
  @Field(() => Float, { nullable: true }) dropout!: number | null;
}

@ObjectType({ description: "The hyperparameters a trial sampled; null where the search space does not tune it (the study's base value applies)." })
export class TrialParameters {
  @Field(() => Float, { nullable: true }) learningRate!: number | null;
  @Field(() => Int, { nullable: true }) batchSize!: number | null;
  @Field(() => Int, { nullable: true }) epochs!: number | null;
  @Field(() => OptimizerEnum, { nullable: true }) optimizer!: OptimizerEnum | null;
  @Field(() => [TrialLayerParameters], { description: 'Tuned hidden layers, by index.' }) layers!: TrialLayerParameters[];
}

@ObjectType({ description: 'One tuned hyperparameter of a study and its distribution, as validated.' })
export class SearchParameter {
  @Field({ description: 'learningRate, batchSize, optimizer, epochs, units[i] or dropout[i].' }) name!: string;
  @Field(() => SearchParameterKindEnum) kind!: SearchParameterKindEnum;
  @Field(() => [Float], { nullable: true, description: 'CHOICE of numbers: the choices.' }) values!: number[] | null;
  @Field(() => [OptimizerEnum], { nullable: true, description: 'CHOICE of optimizer: the choices.' }) optimizers!: OptimizerEnum[] | null;
  @Field(() => Float, { nullable: true, description: 'Numeric kinds: inclusive lower bound.' }) low!: number | null;
  @Field(() => Float, { nullable: true, description: 'Numeric kinds: inclusive upper bound.' }) high!: number | null;
  @Field(() => Int, { nullable: true, description: 'Integer kinds.' }) step!: number | null;
  @Field(() => Int, { nullable: true, description: 'GRID: points taken from a numeric range.' }) gridPoints!: number | null;
}

const LAYER_PARAMETER = /^(units|dropout)\[(\d+)\]$/;

/** A trial's parameters (keyed `learningRate`, `units[0]`, ...) as the typed object. */
export function toTrialParameters(params: Params): TrialParameters {
  const layers = new Map<number, TrialLayerParameters>();
  const number = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  for (const [name, value] of Object.entries(params)) {
    const match = LAYER_PARAMETER.exec(name);
    if (!match) continue;
    const index = Number(match[2]);
    const layer = layers.get(index) ?? { index, units: null, dropout: null };
    layer[match[1] as 'units' | 'dropout'] = number(value);
    layers.set(index, layer);
  }
  const optimizer = Object.values(OptimizerEnum).find((value) => value === params.optimizer) ?? null;
  return {
    learningRate: number(params.learningRate),
    batchSize: number(params.batchSize),
    epochs: number(params.epochs),
    optimizer,
    layers: [...layers.values()].sort((a, b) => a.index - b.index),
  };
}

/** A validated search parameter as the typed object. */
export function toSearchParameter(parameter: DomainSearchParameter): SearchParameter {
  const base = {
    name: parameter.name,
    kind: parameter.kind as SearchParameterKindEnum,
    values: null,
    optimizers: null,
    low: null,
    high: null,
    step: null,
    gridPoints: null,
  };
  if (parameter.kind === 'CHOICE') {
    const optimizers = parameter.values.filter((value): value is OptimizerEnum => Object.values(OptimizerEnum).some((member) => member === value));
    return parameter.name === 'optimizer'
      ? { ...base, optimizers }
      : { ...base, values: parameter.values.filter((value): value is number => typeof value === 'number') };
  }
  return { ...base, low: parameter.low, high: parameter.high, step: 'step' in parameter ? parameter.step : null, gridPoints: parameter.gridPoints ?? null };
}
