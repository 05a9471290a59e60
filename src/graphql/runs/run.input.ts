import { Field, ID, InputType } from 'type-graphql';
import { RunKindEnum, RunStatusEnum } from '../common/enums';
import { TrainingHyperparametersInput } from './training-hyperparameters.type';

@InputType()
export class StartTrainingRunInput {
  @Field(() => ID) modelId!: string;
  @Field(() => ID, { description: "A version of the model's dataset." }) datasetVersionId!: string;
  @Field(() => TrainingHyperparametersInput, { nullable: true, description: 'Omitted fields take their defaults.' })
  hyperparameters?: TrainingHyperparametersInput | null;
}

@InputType({ description: 'Every given field must match.' })
export class RunFilter {
  @Field(() => ID, { nullable: true }) modelId?: string | null;
  @Field(() => RunStatusEnum, { nullable: true }) status?: RunStatusEnum | null;
  @Field(() => RunKindEnum, { nullable: true }) kind?: RunKindEnum | null;
}
