import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';

@InputType()
export class PredictInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => [GraphQLJSONObject], {
    description: 'At most 1,000 objects of feature values: every feature present (null = missing, imputed as in training), no other keys, numbers for numeric features, strings for categorical ones (categories seen in training only).',
  })
  instances!: Record<string, unknown>[];
  @Field(() => String, { nullable: true, description: 'Chooses stable or canary by a stable hash, and names the request for recordActuals; a new UUID when omitted.' })
  requestKey?: string | null;
}

@ObjectType()
export class ClassProbability {
  @Field() label!: string;
  @Field(() => Float) probability!: number;
}

@ObjectType({ description: 'The answer for one instance: label and probabilities (classification) or value (regression).' })
export class InstancePrediction {
  @Field(() => ID, { description: 'The stored prediction, for recordActuals.' }) id!: string;
  @Field(() => Int, { description: 'Position of the instance in the request.' }) index!: number;
  @Field(() => String, { nullable: true }) label!: string | null;
  @Field(() => [ClassProbability], { nullable: true, description: 'Every class, in the model\'s class order.' }) probabilities!: ClassProbability[] | null;
  @Field(() => Float, { nullable: true }) value!: number | null;
}

@ObjectType({ description: 'Predictions of one request; all are stored before this answer is sent.' })
export class PredictPayload {
  @Field() requestKey!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { description: 'The version that served the request.' }) modelVersionId!: string;
  @Field({ description: 'Whether the canary served it.' }) canary!: boolean;
  @Field(() => [InstancePrediction]) predictions!: InstancePrediction[];
}

@InputType({ description: 'A true label or value for one earlier prediction: give predictionId, or the requestKey of a one-instance request.' })
export class ActualInput {
  @Field(() => ID, { nullable: true }) predictionId?: string | null;
  @Field(() => String, { nullable: true }) requestKey?: string | null;
  @Field(() => GraphQLJSON, { description: 'A class (string or number) or a number (regression).' }) actual!: unknown;
}

@InputType()
export class RecordActualsInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => [ActualInput], { description: 'At most 1,000; recorded all or none.' }) actuals!: ActualInput[];
}

@ObjectType()
export class RecordActualsPayload {
  @Field(() => Int) recorded!: number;
}
