import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Activation } from '../../ml/model-builder';
import { Connection } from '../common/connection.type';
import { TaskEnum } from '../common/enums';
import { Node } from '../common/node.type';

/** Layer activations; each value maps to a TensorFlow.js activation identifier. */
export enum ActivationEnum {
  RELU = 'RELU',
  RELU6 = 'RELU6',
  ELU = 'ELU',
  SELU = 'SELU',
  GELU = 'GELU',
  SWISH = 'SWISH',
  MISH = 'MISH',
  TANH = 'TANH',
  SIGMOID = 'SIGMOID',
  HARD_SIGMOID = 'HARD_SIGMOID',
  SOFTPLUS = 'SOFTPLUS',
  SOFTSIGN = 'SOFTSIGN',
  SOFTMAX = 'SOFTMAX',
  LINEAR = 'LINEAR',
}
registerEnumType(ActivationEnum, { name: 'Activation' });

const TO_TFJS: Record<ActivationEnum, Activation> = {
  RELU: 'relu',
  RELU6: 'relu6',
  ELU: 'elu',
  SELU: 'selu',
  GELU: 'gelu',
  SWISH: 'swish',
  MISH: 'mish',
  TANH: 'tanh',
  SIGMOID: 'sigmoid',
  HARD_SIGMOID: 'hardSigmoid',
  SOFTPLUS: 'softplus',
  SOFTSIGN: 'softsign',
  SOFTMAX: 'softmax',
  LINEAR: 'linear',
};
const FROM_TFJS = Object.fromEntries(Object.entries(TO_TFJS).map(([k, v]) => [v, k])) as Record<Activation, ActivationEnum>;

export const toTfjsActivation = (activation: ActivationEnum): Activation => TO_TFJS[activation];
export const fromTfjsActivation = (activation: Activation): ActivationEnum => FROM_TFJS[activation];

@ObjectType({ description: 'A dense layer.' })
export class Layer {
  @Field(() => Int) units!: number;
  @Field(() => ActivationEnum) activation!: ActivationEnum;
  @Field(() => Float, { nullable: true, description: 'Dropout rate after the layer.' }) dropout!: number | null;
  @Field(() => Float, { nullable: true, description: 'L2 penalty on the kernel.' }) l2!: number | null;
}

@ObjectType({ implements: Node })
export class Model {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => TaskEnum) task!: TaskEnum;
  @Field(() => ID) datasetId!: string;
  @Field() createdAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description: 'When it was archived; null while it is not. Archived things leave the default lists (`includeArchived: true` shows them).',
  })
  archivedAt!: Date | null;
}

@ObjectType()
export class ModelConnection extends Connection(Model, 'Model') {}

@InputType()
export class LayerInput {
  @Field(() => Int, { description: '1 to 4096.' }) units!: number;
  @Field(() => ActivationEnum) activation!: ActivationEnum;
  @Field(() => Float, { nullable: true, description: 'Dropout rate in [0, 1) after this layer.' }) dropout?: number;
  @Field(() => Float, { nullable: true, description: 'L2 penalty factor in [0, 1] on the kernel.' }) l2?: number;
}

@InputType()
export class OutputLayerInput {
  @Field(() => Int, { nullable: true, description: 'Defaults to 1, or the class count for multiclass.' }) units?: number;
  @Field(() => ActivationEnum) activation!: ActivationEnum;
}

@InputType()
export class CreateModelInput {
  @Field() name!: string;
  @Field(() => ID, { description: 'Dataset whose feature columns the model reads.' }) datasetId!: string;
  @Field(() => TaskEnum, { nullable: true, description: "Defaults to the dataset's task." }) task?: TaskEnum;
  @Field(() => [LayerInput], { description: 'Hidden layers, input side first (at most 20).' }) layers!: LayerInput[];
  @Field(() => OutputLayerInput, { nullable: true, description: 'Derived from the task when omitted: 1 sigmoid, k softmax, or 1 linear.' })
  outputLayer?: OutputLayerInput;
}
