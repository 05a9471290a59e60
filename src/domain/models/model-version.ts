/**
 * Model versions, their aliases (with the history of their moves) and their evaluations as the
 * services and resolvers see them: plain types, with no database type in them, JSON columns
 * decoded. `model-version-repository.ts` reads and writes them (the only code that touches the
 * `model_versions`, `model_artifacts`, `model_aliases`, `model_alias_events` and `evaluations`
 * tables) and maps rows to these.
 */
import type { Task } from '../datasets/label-rules';
import type { TrainingRunHyperparameters } from '../runs/training-hyperparameters';
import type { Evaluation as EvaluationMetrics } from '../../ml/metrics/evaluate-predictions';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import type { ColumnImportance } from '../../ml/training/feature-importance';
import type { TrainingEnvironment } from '../../ml/training/training-pipeline';

/**
 * STANDARD: a registered version of the model. TRIAL: what a study's trial trained, numbered apart
 * and kept out of aliases and deployments until promoted.
 */
export type ModelVersionKind = 'STANDARD' | 'TRIAL';

/** A trained, immutable model: its artifact's hash and size, its preprocessing and its lineage. */
export interface ModelVersion {
  id: string;
  modelId: string;
  kind: ModelVersionKind;
  /** 1, 2, ... per model and kind. */
  version: number;
  /** The run that trained it (none for versions registered outside a run). */
  runId: string | null;
  datasetVersionId: string;
  /** sha256 of the dataset version it trained on. */
  datasetContentHash: string;
  /** sha256 (hex) of the stored artifact, checked on every load. */
  artifactSha256: string;
  artifactBytes: number;
  preprocessing: PreprocessingSpec;
  hyperparameters: TrainingRunHyperparameters;
  /** Where it trained; null when the stored value is not one (versions stored before it was kept). */
  environment: TrainingEnvironment | null;
  /** Permutation importance on the test split; null when it was not computed. */
  featureImportance: ColumnImportance[] | null;
  createdAt: Date;
  /** Set while archived: hidden from lists, cannot be aliased or deployed. */
  archivedAt: Date | null;
}

/** Where an alias (production, staging, ...) of a model points now. */
export interface ModelAlias {
  modelId: string;
  alias: string;
  modelVersionId: string;
  /** When it last moved. */
  updatedAt: Date;
}

/** One move of an alias, or its deletion (no `toModelVersionId`). */
export interface ModelAliasEvent {
  id: string;
  modelId: string;
  alias: string;
  fromModelVersionId: string | null;
  toModelVersionId: string | null;
  /** The API key's name. */
  movedBy: string;
  movedAt: Date;
}

/** TEST: the held-out split of the training run; ALL: every row of the dataset version. */
export type EvaluationSplit = 'TEST' | 'ALL';

/** Metrics of a model version on a dataset version (or its test split). */
export interface Evaluation {
  id: string;
  modelVersionId: string;
  datasetVersionId: string;
  split: EvaluationSplit;
  rowCount: number;
  task: Task;
  /** One of the `src/ml/metrics` evaluations, told apart by `task`. */
  metrics: EvaluationMetrics;
  createdAt: Date;
}

/** `version 3 of model "seed"` (a trial version: `trial version 3 of model "seed"`). */
export function versionName(version: Pick<ModelVersion, 'version' | 'kind'>, modelName: string): string {
  return `${version.kind === 'TRIAL' ? 'trial version' : 'version'} ${version.version} of model "${modelName}"`;
}
