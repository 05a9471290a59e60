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

export enum RunStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RunStatusEnum, {
  name: 'RunStatus',
  description: 'QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; a queued run may be cancelled, an orphaned one re-queued.',
});

export enum RunKindEnum {
  TRAINING = 'TRAINING',
  OPTIMIZATION = 'OPTIMIZATION',
  TRIAL = 'TRIAL',
  EVALUATION = 'EVALUATION',
}
registerEnumType(RunKindEnum, { name: 'RunKind' });

export enum StepEngineEnum {
  EAGER = 'EAGER',
  COMPILED = 'COMPILED',
}
registerEnumType(StepEngineEnum, {
  name: 'StepEngine',
  description: 'EAGER: one kernel launch at a time; COMPILED: each training step one libtensorflow graph call.',
});

export enum ExplanationMethodEnum {
  INTEGRATED_GRADIENTS = 'INTEGRATED_GRADIENTS',
}
registerEnumType(ExplanationMethodEnum, {
  name: 'ExplanationMethod',
  description: 'INTEGRATED_GRADIENTS: from the all-zero preprocessed baseline (numeric features at their training means, no category set).',
});
