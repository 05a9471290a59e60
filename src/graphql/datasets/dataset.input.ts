import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { ColumnTypeEnum, TaskEnum } from '../common/enums';
import { LongText } from '../input-values';

@InputType({ description: 'Forces the type of one column instead of inferring it.' })
export class ColumnTypeOverrideInput {
  @Field() column!: string;
  @Field(() => ColumnTypeEnum) type!: ColumnTypeEnum;
}

@InputType()
export class CreateDatasetInput {
  @Field({ description: 'Unique name: 1-200 characters of letters, digits, space and . _ : / -.' }) name!: string;
  @Field({ nullable: true }) description?: string;
  @LongText() @Field({ description: 'RFC 4180 CSV text with a header row.' }) csv!: string;
  @Field({ description: 'Column to predict.' }) labelColumn!: string;
  @Field(() => [ColumnTypeOverrideInput], { nullable: true }) columnTypes?: ColumnTypeOverrideInput[];
  @Field(() => TaskEnum, { nullable: true, description: 'Inferred from the label column when omitted.' }) task?: TaskEnum;
}

@InputType()
export class CreateDatasetVersionInput {
  @Field(() => ID) datasetId!: string;
  @LongText() @Field({ description: 'CSV text with the same label column as the dataset.' }) csv!: string;
}

@InputType({ description: 'Fractions of rows per split (summing to 1) and the seed that fixes which rows.' })
export class SplitInput {
  @Field(() => Float, { defaultValue: 0.7 }) train!: number;
  @Field(() => Float, { defaultValue: 0.15 }) validation!: number;
  @Field(() => Float, { defaultValue: 0.15 }) test!: number;
  @Field(() => Int, { defaultValue: 0 }) seed!: number;
}
