import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ExplanationMethodEnum } from '../common/enums';
import { Node } from '../common/node.type';

@InputType({ description: 'The value of one feature: a number for a numeric feature, a category for a categorical one, neither when missing.' })
export class FeatureValueInput {
  @Field() feature!: string;
  @Field(() => Float, { nullable: true }) number?: number | null;
  @Field(() => String, { nullable: true, description: 'A category seen in training.' }) category?: string | null;
}

@InputType({ description: 'One instance: every feature of the model once (a missing value imputed as in training), no other.' })
export class InstanceInput {
  @Field(() => [FeatureValueInput]) values!: FeatureValueInput[];
}

/** Why the JSON forms of instances are deprecated. */
const JSON_INSTANCE_DEPRECATION = 'Use features: typed feature values.';

@InputType({ description: 'Give features or, deprecated, instances: exactly one of them.' })
export class PredictInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => [InstanceInput], { nullable: true, description: 'At most 1,000 instances.' })
  features?: InstanceInput[] | null;
  @Field(() => [GraphQLJSONObject], {
    nullable: true,
    deprecationReason: JSON_INSTANCE_DEPRECATION,
    description:
      'At most 1,000 objects of feature values: every feature present (null = missing, imputed as in training), no other keys, numbers for numeric features, strings for categorical ones (categories seen in training only).',
  })
  instances?: Record<string, unknown>[] | null;
  @Field(() => String, {
    nullable: true,
    description: 'Chooses stable or canary by a stable hash, and names the request for recordActuals; a new UUID (version 7, time-ordered) when omitted.',
  })
  requestKey?: string | null;
}

/**
 * The answer types of `predict` have plain property fields and no rules of their own (the operation
 * carries the rule): `simpleResolvers` lets graphql-js read them directly instead of through
 * type-graphql's per-field wrapper, which a 100-row answer calls about 700 times.
 */
const PLAIN_FIELDS = { simpleResolvers: true } as const;

@ObjectType(PLAIN_FIELDS)
export class ClassProbability {
  @Field() label!: string;
  @Field(() => Float) probability!: number;
}

@ObjectType({ ...PLAIN_FIELDS, implements: Node, description: 'The answer for one instance: label and probabilities (classification) or value (regression).' })
export class InstancePrediction {
  @Field(() => ID, { description: 'The stored prediction, for recordActuals.' }) id!: string;
  @Field(() => Int, { description: 'Position of the instance in the request.' }) index!: number;
  @Field(() => String, { nullable: true }) label!: string | null;
  @Field(() => [ClassProbability], { nullable: true, description: "Every class, in the model's class order." }) probabilities!: ClassProbability[] | null;
  @Field(() => Float, { nullable: true }) value!: number | null;
}

@ObjectType({ ...PLAIN_FIELDS, description: 'Predictions of one request; all are stored before this answer is sent.' })
export class PredictPayload {
  @Field() requestKey!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { description: 'The version that served the request.' }) modelVersionId!: string;
  @Field({ description: 'Whether the canary served it.' }) canary!: boolean;
  @Field(() => [InstancePrediction]) predictions!: InstancePrediction[];
}

@InputType({
  description:
    'A true label or value for one earlier prediction: give predictionId, or the requestKey of a one-instance request; and exactly one of label, value and (deprecated) actual.',
})
export class ActualInput {
  @Field(() => ID, { nullable: true }) predictionId?: string | null;
  @Field(() => String, { nullable: true }) requestKey?: string | null;
  @Field(() => String, { nullable: true, description: 'Classification: the true class.' }) label?: string | null;
  @Field(() => Float, { nullable: true, description: 'Regression: the true value (a classifier reads it as the class of that name).' })
  value?: number | null;
  @Field(() => GraphQLJSON, {
    nullable: true,
    deprecationReason: 'Use label (classification) or value (regression).',
    description: 'A class (string or number) or a number (regression).',
  })
  actual?: unknown;
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

@InputType({ description: 'Give features or, deprecated, instance: exactly one of them.' })
export class ExplainPredictionInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => InstanceInput, { nullable: true, description: 'One instance, checked as predict checks features.' }) features?: InstanceInput | null;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    deprecationReason: JSON_INSTANCE_DEPRECATION,
    description: 'One instance, checked as predict checks instances.',
  })
  instance?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'Picks stable or canary as predict would; the stable version when omitted.' }) requestKey?: string | null;
  @Field(() => String, { nullable: true, description: 'Multiclass only: the class whose probability is explained (default the predicted class).' })
  classLabel?: string | null;
}

@ObjectType()
export class FeatureAttribution {
  @Field() feature!: string;
  @Field(() => Float) attribution!: number;
}

@ObjectType({ description: 'Why the model answered as it did for one instance: attributions that sum to output - baselineOutput.' })
export class PredictionExplanation {
  @Field(() => ExplanationMethodEnum)
  method!: ExplanationMethodEnum;
  @Field(() => ID) modelVersionId!: string;
  @Field(() => String, { nullable: true, description: 'The class whose probability is explained (classification).' }) label?: string | null;
  @Field(() => Float, { description: 'The explained probability, or the value in label units (regression).' }) output!: number;
  @Field(() => Float) baselineOutput!: number;
  @Field(() => [FeatureAttribution], { description: 'One per feature, in the feature schema order; a categorical feature sums its one-hot inputs.' })
  attributions!: FeatureAttribution[];
  @Field(() => Float, { description: '|sum of attributions - (output - baselineOutput)|.' }) completenessError!: number;
  @Field(() => Int, { description: 'Path steps of the integral.' }) steps!: number;
}
