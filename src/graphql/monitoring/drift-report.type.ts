import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ColumnTypeEnum } from '../common/enums';
import { Connection } from '../common/connection.type';
import { Node } from '../common/node.type';

export enum DriftMethodEnum {
  KOLMOGOROV_SMIRNOV = 'KOLMOGOROV_SMIRNOV',
  WASSERSTEIN_NORMED = 'WASSERSTEIN_NORMED',
  CHI_SQUARED = 'CHI_SQUARED',
  JENSEN_SHANNON = 'JENSEN_SHANNON',
}
registerEnumType(DriftMethodEnum, {
  name: 'DriftMethod',
  description: 'KOLMOGOROV_SMIRNOV and CHI_SQUARED drift at p-value < threshold; WASSERSTEIN_NORMED and JENSEN_SHANNON at distance >= threshold.',
});

@ObjectType({ description: "The reference and window distributions of one column, binned alike, as shares of each side's non-missing values." })
export class DriftDistribution {
  @Field(() => [Float], { nullable: true, description: 'Numeric: bin edges (bins + 1; the last bin includes its right edge).' }) edges!: number[] | null;
  @Field(() => [String], { nullable: true, description: 'Categorical: the 20 most frequent categories of both sides.' }) categories!: string[] | null;
  @Field(() => [Float], { description: 'Share of the reference per bin or category.' }) reference!: number[];
  @Field(() => [Float], { description: 'Share of the window per bin or category.' }) current!: number[];
  @Field(() => [Float], { nullable: true, description: 'Categorical: shares of the categories left out, reference then window.' }) otherShare!: number[] | null;
}

@ObjectType({ description: 'One column of a window tested against the training reference.' })
export class FeatureDrift {
  @Field({ description: 'The feature name, or "prediction" for the model output.' }) feature!: string;
  @Field(() => ColumnTypeEnum) type!: ColumnTypeEnum;
  @Field(() => DriftMethodEnum, { nullable: true, description: 'Null when the window had no value of the column (see note).' }) method!: DriftMethodEnum | null;
  @Field(() => Float, { nullable: true, description: 'KS D, chi-squared statistic or the distance; null when infinite (see infinite) or untested.' })
  statistic!: number | null;
  @Field({ description: 'The statistic is +Infinity (chi-squared with a category the reference never had).' }) infinite!: boolean;
  @Field(() => Float, { nullable: true, description: 'KOLMOGOROV_SMIRNOV and CHI_SQUARED only.' }) pValue!: number | null;
  @Field(() => Float, { nullable: true, description: 'WASSERSTEIN_NORMED and JENSEN_SHANNON only.' }) distance!: number | null;
  @Field(() => Float, { nullable: true }) threshold!: number | null;
  @Field() drifted!: boolean;
  @Field(() => Float, {
    nullable: true,
    description: 'Population Stability Index on 10 reference-quantile bins (numeric) or the categories; reported, never decides.',
  })
  psi!: number | null;
  @Field(() => Int, { description: 'Non-missing reference values.' }) referenceCount!: number;
  @Field(() => Int, { description: 'Non-missing window values.' }) currentCount!: number;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => DriftDistribution, {
    nullable: true,
    description:
      'Reference and window distributions side by side (20 equal-width bins over both samples, or the top 20 categories); null when untested or for reports made before mlplane stored them.',
  })
  distribution!: DriftDistribution | null;
}

@ObjectType({
  implements: Node,
  description: "A window of a deployment's predictions (stable version) tested against the version's training reference sample.",
})
export class DriftReport {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field({ description: 'Time of the oldest prediction in the window.' }) windowStart!: Date;
  @Field({ description: "The window holds predictions logged up to this time, after the previous report's windowEnd." }) windowEnd!: Date;
  @Field(() => Int, { description: 'Predictions in the window.' }) windowSize!: number;
  @Field(() => Int, { description: 'Rows of the reference sample.' }) referenceSize!: number;
  @Field(() => Float, { description: 'Share of the tested features that drifted.' }) driftShare!: number;
  @Field({ description: "Data drift: driftShare reached the deployment's dataset drift share." }) drifted!: boolean;
  @Field(() => [FeatureDrift]) features!: FeatureDrift[];
  @Field(() => FeatureDrift, { nullable: true, description: 'The model output (label or value) tested the same way.' }) prediction!: FeatureDrift | null;
  @Field() predictionDrifted!: boolean;
  @Field() createdAt!: Date;
}

@ObjectType()
export class DriftReportConnection extends Connection(DriftReport, 'DriftReport') {}

@ObjectType({ description: 'Per-method drift thresholds.' })
export class DriftThresholds {
  @Field(() => Float, { description: 'p-value (default 0.05).' }) KOLMOGOROV_SMIRNOV!: number;
  @Field(() => Float, { description: 'Normed distance (default 0.1).' }) WASSERSTEIN_NORMED!: number;
  @Field(() => Float, { description: 'p-value (default 0.05).' }) CHI_SQUARED!: number;
  @Field(() => Float, { description: 'Distance (default 0.1).' }) JENSEN_SHANNON!: number;
}

@ObjectType({ description: "A deployment's drift monitoring settings (defaults filled in)." })
export class DriftMonitoring {
  @Field(() => Int, { description: 'A report is due after this many predictions (default 500).' }) windowSize!: number;
  @Field(() => Int, { description: '... or this many seconds with at least one prediction (default 300).' }) periodSeconds!: number;
  @Field(() => Int, { description: 'Rows of the training reference sample used (default 5000).' }) referenceSize!: number;
  @Field(() => DriftMethodEnum, {
    nullable: true,
    description: 'Forced method for numeric features; null: KS up to 1,000 reference rows, else normed Wasserstein.',
  })
  numericMethod!: DriftMethodEnum | null;
  @Field(() => DriftMethodEnum, {
    nullable: true,
    description: 'Forced method for categorical features; null: chi-squared up to 1,000 reference rows, else Jensen-Shannon.',
  })
  categoricalMethod!: DriftMethodEnum | null;
  @Field(() => DriftThresholds) thresholds!: DriftThresholds;
  @Field(() => Float, { description: 'The window drifts when at least this share of features drifted (default 0.5).' }) driftShare!: number;
}

@InputType({ description: 'Per-method thresholds; null resets one to its default.' })
export class DriftThresholdsInput {
  @Field(() => Float, { nullable: true }) KOLMOGOROV_SMIRNOV?: number | null;
  @Field(() => Float, { nullable: true }) WASSERSTEIN_NORMED?: number | null;
  @Field(() => Float, { nullable: true }) CHI_SQUARED?: number | null;
  @Field(() => Float, { nullable: true }) JENSEN_SHANNON?: number | null;
}

@InputType({ description: 'Drift monitoring settings; an absent field keeps its value, null resets it to the default.' })
export class DriftMonitoringInput {
  @Field(() => Int, { nullable: true, description: '1-1,000,000.' }) windowSize?: number | null;
  @Field(() => Int, { nullable: true, description: '1-86,400.' }) periodSeconds?: number | null;
  @Field(() => Int, { nullable: true, description: '10-5,000.' }) referenceSize?: number | null;
  @Field(() => DriftMethodEnum, { nullable: true }) numericMethod?: DriftMethodEnum | null;
  @Field(() => DriftMethodEnum, { nullable: true }) categoricalMethod?: DriftMethodEnum | null;
  @Field(() => DriftThresholdsInput, { nullable: true }) thresholds?: DriftThresholdsInput | null;
  @Field(() => Float, { nullable: true, description: 'In (0, 1].' }) driftShare?: number | null;
}

@InputType()
export class SetDeploymentMonitoringInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => DriftMonitoringInput) drift!: DriftMonitoringInput;
}

@InputType({ description: 'Monitoring settings of a new deployment.' })
export class DeploymentMonitoringInput {
  @Field(() => DriftMonitoringInput, { nullable: true }) drift?: DriftMonitoringInput | null;
}
