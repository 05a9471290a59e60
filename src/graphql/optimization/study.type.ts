import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { RunStatusEnum } from '../common/enums';
import { ObjectiveDirectionEnum, PruningKindEnum, SearchStrategyEnum } from './study.input';
import { Node } from '../common/node.type';
import { TrialParameters } from './study-parameters';

export enum TrialStateEnum {
  RUNNING = 'RUNNING',
  COMPLETE = 'COMPLETE',
  PRUNED = 'PRUNED',
  FAILED = 'FAILED',
}
registerEnumType(TrialStateEnum, {
  name: 'TrialState',
  description:
    'RUNNING: queued or training. COMPLETE: trained to the end, has an objective. PRUNED: stopped early by the pruner (its run ends SUCCEEDED with summary.pruned). FAILED: failed or cancelled.',
});

export enum StudyProgressTypeEnum {
  STUDY_STATUS = 'STUDY_STATUS',
  TRIAL_QUEUED = 'TRIAL_QUEUED',
  TRIAL_STARTED = 'TRIAL_STARTED',
  TRIAL_EPOCH = 'TRIAL_EPOCH',
  TRIAL_FINISHED = 'TRIAL_FINISHED',
  TRIAL_PRUNED = 'TRIAL_PRUNED',
}
registerEnumType(StudyProgressTypeEnum, { name: 'StudyProgressType' });

@ObjectType()
export class StudyObjective {
  @Field() metric!: string;
  @Field(() => ObjectiveDirectionEnum) direction!: ObjectiveDirectionEnum;
}

@ObjectType()
export class StudyPruning {
  @Field(() => PruningKindEnum) kind!: PruningKindEnum;
  @Field(() => Int) warmupEpochs!: number;
  @Field(() => Int) startupTrials!: number;
}

@ObjectType({ description: 'The objective after one epoch of a trial.' })
export class IntermediateValue {
  @Field(() => Int) epoch!: number;
  @Field(() => Float) value!: number;
}

@ObjectType({ description: 'One trial of a study: a TRIAL run training the model with sampled hyperparameters.' })
export class Trial {
  @Field(() => Int, { description: '0-based creation order in the study.' }) number!: number;
  @Field(() => TrialStateEnum) state!: TrialStateEnum;
  @Field(() => TrialParameters, { description: 'The sampled hyperparameters.' }) params!: TrialParameters;
  @Field(() => Float, { nullable: true, description: 'The final objective (COMPLETE trials).' }) value!: number | null;
  @Field({ description: 'Whether the pruner stopped the trial.' }) pruned!: boolean;
  @Field(() => String, { nullable: true, description: 'Why the trial was pruned.' }) pruneReason!: string | null;
  @Field(() => [IntermediateValue], { description: 'The objective after each epoch so far.' }) intermediateValues!: IntermediateValue[];
  @Field(() => ID) runId!: string;
}

@ObjectType({ description: "A study's trials, in trial-number order." })
export class TrialConnection extends Connection(Trial, 'Trial') {}

@ObjectType({ description: 'A completed trial ranked by the objective (best first; ties keep trial order).' })
export class LeaderboardEntry {
  @Field(() => Int, { description: '1-based.' }) rank!: number;
  @Field(() => Int) trialNumber!: number;
  @Field(() => Float) value!: number;
  @Field(() => TrialParameters) params!: TrialParameters;
  @Field(() => ID) trialRunId!: string;
}

@ObjectType({ implements: Node, description: 'A hyperparameter optimization study (an OPTIMIZATION run) and its trials.' })
export class Study {
  @Field(() => ID) id!: string;
  @Field(() => RunStatusEnum) status!: RunStatusEnum;
  @Field(() => ID) modelId!: string;
  @Field(() => ID) datasetVersionId!: string;
  @Field(() => StudyObjective) objective!: StudyObjective;
  @Field(() => SearchStrategyEnum) strategy!: SearchStrategyEnum;
  @Field(() => Int) maxTrials!: number;
  @Field(() => Int) parallelism!: number;
  @Field(() => StudyPruning) pruning!: StudyPruning;
  @Field(() => Int) seed!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => String, { nullable: true, description: "The API key's name that started the study." }) startedBy!: string | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When it was archived (with its trial runs); null while it is not. Archived studies leave `runs` unless `includeArchived: true`.',
  })
  archivedAt!: Date | null;
}

@ObjectType({ description: 'One event of `studyProgress`, with the leaderboard as it is when the event is delivered.' })
export class StudyProgress {
  @Field(() => StudyProgressTypeEnum) type!: StudyProgressTypeEnum;
  @Field(() => ID) studyId!: string;
  @Field(() => RunStatusEnum, { description: "The study's status (STUDY_STATUS) or the trial's (trial events)." }) status!: RunStatusEnum;
  @Field(() => Int, { nullable: true, description: 'Trial events.' }) trialNumber!: number | null;
  @Field(() => ID, { nullable: true, description: 'Trial events.' }) trialRunId!: string | null;
  @Field(() => Int, { nullable: true, description: 'TRIAL_EPOCH: the epoch.' }) epoch!: number | null;
  @Field(() => Float, { nullable: true, description: 'TRIAL_EPOCH: the objective at that epoch; TRIAL_FINISHED: the final objective.' }) value!: number | null;
  @Field(() => String, { nullable: true, description: 'TRIAL_PRUNED: why.' }) pruneReason!: string | null;
}
