import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { StepEngineEnum } from '../common/enums';

export enum StopReasonEnum {
  COMPLETED = 'COMPLETED',
  EARLY_STOPPING = 'EARLY_STOPPING',
  CANCELLED = 'CANCELLED',
  NON_FINITE_LOSS = 'NON_FINITE_LOSS',
}
registerEnumType(StopReasonEnum, {
  name: 'StopReason',
  description: 'Why training ended: every epoch ran, early stopping, a cancel (or the memory limit), or a loss that stopped being finite.',
});

@ObjectType({ description: 'Rows of each split of the dataset version.' })
export class SplitSizes {
  @Field(() => Int) train!: number;
  @Field(() => Int) validation!: number;
  @Field(() => Int) test!: number;
}

@ObjectType({ description: "Where a run's time went, in milliseconds." })
export class RunTimings {
  @Field(() => Float, { description: 'Reading the dataset version.' }) loadMs!: number;
  @Field(() => Float, { description: 'The training pipeline: preprocessing, training, test evaluation.' }) pipelineMs!: number;
  @Field(() => Float, { description: 'Training itself (part of the pipeline).' }) trainingMs!: number;
  @Field(() => Float, { description: 'Permutation feature importance, after the pipeline.' }) importanceMs!: number;
}

@ObjectType({ description: 'TensorBoard event files of a run (MLPLANE_TENSORBOARD_DIR).' })
export class TensorboardOutcome {
  @Field() written!: boolean;
  @Field(() => String, { nullable: true, description: 'Where they were written.' }) dir!: string | null;
  @Field(() => String, { nullable: true, description: 'Why none were written.' }) reason!: string | null;
}

@ObjectType({
  description:
    "How a training run's training went; fields are null when the run did not record them (runs stored before they existed). Its test metrics are its model version's TEST evaluation.",
})
export class RunSummary {
  @Field(() => Int, { nullable: true }) epochsRun!: number | null;
  @Field(() => StopReasonEnum, { nullable: true }) stopReason!: StopReasonEnum | null;
  @Field(() => String, { nullable: true, description: 'The stop in words (the monitor and its best value, the non-finite loss, ...).' }) stopDetail!:
    string | null;
  @Field(() => Int, { nullable: true, description: 'The epoch with the best monitored value (early stopping).' }) bestEpoch!: number | null;
  @Field(() => Boolean, { nullable: true, description: "Whether the best epoch's weights were put back." }) restoredBestWeights!: boolean | null;
  @Field(() => Int, { nullable: true, description: 'Rows per gradient step as trained (the training rows for full batch).' }) batchSize!: number | null;
  @Field(() => StepEngineEnum, { nullable: true }) stepEngine!: StepEngineEnum | null;
  @Field(() => Float, { nullable: true, description: 'Training time in milliseconds.' }) durationMs!: number | null;
  @Field(() => SplitSizes, { nullable: true }) splitSizes!: SplitSizes | null;
  @Field(() => RunTimings, { nullable: true }) timings!: RunTimings | null;
  @Field(() => TensorboardOutcome, { nullable: true }) tensorboard!: TensorboardOutcome | null;
}

@ObjectType({ description: 'What an ended study counted, and its best trial.' })
export class StudySummary {
  @Field(() => Int) trialCount!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) pruned!: number;
  @Field(() => Int) failed!: number;
  @Field({ description: 'A GRID study ran out of points before maxTrials.' }) exhausted!: boolean;
  @Field(() => ID, { nullable: true, description: "The best trial's run." }) bestTrialId!: string | null;
  @Field(() => Int, { nullable: true }) bestTrialNumber!: number | null;
  @Field(() => Float, { nullable: true }) bestValue!: number | null;
  @Field(() => ID, { nullable: true }) bestModelVersionId!: string | null;
}
