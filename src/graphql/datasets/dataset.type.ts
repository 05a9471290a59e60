import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ColumnRoleEnum, ColumnTypeEnum, TaskEnum } from '../common/enums';
import { Connection } from '../common/connection.type';
import { Node } from '../common/node.type';

@ObjectType({ description: 'Quantiles by linear interpolation between order statistics (numpy default).' })
export class Quantiles {
  @Field(() => Float) p01!: number;
  @Field(() => Float) p05!: number;
  @Field(() => Float) p25!: number;
  @Field(() => Float) p50!: number;
  @Field(() => Float) p75!: number;
  @Field(() => Float) p95!: number;
  @Field(() => Float) p99!: number;
}

@ObjectType({ description: 'Equal-width histogram: counts[i] covers [edges[i], edges[i+1]) and the last bin includes its right edge.' })
export class Histogram {
  @Field(() => [Float]) edges!: number[];
  @Field(() => [Int]) counts!: number[];
}

@ObjectType()
export class CategoryCount {
  @Field() value!: string;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'Statistics of one column. Numeric fields are null for categorical columns and vice versa.' })
export class ColumnProfile {
  @Field(() => Int, { description: 'Non-missing values.' }) count!: number;
  @Field(() => Int, { description: 'Missing values (empty or NA).' }) missing!: number;
  @Field(() => Int, { description: 'Distinct non-missing values.' }) distinct!: number;
  @Field(() => Float, { nullable: true }) mean!: number | null;
  @Field(() => Float, { nullable: true, description: 'Sample standard deviation (n - 1).' }) std!: number | null;
  @Field(() => Float, { nullable: true }) min!: number | null;
  @Field(() => Float, { nullable: true }) max!: number | null;
  @Field(() => Quantiles, { nullable: true }) quantiles!: Quantiles | null;
  @Field(() => Histogram, { nullable: true }) histogram!: Histogram | null;
  @Field(() => [CategoryCount], { nullable: true, description: 'The 50 most frequent categories.' }) topCategories!: CategoryCount[] | null;
  @Field(() => Int, { nullable: true, description: 'Values outside the top 50 categories.' }) otherCount!: number | null;
}

@ObjectType()
export class DatasetColumn {
  @Field() name!: string;
  @Field(() => ColumnTypeEnum) type!: ColumnTypeEnum;
  @Field(() => ColumnRoleEnum) role!: ColumnRoleEnum;
  @Field(() => ColumnProfile) profile!: ColumnProfile;
}

@ObjectType({ description: 'One value of a row: `number` for a NUMERIC column, `text` for a CATEGORICAL one; both null when the value is missing.' })
export class DatasetCell {
  @Field() column!: string;
  @Field(() => Float, { nullable: true }) number!: number | null;
  @Field(() => String, { nullable: true }) text!: string | null;
}

@ObjectType({ description: 'One row of a dataset version.' })
export class DatasetRow {
  @Field(() => Int, { description: 'Its 0-based position in the version.' }) index!: number;
  @Field(() => [DatasetCell], { description: "A cell per column, in the order of the version's columns." }) values!: DatasetCell[];
}

@ObjectType({ implements: Node, description: 'An immutable, content-addressed version of a dataset.' })
export class DatasetVersion {
  @Field(() => ID) id!: string;
  @Field(() => ID) datasetId!: string;
  @Field(() => Int) version!: number;
  @Field({ description: 'sha256 (hex) of the CSV text as sent.' }) contentHash!: string;
  @Field(() => Int) rowCount!: number;
  @Field(() => Int) columnCount!: number;
  @Field(() => Int, { description: 'Size of the CSV in bytes.' }) sizeBytes!: number;
  @Field(() => [DatasetColumn]) columns!: DatasetColumn[];
  @Field(() => [String], { nullable: true, description: 'Classification: the label classes in their encoded order.' })
  labelClasses!: string[] | null;
  @Field() createdAt!: Date;
}

@ObjectType({ implements: Node, description: 'A named dataset; its rows live in immutable versions.' })
export class Dataset {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field() labelColumn!: string;
  @Field(() => TaskEnum) task!: TaskEnum;
  @Field() createdAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description: 'When it was archived; null while it is not. Archived things leave the default lists (`includeArchived: true` shows them).',
  })
  archivedAt!: Date | null;
}

@ObjectType()
export class DatasetConnection extends Connection(Dataset, 'Dataset') {}

@ObjectType()
export class DatasetVersionConnection extends Connection(DatasetVersion, 'DatasetVersion') {}

@ObjectType({ description: 'A deterministic split of row indices (0-based).' })
export class DatasetSplit {
  @Field(() => [Int]) train!: number[];
  @Field(() => [Int]) validation!: number[];
  @Field(() => [Int]) test!: number[];
}

@ObjectType()
export class CreateDatasetPayload {
  @Field(() => Dataset) dataset!: Dataset;
  @Field(() => DatasetVersion) version!: DatasetVersion;
}

@ObjectType()
export class CreateDatasetVersionPayload {
  @Field(() => DatasetVersion) version!: DatasetVersion;
  @Field({ description: 'False when identical content already existed and that version was returned.' }) created!: boolean;
}

export enum IngestPhaseEnum {
  RECEIVING = 'RECEIVING',
  PARSING = 'PARSING',
  STORED = 'STORED',
  FAILED = 'FAILED',
}
registerEnumType(IngestPhaseEnum, {
  name: 'IngestPhase',
  description: 'RECEIVING: bytes arriving; PARSING: parsed and profiled on a worker thread; STORED: the version is written; FAILED: refused or failed.',
});

@ObjectType({ description: 'Where an upload to POST /datasets/{name}/versions is (see the README).' })
export class DatasetIngestProgress {
  @Field(() => ID) uploadId!: string;
  @Field(() => IngestPhaseEnum) phase!: IngestPhaseEnum;
  @Field(() => Float, { description: 'Body bytes received so far.' }) bytesReceived!: number;
  @Field(() => Float, { nullable: true, description: 'The Content-Length, when the client sent one.' }) totalBytes!: number | null;
  @Field(() => ID, { nullable: true, description: 'STORED: the dataset.' }) datasetId!: string | null;
  @Field(() => ID, { nullable: true, description: 'STORED: the version (an existing one when the content was already stored).' }) datasetVersionId!:
    string | null;
  @Field(() => String, { nullable: true, description: 'FAILED: why.' }) message!: string | null;
  @Field(() => String, { nullable: true, description: 'FAILED: the error code (BAD_USER_INPUT, ...).' }) code!: string | null;
}
