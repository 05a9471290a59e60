import { registerEnumType } from 'type-graphql';

/** GraphQL enums. Values equal the domain's string unions, so no mapping is needed. */
export enum TaskEnum {
  BINARY_CLASSIFICATION = 'BINARY_CLASSIFICATION',
  MULTICLASS_CLASSIFICATION = 'MULTICLASS_CLASSIFICATION',
  REGRESSION = 'REGRESSION',
}
registerEnumType(TaskEnum, { name: 'Task', description: 'What a model predicts.' });

export enum ColumnTypeEnum {
  NUMERIC = 'NUMERIC',
  CATEGORICAL = 'CATEGORICAL',
}
registerEnumType(ColumnTypeEnum, { name: 'ColumnType', description: 'How a column is read: numbers, or categories (strings).' });

export enum ColumnRoleEnum {
  FEATURE = 'FEATURE',
  LABEL = 'LABEL',
  IGNORED = 'IGNORED',
}
registerEnumType(ColumnRoleEnum, { name: 'ColumnRole' });
