import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { ColumnTypeEnum, TaskEnum } from '../common/enums';
import { Node } from '../common/node.type';

@ObjectType({
  description:
    "Permutation importance of one source column: the mean drop of the score (accuracy, or R2 for regression) when the column's values are shuffled.",
})
export class FeatureImportance {
  @Field() feature!: string;
  @Field(() => Float) importance!: number;
  @Field(() => Float, { description: 'Standard deviation of the drop over the repeats.' }) std!: number;
}

export enum LabelEncodingEnum {
  CLASSES = 'CLASSES',
  TARGET = 'TARGET',
}
registerEnumType(LabelEncodingEnum, {
  name: 'LabelEncoding',
  description: 'CLASSES: one output per class (classification); TARGET: a standardized number (regression).',
});

@ObjectType({
  description:
    'One source column as model input. NUMERIC: standardized, (value - mean) / scale; CATEGORICAL: one-hot over its categories (an unseen category is all zeros).',
})
export class PreprocessingFeature {
  @Field() name!: string;
  @Field(() => ColumnTypeEnum) type!: ColumnTypeEnum;
  @Field(() => Int, { description: 'First column of this feature in the input matrix.' }) offset!: number;
  @Field(() => Float, { nullable: true, description: 'NUMERIC: mean of the training rows.' }) mean?: number;
  @Field(() => Float, { nullable: true, description: 'NUMERIC: population standard deviation of the training rows; 1 when it was 0.' }) scale?: number;
  @Field(() => [String], { nullable: true, description: 'CATEGORICAL: one input column per category, in this order.' }) categories?: string[];
}

@ObjectType({ description: 'How the label column is encoded for training and decoded from outputs.' })
export class PreprocessingLabel {
  @Field() column!: string;
  @Field(() => LabelEncodingEnum) kind!: LabelEncodingEnum;
  @Field(() => Boolean, { nullable: true, description: "CLASSES: whether the label column was numeric (its classes are the values' decimal strings)." })
  numeric?: boolean;
  @Field(() => [String], { nullable: true, description: 'CLASSES: the classes in their encoded order.' }) classes?: string[];
  @Field(() => Float, { nullable: true, description: 'TARGET: the model learns (y - mean) / scale; 0 when not standardized.' }) mean?: number;
  @Field(() => Float, { nullable: true, description: 'TARGET: 1 when not standardized.' }) scale?: number;
}

@ObjectType({ description: 'The preprocessing fitted on the training split of a version.' })
export class Preprocessing {
  @Field(() => TaskEnum) task!: TaskEnum;
  @Field(() => [PreprocessingFeature], { description: 'In input order.' }) features!: PreprocessingFeature[];
  @Field(() => Int, { description: 'Width of the input matrix: one column per numeric feature, one per category.' }) inputWidth!: number;
  @Field(() => PreprocessingLabel) label!: PreprocessingLabel;
  @Field(() => Int, { description: 'Rows of the training split it was fitted on.' }) trainRowCount!: number;
}

export enum ModelVersionKindEnum {
  STANDARD = 'STANDARD',
  TRIAL = 'TRIAL',
}
registerEnumType(ModelVersionKindEnum, {
  name: 'ModelVersionKind',
  description:
    "STANDARD: a registered version of the model (what training runs register, and a study's best trial once the study succeeded). TRIAL: what a study's trial trained, kept apart: left out of Model.versions unless asked, never aliased or deployed until promoted.",
});

@ObjectType({ implements: Node, description: 'A trained, immutable model: weights (checked by sha256 on every load), preprocessing and lineage.' })
export class ModelVersion {
  @Field(() => ID) id!: string;
  @Field(() => Int, {
    description: '1, 2, ... per model and kind: trial versions are numbered apart; a promoted trial version takes the next standard number.',
  })
  version!: number;
  @Field(() => ModelVersionKindEnum) kind!: ModelVersionKindEnum;
  @Field(() => ID) modelId!: string;
  @Field(() => ID, { nullable: true, description: 'The run that trained it.' }) runId!: string | null;
  @Field(() => ID) datasetVersionId!: string;
  @Field({ description: 'sha256 of the dataset version it trained on.' }) datasetContentHash!: string;
  @Field({ description: 'sha256 (hex) of the stored artifact (topology and weights).' }) artifactSha256!: string;
  @Field(() => Int) artifactBytes!: number;
  @Field(() => Preprocessing, { description: 'What turns rows into model inputs, fitted on the training split: feature scaling, categories, label encoding.' })
  preprocessing!: Preprocessing;
  @Field(() => [FeatureImportance], { nullable: true, description: 'On the test split; null when it was not computed.' })
  featureImportance!: FeatureImportance[] | null;
  @Field() createdAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description:
      'When it was archived; null while it is not. Archived versions leave Model.versions (unless `includeArchived: true`) and cannot be aliased or deployed.',
  })
  archivedAt!: Date | null;
}

@ObjectType({ description: 'A name (production, staging, ...) pointing at one version of a model.' })
export class ModelAlias {
  @Field() alias!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field({ description: 'When it last moved.' }) updatedAt!: Date;
}

@ObjectType({ implements: Node, description: 'One move of an alias, or its deletion (no `toModelVersionId`).' })
export class ModelAliasEvent {
  @Field(() => ID) id!: string;
  @Field() alias!: string;
  @Field(() => ID, { nullable: true, description: 'The version it pointed at before; null when the alias was new.' }) fromModelVersionId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The version it points at after the move; null when the alias was deleted.' }) toModelVersionId!:
    string | null;
  @Field({ description: "Who moved it: the API key's name." }) movedBy!: string;
  @Field() movedAt!: Date;
}

export enum EvaluationSplitEnum {
  TEST = 'TEST',
  ALL = 'ALL',
}
registerEnumType(EvaluationSplitEnum, {
  name: 'EvaluationSplit',
  description: 'TEST: the held-out split of the training run; ALL: every row of the dataset version.',
});

@ObjectType({ description: 'Points of a ROC curve in decreasing score order, from (0, 0) to (1, 1).' })
export class RocCurve {
  @Field(() => [Float]) falsePositiveRate!: number[];
  @Field(() => [Float]) truePositiveRate!: number[];
}

@ObjectType({ description: 'Precision, recall and F1 (zero division counts as 0).' })
export class ClassificationScores {
  @Field(() => Float) precision!: number;
  @Field(() => Float) recall!: number;
  @Field(() => Float) f1!: number;
}

@ObjectType()
export class ClassMetrics {
  @Field() class!: string;
  @Field(() => Float) precision!: number;
  @Field(() => Float) recall!: number;
  @Field(() => Float) f1!: number;
  @Field(() => Int, { description: 'Rows whose true class this is.' }) support!: number;
}

/**
 * The metric fields of every task, shared by evaluations and performance windows: fields of
 * another task are null. Built from a `src/ml/metrics` evaluation by `toTaskMetrics`. A base
 * class only: no field returns it, so the schema has its fields on Evaluation and WindowMetrics.
 */
@ObjectType('TaskMetricsBase')
export abstract class TaskMetrics {
  @Field(() => TaskEnum) task!: TaskEnum;
  @Field(() => Float, { nullable: true }) accuracy!: number | null;
  @Field(() => Float, { nullable: true, description: 'Binary: of the positive class (the second class).' }) precision!: number | null;
  @Field(() => Float, { nullable: true, description: 'Binary.' }) recall!: number | null;
  @Field(() => Float, { nullable: true, description: 'Binary.' }) f1!: number | null;
  @Field(() => Float, { nullable: true, description: 'Binary; null when the rows hold a single class.' }) rocAuc!: number | null;
  @Field(() => RocCurve, {
    nullable: true,
    description: 'Binary: the ROC curve (at most 201 of its points, for drawing); null with a single class or for evaluations stored before mlplane kept it.',
  })
  rocCurve!: RocCurve | null;
  @Field(() => Float, { nullable: true, description: 'Classification: mean negative log-likelihood of the true class.' }) logLoss!: number | null;
  @Field(() => Float, { nullable: true, description: 'Binary: P(positive) at or above it predicts positive.' }) threshold!: number | null;
  @Field(() => [[Int]], { nullable: true, description: 'Classification: rows are true classes, columns predicted ones, in the order of `classes`.' })
  confusionMatrix!: number[][] | null;
  @Field(() => ClassificationScores, { nullable: true, description: 'Multiclass: unweighted mean over the classes present.' })
  macro!: ClassificationScores | null;
  @Field(() => ClassificationScores, { nullable: true, description: 'Multiclass: mean weighted by support.' }) weighted!: ClassificationScores | null;
  @Field(() => Float, { nullable: true, description: 'Regression: mean absolute error.' }) mae!: number | null;
  @Field(() => Float, { nullable: true, description: 'Regression: root mean squared error.' }) rmse!: number | null;
  @Field(() => Float, { nullable: true, description: 'Regression: coefficient of determination; null for fewer than two rows.' }) r2!: number | null;
}

@ObjectType({
  implements: Node,
  description:
    "Metrics of a model version on a dataset version (scikit-learn's definitions). Fields of another task are null: binary has accuracy..confusionMatrix; multiclass accuracy, macro, weighted, perClass, confusionMatrix, logLoss; regression mae, rmse, r2.",
})
export class Evaluation extends TaskMetrics {
  @Field(() => ID) id!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field(() => ID) datasetVersionId!: string;
  @Field(() => EvaluationSplitEnum) split!: EvaluationSplitEnum;
  @Field(() => Int) rowCount!: number;
  @Field() createdAt!: Date;
}

@ObjectType({
  description:
    "The metrics of a performance window, computed as evaluations are (scikit-learn's definitions; fields of another task are null, as on Evaluation).",
})
export class WindowMetrics extends TaskMetrics {
  @Field(() => Int, { description: 'Labelled predictions scored.' }) sampleCount!: number;
}

@ObjectType()
export class ModelVersionConnection extends Connection(ModelVersion, 'ModelVersion') {}

@ObjectType()
export class ModelAliasConnection extends Connection(ModelAlias, 'ModelAlias') {}

@ObjectType()
export class EvaluationConnection extends Connection(Evaluation, 'Evaluation') {}

@ObjectType()
export class ModelAliasEventConnection extends Connection(ModelAliasEvent, 'ModelAliasEvent') {}
