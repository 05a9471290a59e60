import { createUnionType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { AlertKindAndDetails, JudgedWindow, PerformanceDropVersion as PerformanceDropVersionRecord } from '../../domain/alerts/alert-details';
import { RunKindEnum } from '../common/enums';
import { EvaluationSplitEnum } from '../model-versions/model-version.type';
import { FeatureDrift } from '../monitoring/drift-report.type';
import { toFeatureDrift } from '../monitoring/drift-report.resolver';

/** Every field of the evidence is nullable: alerts stored before a field existed still read. */
const OLD_ROWS = 'Each field is null when the stored evidence lacks it (an older alert).';

export enum PrimaryMetricEnum {
  ACCURACY = 'ACCURACY',
  R2 = 'R2',
}
registerEnumType(PrimaryMetricEnum, {
  name: 'PrimaryMetric',
  description: 'The metric a PERFORMANCE_DROP rule judges: accuracy (classification) or r2 (regression).',
});

@ObjectType({ description: `DATA_DRIFT: the drift report whose share of drifted features reached the deployment's limit. ${OLD_ROWS}` })
export class DataDriftAlertDetails {
  @Field(() => ID, { nullable: true }) reportId!: string | null;
  @Field(() => Float, { nullable: true, description: 'Share of the tested features that drifted.' }) driftShare!: number | null;
  @Field(() => [String], { nullable: true, description: "The features that drifted, in the report's order." }) driftedFeatures!: string[] | null;
  @Field(() => Int, { nullable: true, description: "Predictions in the report's window." }) windowSize!: number | null;
}

@ObjectType({ description: `PREDICTION_DRIFT: the drift report whose test of the model output drifted. ${OLD_ROWS}` })
export class PredictionDriftAlertDetails {
  @Field(() => ID, { nullable: true }) reportId!: string | null;
  @Field(() => FeatureDrift, { nullable: true, description: 'The model output tested against the reference.' }) prediction!: FeatureDrift | null;
  @Field(() => Int, { nullable: true }) windowSize!: number | null;
}

@ObjectType({ description: 'The window of labelled predictions a PERFORMANCE_DROP judged.' })
export class PerformanceDropWindow {
  @Field(() => Int, { nullable: true }) count!: number | null;
  @Field(() => Date, { nullable: true, description: 'Time of the oldest prediction in the window.' }) from!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Time of the newest prediction in the window.' }) to!: Date | null;
}

@ObjectType({ description: `One served version whose newest full window fell below the floor or dropped too far. ${OLD_ROWS}` })
export class PerformanceDropVersion {
  @Field(() => ID, { nullable: true }) modelVersionId!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Whether it was the canary version.' }) canary!: boolean | null;
  @Field(() => PrimaryMetricEnum, { nullable: true, description: 'The primary metric: ACCURACY, or R2 for regression.' }) metric!: PrimaryMetricEnum | null;
  @Field(() => Float, { nullable: true }) value!: number | null;
  @Field(() => Float, { nullable: true, description: 'The same metric on the baseline evaluation; null when the version has none.' }) baseline!: number | null;
  @Field(() => EvaluationSplitEnum, { nullable: true }) baselineSplit!: EvaluationSplitEnum | null;
  @Field(() => Float, { nullable: true, description: 'baseline - value.' }) drop!: number | null;
  @Field(() => Float, { nullable: true, description: "The deployment's performance floor, when set." }) floor!: number | null;
  @Field(() => Float, { nullable: true, description: "The rule's threshold: the largest tolerated drop." }) maxDrop!: number | null;
  @Field(() => PerformanceDropWindow, { nullable: true }) window!: PerformanceDropWindow | null;
}

@ObjectType({ description: 'PERFORMANCE_DROP: every served version (stable, canary) that failed the rule.' })
export class PerformanceDropAlertDetails {
  @Field(() => [PerformanceDropVersion]) versions!: PerformanceDropVersion[];
}

@ObjectType({ description: `ERROR_RATE: failed predict requests over the rule's window. ${OLD_ROWS}` })
export class ErrorRateAlertDetails {
  @Field(() => Int, { nullable: true }) failed!: number | null;
  @Field(() => Int, { nullable: true }) total!: number | null;
  @Field(() => Float, { nullable: true, description: 'failed / total.' }) rate!: number | null;
  @Field(() => Float, { nullable: true }) threshold!: number | null;
  @Field(() => Int, { nullable: true }) windowSeconds!: number | null;
  @Field(() => ID, { nullable: true, description: "The deployment's canary version then, if any." }) canaryModelVersionId!: string | null;
}

@ObjectType({ description: `LATENCY: the 99th percentile of logged request latency over the rule's window. ${OLD_ROWS}` })
export class LatencyAlertDetails {
  @Field(() => Float, { nullable: true }) p99Ms!: number | null;
  @Field(() => Float, { nullable: true }) thresholdMs!: number | null;
  @Field(() => Int, { nullable: true, description: 'Requests in the window.' }) requests!: number | null;
  @Field(() => Int, { nullable: true }) windowSeconds!: number | null;
}

@ObjectType({ description: `RUN_FAILED: the failed run as it failed. ${OLD_ROWS}` })
export class RunFailedAlertDetails {
  @Field(() => ID, { nullable: true }) runId!: string | null;
  @Field(() => RunKindEnum, { nullable: true, description: "The run's kind." }) kind!: RunKindEnum | null;
  @Field(() => ID, { nullable: true }) modelId!: string | null;
  @Field(() => ID, { nullable: true }) datasetVersionId!: string | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Int, { nullable: true }) attempts!: number | null;
  @Field(() => String, { nullable: true }) workerId!: string | null;
}

export const AlertDetails = createUnionType({
  name: 'AlertDetails',
  description: "Kind-specific evidence of an alert's latest occurrence: the member of the alert's kind.",
  types: () =>
    [
      DataDriftAlertDetails,
      PredictionDriftAlertDetails,
      PerformanceDropAlertDetails,
      ErrorRateAlertDetails,
      LatencyAlertDetails,
      RunFailedAlertDetails,
    ] as const,
});

/** An instance of `Type` with `fields` (the union's members are told apart by their class). */
function instance<T extends object>(Type: new () => T, fields: T): T {
  return Object.assign(new Type(), fields);
}

/** The member of `Enum` equal to `value`, or null. */
function enumValue<E extends string>(Enum: Record<string, E>, value: string | null): E | null {
  return Object.values(Enum).find((member) => member === value) ?? null;
}

function dateOrNull(text: string | null): Date | null {
  const date = text === null ? null : new Date(text);
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function toPerformanceDropWindow(window: JudgedWindow): PerformanceDropWindow {
  return { count: window.count, from: dateOrNull(window.from), to: dateOrNull(window.to) };
}

function toPerformanceDropVersion(version: PerformanceDropVersionRecord): PerformanceDropVersion {
  return {
    ...version,
    metric: enumValue(PrimaryMetricEnum, version.metric?.toUpperCase() ?? null),
    baselineSplit: enumValue(EvaluationSplitEnum, version.baselineSplit),
    window: version.window && toPerformanceDropWindow(version.window),
  };
}

/** An alert's evidence (domain, by kind) as the member of the `AlertDetails` union of its kind. */
export function toAlertDetails(alert: AlertKindAndDetails): typeof AlertDetails {
  switch (alert.kind) {
    case 'DATA_DRIFT':
      return instance(DataDriftAlertDetails, alert.details);
    case 'PREDICTION_DRIFT':
      return instance(PredictionDriftAlertDetails, { ...alert.details, prediction: alert.details.prediction && toFeatureDrift(alert.details.prediction) });
    case 'PERFORMANCE_DROP':
      return instance(PerformanceDropAlertDetails, { versions: alert.details.versions.map(toPerformanceDropVersion) });
    case 'ERROR_RATE':
      return instance(ErrorRateAlertDetails, alert.details);
    case 'LATENCY':
      return instance(LatencyAlertDetails, alert.details);
    case 'RUN_FAILED':
      return instance(RunFailedAlertDetails, { ...alert.details, kind: enumValue(RunKindEnum, alert.details.kind) });
  }
}
