/**
 * The one place where JSON columns meet domain types: everything the services and resolvers write
 * to a `Json` column goes through {@link toJsonColumn}, and everything they read from one goes
 * through the column's decoder below (`preprocessingSpecOf(version.preprocessing)`, ...), so no
 * Prisma `JsonValue` reaches a domain function or GraphQL, and no `as unknown as` is needed.
 *
 * Writing: {@link toJsonColumn} accepts exactly the values that survive a JSON round trip
 * ({@link JsonCompatible}): strings, numbers, booleans, null, arrays and plain objects of those,
 * optional fields allowed (numbers must be finite, which a type cannot say: the domain checks
 * do). A `Date`, a function, a `Map`, a `bigint` or a field typed `T | undefined` that is not
 * optional is a compile error.
 *
 * Reading: each decoder takes the stored value (`unknown`, so raw-query rows work too) and checks,
 * cheaply, the fields its callers rely on (not every nested number), returning the domain type or
 * throwing an Error that names the column and what is wrong. Stored values were written by
 * {@link toJsonColumn} from checked domain values, so a failure means a corrupt row or an old
 * shape no migration converted, never a user's mistake. Decoders run once per row read (a model
 * load, a resolver's row); the one used per prediction row ({@link predictionOutputOf}) checks
 * only the union's tag. Alert evidence ({@link alertDetailsOf}) is the exception: it is read field
 * by field and never throws, since alerts of older shapes must still list.
 */
import type { Prisma } from '../../generated/prisma/client';
import type { ColumnTypeOverrides } from '../../domain/datasets/column-typing';
import type { DatasetColumn } from '../../domain/datasets/dataset';
import { TASKS } from '../../domain/datasets/label-rules';
import type { StudyDefinition } from '../../domain/optimization/study-definition';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import type { Evaluation } from '../../ml/metrics/evaluate-predictions';
import type { ColumnImportance } from '../../ml/training/feature-importance';
import type { TrainingEnvironment } from '../../ml/training/training-pipeline';
import type { Architecture } from '../../ml/model-builder';
import type { PreprocessingSpec } from '../../ml/preprocessing';
import type { PredictionOutput } from '../../ml/serving/prediction-request';
import type { FeatureDriftEntry } from '../../domain/monitoring/drift-report';
import { alertMonitoringOf } from '../../domain/alerts/alert-monitoring';
import { batchingOf, type BatchingSettings } from '../../domain/deployments/batching';
import type { DeploymentMonitoring } from '../../domain/deployments/deployment';
import { driftMonitoringOf } from '../../domain/deployments/drift-monitoring';
import type { PredictionActual } from '../../domain/predictions/prediction';
import type { TrialSummary } from '../../services/optimization/study-trials';
import type { AlertKind, AlertSeverity, AlertStatus } from '../../domain/alerts/alert';
import type { AlertKindAndDetails, PerformanceDropVersion } from '../../domain/alerts/alert-details';
import type { AlertWebhookAlert, AlertWebhookDeployment, AlertWebhookEvent, AlertWebhookPayload } from '../../domain/alerts/alert-webhook-payload';

type JsonPrimitive = string | number | boolean | null;

/** Values JSON cannot hold faithfully: refused anywhere inside a {@link JsonCompatible} value. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function, whatever its signature, is refused
type NotJson = undefined | bigint | symbol | Function | Date | RegExp | Map<unknown, unknown> | Set<unknown> | ArrayBufferLike | ArrayBufferView;

/**
 * `T` itself when every value inside it is JSON (primitives, arrays, plain objects), otherwise a
 * type that `T` is not assignable to (the offending part becomes `never`). Optional fields are
 * allowed (JSON drops them when absent).
 */
export type JsonCompatible<T> = T extends JsonPrimitive
  ? T
  : T extends NotJson
    ? never
    : T extends readonly unknown[]
      ? { [K in keyof T]: JsonCompatible<T[K]> }
      : T extends object
        ? { [K in keyof T]: JsonCompatible<T[K]> }
        : never;

/**
 * A JSON-compatible domain value as the input of a `Json` column. Not null at the top level: a
 * nullable column is left out (undefined) or set to `Prisma.DbNull` by the caller.
 */
export function toJsonColumn<T>(value: T & JsonCompatible<T> & {}): Prisma.InputJsonValue {
  // No assertion: Prisma's `InputJsonObject` (every key optional) takes any non-null value, so
  // the parameter's `JsonCompatible<T>` is the whole check, made at each call site.
  return value;
}

/** A stored value is malformed: names the column and the problem. */
export class MalformedJsonColumnError extends Error {
  constructor(
    readonly column: string,
    readonly problem: string,
  ) {
    super(`stored ${column} is malformed: ${problem}`);
    this.name = 'MalformedJsonColumnError';
  }
}

/** Where a guard records why a value is refused. */
interface Problem {
  message: string;
}

type Guard<T> = (value: unknown, problem: Problem) => value is T;

function decode<T>(column: string, value: unknown, guard: Guard<T>): T {
  const problem: Problem = { message: 'unexpected shape' };
  if (guard(value, problem)) return value;
  throw new MalformedJsonColumnError(column, problem.message);
}

function fail(problem: Problem, message: string): false {
  problem.message = message;
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The first of `fields` whose value is not of type `type`, or undefined. */
function wrongField(record: Record<string, unknown>, type: 'string' | 'number' | 'boolean', fields: readonly string[]): string | undefined {
  return fields.find((field) => typeof record[field] !== type);
}

function hasFields(
  record: Record<string, unknown>,
  at: string,
  problem: Problem,
  fields: { string?: readonly string[]; number?: readonly string[]; boolean?: readonly string[] },
): boolean {
  for (const type of ['string', 'number', 'boolean'] as const) {
    const wrong = wrongField(record, type, fields[type] ?? []);
    if (wrong !== undefined) return fail(problem, `${at}${wrong} is ${describe(record[wrong])}, expected a ${type}`);
  }
  return true;
}

/** The model tasks, as stored values are compared with them. */
const TASK_NAMES: readonly unknown[] = TASKS;

function isPreprocessingSpec(value: unknown, problem: Problem): value is PreprocessingSpec {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  if (value.version !== 1) return fail(problem, `version is ${describe(value.version)}, expected 1`);
  if (!TASK_NAMES.includes(value.task)) return fail(problem, `task is ${describe(value.task)}, expected a model task`);
  if (!hasFields(value, '', problem, { number: ['inputWidth', 'trainRowCount'] })) return false;
  if (!Array.isArray(value.features)) return fail(problem, `features is ${describe(value.features)}, expected an array`);
  for (const [i, feature] of value.features.entries()) {
    const at = `features[${i}].`;
    if (!isRecord(feature)) return fail(problem, `features[${i}] is ${describe(feature)}, expected an object`);
    if (!hasFields(feature, at, problem, { string: ['name'], number: ['offset'] })) return false;
    if (feature.type === 'NUMERIC') {
      if (!hasFields(feature, at, problem, { number: ['mean', 'scale'] })) return false;
    } else if (feature.type === 'CATEGORICAL') {
      if (!Array.isArray(feature.categories)) return fail(problem, `${at}categories is ${describe(feature.categories)}, expected an array`);
    } else {
      return fail(problem, `${at}type is ${describe(feature.type)}, expected NUMERIC or CATEGORICAL`);
    }
  }
  const label = value.label;
  if (!isRecord(label)) return fail(problem, `label is ${describe(label)}, expected an object`);
  if (label.kind === 'CLASSES') {
    if (!hasFields(label, 'label.', problem, { string: ['column'], boolean: ['numeric'] })) return false;
    if (!Array.isArray(label.classes)) return fail(problem, `label.classes is ${describe(label.classes)}, expected an array`);
    return true;
  }
  if (label.kind === 'TARGET') return hasFields(label, 'label.', problem, { string: ['column'], number: ['mean', 'scale'] });
  return fail(problem, `label.kind is ${describe(label.kind)}, expected CLASSES or TARGET`);
}

/** `ModelVersion.preprocessing`. */
export function preprocessingSpecOf(value: unknown): PreprocessingSpec {
  return decode('ModelVersion.preprocessing', value, isPreprocessingSpec);
}

function isHyperparameters(value: unknown, problem: Problem, at = ''): value is TrainingRunHyperparameters {
  if (!isRecord(value)) return fail(problem, `expected an object${at ? ` at ${at}` : ''}, got ${describe(value)}`);
  const prefix = at ? `${at}.` : '';
  if (!hasFields(value, prefix, problem, { string: ['optimizer', 'backend'], number: ['epochs', 'learningRate', 'seed'] })) return false;
  if (value.batchSize !== null && typeof value.batchSize !== 'number')
    return fail(problem, `${prefix}batchSize is ${describe(value.batchSize)}, expected a number or null`);
  if (value.loss !== undefined && typeof value.loss !== 'string') return fail(problem, `${prefix}loss is ${describe(value.loss)}, expected a string`);
  const split = value.split;
  if (!isRecord(split)) return fail(problem, `${prefix}split is ${describe(split)}, expected an object`);
  if (!hasFields(split, `${prefix}split.`, problem, { number: ['train', 'validation', 'test'] })) return false;
  if (value.earlyStopping !== null && !isRecord(value.earlyStopping))
    return fail(problem, `${prefix}earlyStopping is ${describe(value.earlyStopping)}, expected an object or null`);
  if (value.classWeights !== null && !Array.isArray(value.classWeights))
    return fail(problem, `${prefix}classWeights is ${describe(value.classWeights)}, expected an array or null`);
  return true;
}

/** `Run.hyperparameters` of a TRAINING run, and `ModelVersion.hyperparameters`. */
export function trainingHyperparametersOf(value: unknown, column = 'Run.hyperparameters'): TrainingRunHyperparameters {
  return decode(column, value, isHyperparameters);
}

function isArchitecture(value: unknown, problem: Problem, at = ''): value is Architecture {
  const prefix = at ? `${at}.` : '';
  if (!isRecord(value)) return fail(problem, `${at || 'value'} is ${describe(value)}, expected an object`);
  if (!Array.isArray(value.layers)) return fail(problem, `${prefix}layers is ${describe(value.layers)}, expected an array`);
  for (const [i, layer] of value.layers.entries()) {
    if (!isRecord(layer)) return fail(problem, `${prefix}layers[${i}] is ${describe(layer)}, expected an object`);
    if (!hasFields(layer, `${prefix}layers[${i}].`, problem, { string: ['activation'], number: ['units'] })) return false;
  }
  const output = value.outputLayer;
  if (output === undefined || output === null) return true;
  if (!isRecord(output)) return fail(problem, `${prefix}outputLayer is ${describe(output)}, expected an object`);
  return hasFields(output, `${prefix}outputLayer.`, problem, { string: ['activation'] });
}

/** `Model.architecture`. */
export function architectureOf(value: unknown): Architecture {
  return decode('Model.architecture', value, isArchitecture);
}

/** A TRIAL run's hyperparameters: the training ones with the trial's `architecture` alongside. */
export type TrialHyperparameters = TrainingRunHyperparameters & { architecture: Architecture };

function isTrialHyperparameters(value: unknown, problem: Problem): value is TrialHyperparameters {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  return isArchitecture(value.architecture, problem, 'architecture') && isHyperparameters(value, problem);
}

/** `Run.hyperparameters` of a TRIAL run. */
export function trialHyperparametersOf(value: unknown): TrialHyperparameters {
  return decode('Run.hyperparameters (trial)', value, isTrialHyperparameters);
}

function isStudyDefinition(value: unknown, problem: Problem): value is StudyDefinition {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  if (!hasFields(value, '', problem, { string: ['strategy'], number: ['maxTrials', 'parallelism', 'seed'] })) return false;
  const { objective, searchSpace, pruning } = value;
  if (!isRecord(objective)) return fail(problem, `objective is ${describe(objective)}, expected an object`);
  if (!hasFields(objective, 'objective.', problem, { string: ['metric', 'direction'] })) return false;
  if (!isRecord(searchSpace) || !Array.isArray(searchSpace.parameters)) return fail(problem, 'searchSpace.parameters is missing or not an array');
  if (!isRecord(pruning)) return fail(problem, `pruning is ${describe(pruning)}, expected an object`);
  if (!hasFields(pruning, 'pruning.', problem, { string: ['kind'], number: ['warmupEpochs', 'startupTrials'] })) return false;
  return isHyperparameters(value.baseHyperparameters, problem, 'baseHyperparameters');
}

/** `Run.hyperparameters` of an OPTIMIZATION run: the study. */
export function studyDefinitionOf(value: unknown): StudyDefinition {
  return decode('Run.hyperparameters (study)', value, isStudyDefinition);
}

function isEvaluation(value: unknown, problem: Problem): value is Evaluation {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  if (!TASK_NAMES.includes(value.task)) return fail(problem, `task is ${describe(value.task)}, expected a model task`);
  return true;
}

/** `Evaluation.metrics`: one of the `src/ml/metrics` evaluations, told apart by `task`. */
export function evaluationMetricsOf(value: unknown): Evaluation {
  return decode('Evaluation.metrics', value, isEvaluation);
}

function isFeatureImportance(value: unknown, problem: Problem): value is ColumnImportance[] | null {
  if (value === null) return true;
  if (!Array.isArray(value)) return fail(problem, `expected an array or null, got ${describe(value)}`);
  for (const [i, entry] of value.entries()) {
    if (!isRecord(entry)) return fail(problem, `[${i}] is ${describe(entry)}, expected an object`);
    if (!hasFields(entry, `[${i}].`, problem, { string: ['feature'], number: ['importance', 'std'] })) return false;
  }
  return true;
}

/** `ModelVersion.featureImportance` (null when it was not computed). */
export function featureImportanceOf(value: unknown): ColumnImportance[] | null {
  return decode('ModelVersion.featureImportance', value ?? null, isFeatureImportance);
}

function isTrainingEnvironment(value: unknown): value is TrainingEnvironment {
  return isRecord(value) && typeof value.backend === 'string';
}

/**
 * `ModelVersion.environment` (and a run's): where it trained, or null for a value that is not one
 * (stored before the environment was kept): not an error, GraphQL shows null.
 */
export function trainingEnvironmentOf(value: unknown): TrainingEnvironment | null {
  return isTrainingEnvironment(value) ? value : null;
}

function isDatasetColumns(value: unknown, problem: Problem): value is DatasetColumn[] {
  if (!Array.isArray(value)) return fail(problem, `expected an array, got ${describe(value)}`);
  for (const [i, column] of value.entries()) {
    if (!isRecord(column)) return fail(problem, `[${i}] is ${describe(column)}, expected an object`);
    if (!hasFields(column, `[${i}].`, problem, { string: ['name', 'type', 'role'] })) return false;
    if (!isRecord(column.profile)) return fail(problem, `[${i}].profile is ${describe(column.profile)}, expected an object`);
  }
  return true;
}

/** `DatasetVersion.columns`. */
export function datasetColumnsOf(value: unknown): DatasetColumn[] {
  return decode('DatasetVersion.columns', value, isDatasetColumns);
}

function isPredictionOutput(value: unknown, problem: Problem): value is PredictionOutput {
  if (isRecord(value) && (typeof value.label === 'string' || typeof value.value === 'number')) return true;
  return fail(problem, `expected { label, probabilities } or { value }, got ${JSON.stringify(value)}`);
}

/** `Prediction.output` (checked per row, so only the union's tag: a label or a value). */
export function predictionOutputOf(value: unknown): PredictionOutput {
  return decode('Prediction.output', value, isPredictionOutput);
}

function isFeatureDrift(value: unknown, problem: Problem, at: string): value is FeatureDriftEntry {
  if (!isRecord(value)) return fail(problem, `${at} is ${describe(value)}, expected an object`);
  return hasFields(value, `${at}.`, problem, { string: ['feature', 'type'], boolean: ['drifted', 'infinite'], number: ['referenceCount', 'currentCount'] });
}

function isFeatureDrifts(value: unknown, problem: Problem): value is FeatureDriftEntry[] {
  if (!Array.isArray(value)) return fail(problem, `expected an array, got ${describe(value)}`);
  return value.every((entry, i) => isFeatureDrift(entry, problem, `[${i}]`));
}

/** `DriftReport.features`. */
export function driftFeaturesOf(value: unknown): FeatureDriftEntry[] {
  return decode('DriftReport.features', value, isFeatureDrifts);
}

function isOptionalFeatureDrift(value: unknown, problem: Problem): value is FeatureDriftEntry | null {
  return value === null || isFeatureDrift(value, problem, 'value');
}

/** `DriftReport.prediction` (null on reports stored before the output was tested). */
export function driftPredictionOf(value: unknown): FeatureDriftEntry | null {
  return decode('DriftReport.prediction', value, isOptionalFeatureDrift);
}

function isJsonObject(value: unknown, problem: Problem): value is Prisma.JsonObject {
  return isRecord(value) || fail(problem, `expected an object, got ${describe(value)}`);
}

/**
 * A settings column holding an object of independent keys (`Deployment.monitoring`, `.serving`),
 * as a JSON object to spread a changed key into; null (never written) reads as `{}`. Each key is
 * read by its own domain function (`driftMonitoringOf`, `batchingOf`).
 */
export function settingsObjectOf(column: string, value: unknown): Prisma.JsonObject {
  return value === null || value === undefined ? {} : decode(column, value, isJsonObject);
}

/**
 * `Deployment.monitoring`: its drift key and alerting keys with defaults filled in (a key that is
 * missing or malformed falls back to its default, as `driftMonitoringOf` / `alertMonitoringOf`
 * read it); a column that is not an object is malformed.
 */
export function deploymentMonitoringOf(value: unknown): DeploymentMonitoring {
  const stored = settingsObjectOf('Deployment.monitoring', value);
  return { drift: driftMonitoringOf(stored), alerting: alertMonitoringOf(stored) };
}

/** `Deployment.serving`: the batching settings, defaults filled in (see {@link deploymentMonitoringOf}). */
export function deploymentBatchingOf(value: unknown): BatchingSettings {
  return batchingOf(settingsObjectOf('Deployment.serving', value));
}

function isPredictionActual(value: unknown, problem: Problem): value is PredictionActual | null {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || fail(problem, `expected a class, a number or null, got ${describe(value)}`)
  );
}

/** `Prediction.actual` (a class name or a number; null until recorded). */
export function predictionActualOf(value: unknown): PredictionActual | null {
  return decode('Prediction.actual', value ?? null, isPredictionActual);
}

function isTrialSummary(value: unknown): value is TrialSummary {
  return isRecord(value) && typeof value.trialNumber === 'number' && isRecord(value.params);
}

/**
 * `Run.summary` of a TRIAL run (`{ trialNumber, params }`, later with `objective`, `pruned`,
 * `pruneReason`), or null for a summary that is not a trial's (other kinds, null): not an error.
 */
export function trialSummaryOf(value: unknown): TrialSummary | null {
  return isTrialSummary(value) ? value : null;
}

function isEpochMetrics(value: unknown, problem: Problem): value is Record<string, unknown> {
  return isRecord(value) || fail(problem, `expected an object, got ${describe(value)}`);
}

/** `RunEpoch.metrics` (`loss`, `val_loss`, ...): values unknown, each caller checks the one it reads is a number. */
export function epochMetricsOf(value: unknown): Record<string, unknown> {
  return decode('RunEpoch.metrics', value, isEpochMetrics);
}

function isPredictionInputs(value: unknown, problem: Problem): value is Record<string, unknown> {
  return isRecord(value) || fail(problem, `expected an object of inputs, got ${describe(value)}`);
}

/** `Prediction.inputs` (the instance's fields as sent; checked per row, so only that it is an object). */
export function predictionInputsOf(value: unknown): Record<string, unknown> {
  return decode('Prediction.inputs', value, isPredictionInputs);
}

/** `record[key]` when it is a string, else null: the lenient readers of alert evidence. */
function stringOrNull(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' ? value : null;
}

function numberOrNull(record: Record<string, unknown>, key: string): number | null {
  const value = record[key];
  return typeof value === 'number' ? value : null;
}

function booleanOrNull(record: Record<string, unknown>, key: string): boolean | null {
  const value = record[key];
  return typeof value === 'boolean' ? value : null;
}

function stringsOrNull(record: Record<string, unknown>, key: string): string[] | null {
  const value = record[key];
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

function recordOrEmpty(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function performanceDropVersionOf(value: unknown): PerformanceDropVersion {
  const entry = recordOrEmpty(value);
  const window = isRecord(entry.window)
    ? { count: numberOrNull(entry.window, 'count'), from: stringOrNull(entry.window, 'from'), to: stringOrNull(entry.window, 'to') }
    : null;
  return {
    modelVersionId: stringOrNull(entry, 'modelVersionId'),
    canary: booleanOrNull(entry, 'canary'),
    metric: stringOrNull(entry, 'metric'),
    value: numberOrNull(entry, 'value'),
    baseline: numberOrNull(entry, 'baseline'),
    baselineSplit: stringOrNull(entry, 'baselineSplit'),
    drop: numberOrNull(entry, 'drop'),
    floor: numberOrNull(entry, 'floor'),
    maxDrop: numberOrNull(entry, 'maxDrop'),
    window,
  };
}

function predictionDriftOf(value: unknown): FeatureDriftEntry | null {
  return isFeatureDrift(value, { message: '' }, 'prediction') ? value : null;
}

/**
 * `Alert.details`, the evidence of an alert, in the shape of its `kind` (a column, so always
 * known). Never throws: each field is read on its own and is null when missing or of another type
 * (a row written before the field existed, or a malformed one), so one bad row cannot fail a list.
 */
export function alertDetailsOf(kind: AlertKind, value: unknown): AlertKindAndDetails {
  const details = recordOrEmpty(value);
  const text = (key: string) => stringOrNull(details, key);
  const number = (key: string) => numberOrNull(details, key);
  switch (kind) {
    case 'DATA_DRIFT':
      return {
        kind,
        details: {
          reportId: text('reportId'),
          driftShare: number('driftShare'),
          driftedFeatures: stringsOrNull(details, 'driftedFeatures'),
          windowSize: number('windowSize'),
        },
      };
    case 'PREDICTION_DRIFT':
      return { kind, details: { reportId: text('reportId'), prediction: predictionDriftOf(details.prediction), windowSize: number('windowSize') } };
    case 'PERFORMANCE_DROP':
      return { kind, details: { versions: Array.isArray(details.versions) ? details.versions.map(performanceDropVersionOf) : [] } };
    case 'ERROR_RATE':
      return {
        kind,
        details: {
          failed: number('failed'),
          total: number('total'),
          rate: number('rate'),
          threshold: number('threshold'),
          windowSeconds: number('windowSeconds'),
          canaryModelVersionId: text('canaryModelVersionId'),
        },
      };
    case 'LATENCY':
      return {
        kind,
        details: { p99Ms: number('p99Ms'), thresholdMs: number('thresholdMs'), requests: number('requests'), windowSeconds: number('windowSeconds') },
      };
    case 'RUN_FAILED':
      return {
        kind,
        details: {
          runId: text('runId'),
          kind: text('kind'),
          modelId: text('modelId'),
          datasetVersionId: text('datasetVersionId'),
          error: text('error'),
          attempts: number('attempts'),
          workerId: text('workerId'),
        },
      };
  }
}

const ALERT_KINDS: readonly AlertKind[] = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'PERFORMANCE_DROP', 'ERROR_RATE', 'LATENCY', 'RUN_FAILED'];
const ALERT_SEVERITIES: readonly AlertSeverity[] = ['INFO', 'WARNING', 'CRITICAL'];
const ALERT_STATUSES: readonly AlertStatus[] = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];
const WEBHOOK_EVENTS: readonly AlertWebhookEvent[] = ['alert.opened', 'alert.repeated'];

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return values.some((known) => known === value);
}

/** A webhook body's fields but the alert's evidence, which {@link alertDetailsOf} reads by kind. */
interface StoredWebhookPayload {
  event: AlertWebhookEvent;
  alert: Omit<AlertWebhookAlert, 'kind' | 'details'> & { kind: AlertKind; details?: unknown };
  deployment: AlertWebhookDeployment | null;
}

function isWebhookPayload(value: unknown, problem: Problem): value is StoredWebhookPayload {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  if (!isOneOf(WEBHOOK_EVENTS, value.event)) return fail(problem, `event is ${describe(value.event)}, expected alert.opened or alert.repeated`);
  const alert = value.alert;
  if (!isRecord(alert)) return fail(problem, `alert is ${describe(alert)}, expected an object`);
  if (!hasFields(alert, 'alert.', problem, { string: ['id', 'title', 'firstSeenAt', 'lastSeenAt'], number: ['occurrences'] })) return false;
  if (!isOneOf(ALERT_KINDS, alert.kind)) return fail(problem, `alert.kind is ${describe(alert.kind)}, expected an alert kind`);
  if (!isOneOf(ALERT_SEVERITIES, alert.severity)) return fail(problem, `alert.severity is ${describe(alert.severity)}, expected an alert severity`);
  if (!isOneOf(ALERT_STATUSES, alert.status)) return fail(problem, `alert.status is ${describe(alert.status)}, expected an alert status`);
  const deployment = value.deployment;
  if (deployment === null) return true;
  if (!isRecord(deployment)) return fail(problem, `deployment is ${describe(deployment)}, expected an object or null`);
  return hasFields(deployment, 'deployment.', problem, { string: ['id', 'name'] });
}

/** `AlertDelivery.payload`: the webhook body as stored, its alert's evidence read by the alert's kind. */
export function webhookPayloadOf(value: unknown): AlertWebhookPayload {
  const { event, alert, deployment } = decode('AlertDelivery.payload', value, isWebhookPayload);
  const { id, severity, status, title, occurrences, firstSeenAt, lastSeenAt } = alert;
  return {
    event,
    alert: { id, severity, status, title, occurrences, firstSeenAt, lastSeenAt, ...alertDetailsOf(alert.kind, alert.details) },
    deployment: deployment && { id: deployment.id, name: deployment.name },
  };
}

function isColumnTypeOverrides(value: unknown, problem: Problem): value is ColumnTypeOverrides {
  if (!isRecord(value)) return fail(problem, `expected an object, got ${describe(value)}`);
  const wrong = Object.entries(value).find(([, type]) => type !== 'NUMERIC' && type !== 'CATEGORICAL');
  return wrong === undefined || fail(problem, `${wrong[0]} is ${describe(wrong[1])}, expected NUMERIC or CATEGORICAL`);
}

/** `Dataset.columnTypeOverrides`. */
export function columnTypeOverridesOf(value: unknown): ColumnTypeOverrides {
  return decode('Dataset.columnTypeOverrides', value, isColumnTypeOverrides);
}

function isLabelClasses(value: unknown, problem: Problem): value is string[] | null {
  if (value === null) return true;
  if (!Array.isArray(value)) return fail(problem, `expected an array or null, got ${describe(value)}`);
  const wrong = value.findIndex((label) => typeof label !== 'string');
  return wrong < 0 || fail(problem, `[${wrong}] is ${describe(value[wrong])}, expected a string`);
}

/** `DatasetVersion.labelClasses` (null for regression). */
export function labelClassesOf(value: unknown): string[] | null {
  return decode('DatasetVersion.labelClasses', value, isLabelClasses);
}

function isRowIndices(value: unknown, problem: Problem): value is number[] {
  return Array.isArray(value) || fail(problem, `expected an array, got ${describe(value)}`);
}

/** `DatasetVersionData.referenceRowIndices` (thousands of numbers: only the array is checked). */
export function referenceRowIndicesOf(value: unknown): number[] {
  return decode('DatasetVersionData.referenceRowIndices', value, isRowIndices);
}

/** `Run.hyperparameters` as the object it always is; each kind's decoder reads its fields (`trainingHyperparametersOf`, `studyDefinitionOf`, ...). */
export function runHyperparametersObjectOf(value: unknown): Record<string, unknown> {
  return decode('Run.hyperparameters', value, isJsonObject);
}

function isOptionalJsonObject(value: unknown, problem: Problem): value is Record<string, unknown> | null {
  return value === null || isRecord(value) || fail(problem, `expected an object or null, got ${describe(value)}`);
}

/** `Run.summary` (a training summary, a trial's or a study's: an object), or null before the run has one. */
export function runSummaryOf(value: unknown): Record<string, unknown> | null {
  return decode('Run.summary', value ?? null, isOptionalJsonObject);
}

/** `Run.environment` (the pipeline's `TrainingEnvironment`: an object), or null until the run succeeded. */
export function runEnvironmentOf(value: unknown): Record<string, unknown> | null {
  return decode('Run.environment', value ?? null, isOptionalJsonObject);
}
