import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { RunKindEnum, RunStatusEnum, StepEngineEnum } from '../common/enums';
import { TrainingBackendEnum } from './training-hyperparameters.type';
import { Node } from '../common/node.type';

@ObjectType({ description: 'Metrics of one split at the end of an epoch; null where not reported (or not finite).' })
export class EpochMetrics {
  @Field(() => Float, { nullable: true }) loss!: number | null;
  @Field(() => Float, { nullable: true, description: 'Classification.' }) accuracy!: number | null;
  @Field(() => Float, { nullable: true, description: 'Regression: mean absolute error.' }) mae!: number | null;
  @Field(() => Float, { nullable: true, description: 'Regression: root mean squared error.' }) rmse!: number | null;
}

@ObjectType({ description: 'One finished epoch of a run.' })
export class RunEpoch {
  @Field(() => Int, { description: '1-based.' }) epoch!: number;
  @Field(() => EpochMetrics) train!: EpochMetrics;
  @Field(() => EpochMetrics, { nullable: true, description: 'Null without a validation split.' }) validation!: EpochMetrics | null;
  @Field(() => Float, {
    description:
      "Wall time of this epoch alone (ms): its training batches and its validation pass. For epochs recorded before this field existed: the gap between this epoch's elapsedMs and the previous one's, which also counts storing the previous epoch (a few ms).",
  })
  epochMs!: number;
  @Field(() => Float, {
    description:
      'Wall time since training started (ms), up to the end of this epoch: the sum of epochMs so far plus storing each epoch. Backend selection and data loading come before it and are not counted.',
  })
  elapsedMs!: number;
  @Field(() => Float, { description: 'Training rows per second during this epoch (training rows / epochMs).' }) samplesPerSecond!: number;
  @Field() recordedAt!: Date;
}

@ObjectType({ description: "One value of a metric over a run (MLflow's metric history)." })
export class MetricPoint {
  @Field(() => Int) epoch!: number;
  @Field(() => Float, { nullable: true, description: 'Null when the value was not finite (a diverged loss).' }) value!: number | null;
  @Field() recordedAt!: Date;
}

@ObjectType({ description: "A run's epochs, oldest first." })
export class RunEpochConnection extends Connection(RunEpoch, 'RunEpoch') {}

@ObjectType({ description: "A metric's values over a run, oldest epoch first." })
export class MetricPointConnection extends Connection(MetricPoint, 'MetricPoint') {}

@ObjectType({ description: 'Where a run trained: what a reader needs to reproduce it.' })
export class TrainingEnvironment {
  @Field(() => TrainingBackendEnum, { description: 'The engine the run trained on: CPU, TENSORFLOW or TENSORFLOW_COMPILED (never AUTO).' })
  backend!: TrainingBackendEnum;
  @Field(() => StepEngineEnum, { nullable: true, description: 'Null for runs recorded before compiled steps existed.' })
  stepEngine!: StepEngineEnum | null;
  @Field({ description: 'Why that backend: requested, or the AUTO timings.' }) backendReason!: string;
  @Field() tfjsVersion!: string;
  @Field(() => String, { nullable: true, description: 'Null on the pure-JS backend.' }) libtensorflowVersion!: string | null;
  @Field() nodeVersion!: string;
  @Field() cpuModel!: string;
  @Field(() => Int) cpuCores!: number;
  @Field({ description: 'Operating system and architecture, e.g. linux-x64.' }) platform!: string;
}

export enum RunWarningCodeEnum {
  FEW_GRADIENT_STEPS = 'FEW_GRADIENT_STEPS',
}
registerEnumType(RunWarningCodeEnum, {
  name: 'RunWarningCode',
  valuesConfig: {
    FEW_GRADIENT_STEPS: { description: 'The settings give fewer than 100 gradient steps (epochs x batches per epoch): the model is likely to underfit.' },
  },
});

@ObjectType({ description: "Something about a run's settings its starter should know; the run trains anyway." })
export class RunWarning {
  @Field(() => RunWarningCodeEnum) code!: RunWarningCodeEnum;
  @Field({ description: 'What was found and what to change, e.g. the steps the settings give.' }) message!: string;
}

@ObjectType({ implements: Node, description: 'A unit of work on the job queue: a training run (or an optimization study, one of its trials, an evaluation).' })
export class Run {
  @Field(() => ID) id!: string;
  @Field(() => RunKindEnum) kind!: RunKindEnum;
  @Field(() => RunStatusEnum) status!: RunStatusEnum;
  @Field(() => ID) modelId!: string;
  @Field(() => ID) datasetVersionId!: string;
  @Field(() => String, { nullable: true, description: 'Why that backend was chosen.' }) backendReason!: string | null;
  @Field(() => String, { nullable: true, description: 'Why the run failed.' }) error!: string | null;
  @Field(() => Int, { description: 'Times a worker claimed the run (more than 1 after a crash re-queue).' }) attempts!: number;
  @Field({ description: 'A cancel was asked for; the worker stops between batches.' }) cancelRequested!: boolean;
  @Field() createdAt!: Date;
  @Field(() => String, {
    nullable: true,
    description: "Who started it: the API key's name, `mlplane` for a study's trials; null for runs started before keys existed.",
  })
  startedBy!: string | null;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When its study was archived (studies and their trials); null otherwise. Archived runs leave `runs` unless `includeArchived: true`.',
  })
  archivedAt!: Date | null;
}

@ObjectType()
export class RunConnection extends Connection(Run, 'Run') {}

export enum RunProgressTypeEnum {
  EPOCH = 'EPOCH',
  STATUS = 'STATUS',
}
registerEnumType(RunProgressTypeEnum, { name: 'RunProgressType' });

@ObjectType({ description: "One event of `runProgress`: a finished epoch, or a change of the run's status." })
export class RunProgress {
  @Field(() => RunProgressTypeEnum) type!: RunProgressTypeEnum;
  @Field(() => RunEpoch, { nullable: true, description: 'The epoch (EPOCH events only).' }) epoch!: RunEpoch | null;
  @Field(() => RunStatusEnum, { description: "The run's status as of this event: the new one for STATUS events." }) status!: RunStatusEnum;
  @Field(() => ID) runId!: string;
  /** The run as the stream read it for this event (not a GraphQL field: `RunProgress.run` serves it). */
  snapshot?: unknown;
}
