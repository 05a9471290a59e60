import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum DeletedKindEnum {
  DATASET = 'DATASET',
  DATASET_VERSION = 'DATASET_VERSION',
  MODEL = 'MODEL',
  MODEL_VERSION = 'MODEL_VERSION',
  EVALUATION = 'EVALUATION',
  MODEL_ALIAS = 'MODEL_ALIAS',
  MODEL_ALIAS_EVENT = 'MODEL_ALIAS_EVENT',
  RUN = 'RUN',
  ALERT = 'ALERT',
  DEPLOYMENT = 'DEPLOYMENT',
  DEPLOYMENT_EVENT = 'DEPLOYMENT_EVENT',
  PREDICTION = 'PREDICTION',
  DRIFT_REPORT = 'DRIFT_REPORT',
  ALERT_RULE = 'ALERT_RULE',
  API_KEY_GRANT = 'API_KEY_GRANT',
}
registerEnumType(DeletedKindEnum, {
  name: 'DeletedKind',
  description:
    'What a deletion removed rows of. RUN counts runs, studies and trials (with their epochs); ALERT counts alerts with their webhook deliveries; API_KEY_GRANT counts PREDICTOR keys that named the deleted deployment (the keys stay).',
});

@ObjectType({ description: 'How many rows of one kind a deletion removed.' })
export class DeletedCount {
  @Field(() => DeletedKindEnum) kind!: DeletedKindEnum;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'What a deletion removed: the entity and everything that belonged to it. Audit events are never deleted.' })
export class DeletionResult {
  @Field(() => ID, { description: 'The id of the deleted entity.' }) id!: string;
  @Field(() => [DeletedCount], { description: 'Every kind the deletion covers, the entity itself first, with counts (0 included).' }) deleted!: DeletedCount[];
}
