import { Field, Float, ID, InputType } from 'type-graphql';

@InputType()
export class SetModelVersionAliasInput {
  @Field(() => ID) modelVersionId!: string;
  @Field({ description: 'Lowercase letters, digits, - and _, starting with a letter (at most 63), e.g. production.' }) alias!: string;
}

@InputType()
export class DeleteModelVersionAliasInput {
  @Field({ description: 'Model id or name.' }) model!: string;
  @Field() alias!: string;
}

@InputType()
export class EvaluateModelVersionInput {
  @Field(() => ID) modelVersionId!: string;
  @Field(() => ID, { description: "Any dataset version with the model's feature columns and its label column; every row is evaluated." })
  datasetVersionId!: string;
  @Field(() => Float, { nullable: true, description: 'Binary classification decision threshold in (0, 1); defaults to 0.5.' })
  threshold?: number | null;
}
