/**
 * A hyperparameter optimization study as stored on its OPTIMIZATION run (`Run.hyperparameters`):
 * objective, search space, strategy, budget, pruning and the training hyperparameters every
 * trial starts from. Also how one trial's sampled parameters become the hyperparameters and
 * architecture it trains with.
 */
import { z } from 'zod';
import { byShapeOrder, collectFields, inputObject, integerFrom, mustBe, oneOf, requiredAnd } from '../common/input-fields';
import { parseInput } from '../common/input-schema';
import { required } from '../common/required';
import { ValidationError, Violations } from '../errors';
import type { TrainingRunHyperparameters } from '../runs/training-hyperparameters';
import { MONITORS, type Monitor } from '../../ml/hyperparameters';
import type { Architecture } from '../../ml/model-builder';
import type { ModelTask } from '../../ml/tf-types';
import type { SearchParameter, SearchSpace, SearchStrategy } from './search-space';
import type { Direction, Params } from './trial';

export const SEARCH_STRATEGIES = ['GRID', 'RANDOM', 'TPE'] as const satisfies readonly SearchStrategy[];
export const DIRECTIONS = ['MINIMIZE', 'MAXIMIZE'] as const satisfies readonly Direction[];
export const PRUNING_KINDS = ['MEDIAN', 'NONE'] as const;
export type PruningKind = (typeof PRUNING_KINDS)[number];

/** Bounds on a study's budget. */
export const STUDY_LIMITS = { maxTrials: 1000, maxParallelism: 64, maxWarmupEpochs: 10_000, maxStartupTrials: 1000 } as const;

/** The per-epoch metric a study optimizes, and whether smaller or larger is better. */
export interface StudyObjective {
  metric: Monitor;
  direction: Direction;
}

/** MEDIAN pruning settings; `NONE` never prunes. */
export interface StudyPruning {
  kind: PruningKind;
  /** Epochs at the start of each trial that are never pruned. */
  warmupEpochs: number;
  /** Trials that must have completed before any trial is pruned. */
  startupTrials: number;
}

/** The normalized, JSON-serializable study stored on the OPTIMIZATION run. */
export interface StudyDefinition {
  objective: StudyObjective;
  searchSpace: SearchSpace;
  strategy: SearchStrategy;
  maxTrials: number;
  parallelism: number;
  pruning: StudyPruning;
  seed: number;
  /** What every trial trains with before its sampled parameters are applied. */
  baseHyperparameters: TrainingRunHyperparameters;
}

/** Defaults of the pruning input: MEDIAN after 1 warm-up epoch and 5 completed trials (Optuna's startup). */
export const DEFAULT_PRUNING: Readonly<StudyPruning> = Object.freeze({ kind: 'MEDIAN', warmupEpochs: 1, startupTrials: 5 });

/** A study's strategy and seed: one of {@link SEARCH_STRATEGIES}, and a non-negative integer when given. */
const studySettingsSchema = inputObject({
  strategy: oneOf(SEARCH_STRATEGIES, requiredAnd(`one of ${SEARCH_STRATEGIES.join(', ')}`)),
  seed: z
    .number({ error: mustBe('a non-negative integer') })
    .int({ error: mustBe('a non-negative integer') })
    .min(0, { error: mustBe('a non-negative integer') })
    .optional(),
});

/**
 * Checks the study's strategy and seed against {@link studySettingsSchema}, adding each problem
 * (on `<prefix>.strategy`, `<prefix>.seed`) to `problems`.
 * @returns each of them that holds (the seed is undefined when absent or refused)
 */
export function collectStudySettings(
  input: { strategy?: unknown; seed?: unknown },
  problems: Violations,
  prefix = 'input',
): { strategy?: SearchStrategy; seed?: number } {
  return collectFields(studySettingsSchema, { strategy: input.strategy, seed: input.seed }, prefix, problems).fields;
}

/** The objective's own rules: a metric the trainer reports per epoch, and a direction. */
const objectiveSchema = inputObject({
  metric: oneOf(MONITORS, requiredAnd(`one of ${MONITORS.join(', ')}`)),
  direction: oneOf(DIRECTIONS, requiredAnd(DIRECTIONS.join(' or '))),
});

/**
 * Checks the objective: its own rules, then that the metric is reported per epoch for `task`
 * (`val_` metrics need a validation split).
 * @throws ValidationError listing every problem, on `<field>.metric` and `<field>.direction`
 */
export function validateObjective(
  input: { metric?: unknown; direction?: unknown } | null | undefined,
  context: { task: ModelTask; hasValidation: boolean },
  field = 'input.objective',
): StudyObjective {
  const problems = new Violations();
  const { value, fields } = collectFields(objectiveSchema, input ?? {}, field, problems);
  // A metric its own rule refused is undefined here.
  const metric = fields.metric;
  if (metric !== undefined) {
    const regression = context.task === 'REGRESSION';
    if (regression ? metric.endsWith('accuracy') : metric.endsWith('mae') || metric.endsWith('rmse')) {
      problems.add(`${metric} is not reported for ${context.task} models`, { field: `${field}.metric` });
    } else if (metric.startsWith('val_') && !context.hasValidation) {
      problems.add(`${metric} needs a validation split (baseHyperparameters.split.validation > 0)`, { field: `${field}.metric` });
    }
  }
  problems.throwIfAny(undefined, byShapeOrder(objectiveSchema.out.shape, field));
  return required(value, 'checked objective');
}

/** The budget's rules: 1 <= maxTrials, 1 <= parallelism, both within {@link STUDY_LIMITS}. */
const budgetSchema = inputObject({
  maxTrials: integerFrom(1, STUDY_LIMITS.maxTrials),
  parallelism: integerFrom(1, STUDY_LIMITS.maxParallelism),
});

/**
 * Checks the budget against {@link budgetSchema}.
 * @throws ValidationError listing every problem, on `<prefix>.maxTrials` and `<prefix>.parallelism`
 */
export function validateBudget(maxTrials: unknown, parallelism: unknown, prefix = 'input'): { maxTrials: number; parallelism: number } {
  return parseInput(budgetSchema, { maxTrials, parallelism }, prefix);
}

/** The most epochs one trial may train: the `epochs` search parameter's largest value, else the base hyperparameters'. */
export function largestTrialEpochs(baseEpochs: number, searchSpace: readonly SearchParameter[]): number {
  const parameter = searchSpace.find((candidate) => candidate.name === 'epochs');
  if (!parameter) return baseEpochs;
  if (parameter.kind === 'CHOICE') return Math.max(...parameter.values.map(Number).filter(Number.isFinite));
  return parameter.high;
}

/**
 * Caps a study's work: `maxTrials` times the most epochs a trial may train. 0 turns the cap off.
 * @throws ValidationError naming `input.maxTrials`.
 */
export function checkStudyEffort(maxTrials: number, trialEpochs: number, maxTrialEpochs: number): void {
  if (maxTrialEpochs > 0 && maxTrials * trialEpochs > maxTrialEpochs) {
    throw new ValidationError(
      `maxTrials x epochs is ${maxTrials} x ${trialEpochs} = ${maxTrials * trialEpochs}, above the limit of ${maxTrialEpochs} (MLPLANE_MAX_STUDY_TRIAL_EPOCHS); run fewer trials or fewer epochs`,
      { field: 'input.maxTrials' },
    );
  }
}

/** The pruning input's rules, absent fields filled in from {@link DEFAULT_PRUNING}. */
const pruningSchema = inputObject({
  kind: oneOf(PRUNING_KINDS, mustBe(PRUNING_KINDS.join(' or '))).default(DEFAULT_PRUNING.kind),
  warmupEpochs: integerFrom(0, STUDY_LIMITS.maxWarmupEpochs).default(DEFAULT_PRUNING.warmupEpochs),
  startupTrials: integerFrom(1, STUDY_LIMITS.maxStartupTrials).default(DEFAULT_PRUNING.startupTrials),
});

/**
 * Checks the pruning input against {@link pruningSchema} and fills in {@link DEFAULT_PRUNING} for what is absent.
 * @throws ValidationError listing every problem, on `<field>.kind` (`.warmupEpochs`, `.startupTrials`)
 */
export function validatePruning(
  input: { kind?: unknown; warmupEpochs?: unknown; startupTrials?: unknown } | null | undefined,
  field = 'input.pruning',
): StudyPruning {
  return parseInput(pruningSchema, input ?? {}, field);
}

/** What one trial trains with. */
export interface TrialConfiguration {
  hyperparameters: TrainingRunHyperparameters;
  architecture: Architecture;
}

const LAYER_PARAM = /^(units|dropout)\[(\d+)\]$/;

/**
 * Applies a trial's sampled parameters over the study's base: `learningRate`, `batchSize`,
 * `optimizer` and `epochs` replace the base hyperparameters; `units[i]` and `dropout[i]` replace
 * those of hidden layer i of the model's architecture. The inputs are not modified.
 */
export function trialConfiguration(base: TrainingRunHyperparameters, architecture: Architecture, params: Params): TrialConfiguration {
  const hyperparameters: TrainingRunHyperparameters = { ...base };
  const layers = architecture.layers.map((layer) => ({ ...layer }));
  for (const [name, value] of Object.entries(params)) {
    const layer = LAYER_PARAM.exec(name);
    if (layer) {
      const target = layers.at(Number(layer[2]));
      if (!target) throw new ValidationError(`${name} refers to a hidden layer the model does not have`, { field: `input.searchSpace.${name}` });
      if (layer[1] === 'units') target.units = value as number;
      else target.dropout = value as number;
    } else if (name === 'learningRate' || name === 'batchSize' || name === 'epochs') {
      hyperparameters[name] = value as number;
    } else if (name === 'optimizer') {
      hyperparameters.optimizer = value as TrainingRunHyperparameters['optimizer'];
    } else {
      throw new ValidationError(`Unknown search parameter ${name}`, { field: `input.searchSpace.${name}` });
    }
  }
  return { hyperparameters, architecture: { ...architecture, layers } };
}
