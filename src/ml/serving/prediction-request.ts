/**
 * A prediction request's instances checked against a version's feature schema and turned into the
 * model's feature matrix, and the model's predictions turned into one JSON answer per instance.
 *
 * Input policy (stricter than training, where gaps are imputed silently):
 * - every feature key must be present; an explicit `null` is a missing value, imputed as in
 *   training (numeric: the training mean; categorical: all-zero one-hot);
 * - a key that is not a feature (including the label column) is refused;
 * - numeric features take finite JSON numbers; categorical ones strings (a number is matched by
 *   its decimal string);
 * - a category the version never saw in training is refused rather than encoded as all zeros,
 *   since the model's answer for it would be a guess the caller cannot see.
 * Every refusal is a ValidationError naming the instance index and the feature.
 */
import { required } from '../../domain/common/required';
import { ValidationError, Violations, type Violation } from '../../domain/errors';
import type { Predictions } from '../predictor';
import { applyPreprocessing, encodeNumericRows, type FeatureRecord, type PreprocessingSpec } from '../preprocessing';
import type { NumericRows } from './numeric-rows';
import type { Matrix } from '../tf-types';

/** Most instances one request may carry. */
export const MAX_INSTANCES_PER_REQUEST = 1_000;

/** One instance's answer: a class with every class's probability, or a value. */
export type PredictionOutput = { label: string; probabilities: Record<string, number> } | { value: number };

/** Input paths that errors name: the list of instances, and one instance by its index. */
export interface InstanceFields {
  list: string;
  item: (index: number) => string;
  /**
   * Where one feature of an instance was given: its name (`key`: a key that is not a feature) or
   * its value (missing, ill-typed, unseen).
   * @default `${item(index)}.${feature}` for both
   */
  feature?: (index: number, feature: string, part: 'key' | 'value') => string;
}

/** `input.instances` and `input.instances[i]`, as `predict` takes them. */
export const INSTANCE_LIST_FIELDS: InstanceFields = { list: 'input.instances', item: (index) => `input.instances[${index}]` };

/**
 * Checks the instances and encodes them.
 * @param formProblems problems the entry point found while reading the instances from its own
 *   form (a typed input's feature given twice), reported with those found here
 * @throws ValidationError listing every problem (an unknown key, a missing or ill-typed feature, an
 *   unseen category), each with `index`, `column` and `field`.
 */
export function encodeInstances(
  spec: PreprocessingSpec,
  instances: readonly FeatureRecord[],
  fields: InstanceFields = INSTANCE_LIST_FIELDS,
  formProblems: readonly Violation[] = [],
): Matrix {
  const { list: fieldPrefix, item: fieldOf } = fields;
  const featureField = fields.feature ?? ((index: number, feature: string) => `${fieldOf(index)}.${feature}`);
  if (instances.length === 0) throw new ValidationError('give at least one instance', { field: fieldPrefix });
  if (instances.length > MAX_INSTANCES_PER_REQUEST) {
    throw new ValidationError(`at most ${MAX_INSTANCES_PER_REQUEST} instances per request, got ${instances.length}`, { field: fieldPrefix });
  }
  const features = new Set(spec.features.map((feature) => feature.name));
  const problems = new Violations();
  for (const { message, ...location } of formProblems) problems.add(message, location);
  instances.forEach((instance, index) => {
    if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) {
      problems.add(`instance ${index} must be an object of feature values`, { field: fieldOf(index), index });
      return;
    }
    for (const key of Object.keys(instance)) {
      if (features.has(key)) continue;
      const what = key === spec.label.column ? 'is the label column, not a feature (send actuals with recordActuals)' : 'is not a feature of this model';
      problems.add(`instance ${index}: "${key}" ${what}`, { field: featureField(index, key, 'key'), index, column: key });
    }
  });
  // Instances that are not objects cannot be encoded: the problems found so far are the answer.
  const allObjects = instances.every((instance) => instance !== null && typeof instance === 'object' && !Array.isArray(instance));
  const encoded = allObjects ? problems.check(() => applyPreprocessing(spec, instances, { labels: false })) : undefined;
  for (const unseen of encoded?.unseenCategories ?? []) {
    const feature = spec.features.find((f) => f.name === unseen.column);
    const known = feature?.type === 'CATEGORICAL' ? feature.categories : [];
    problems.add(
      `instance ${unseen.index}: category "${unseen.value.slice(0, 100)}" of feature "${unseen.column}" was not seen in training (known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''})`,
      { index: unseen.index, column: unseen.column },
    );
  }
  // A problem of one value names its input path (`input.instances[3].city`); instances in order.
  problems.throwIfAny(
    (problem) =>
      problem.field === undefined && problem.index !== undefined && problem.column !== undefined
        ? { ...problem, field: featureField(problem.index, problem.column, 'value') }
        : problem,
    (a, b) => (a.index ?? -1) - (b.index ?? -1),
  );
  return required(encoded, 'encoded instances').x;
}

/**
 * {@link encodeInstances} of numeric rows: encoded straight from the block when every value fits,
 * else through their records, so that every refusal reads exactly as for records.
 */
export function encodeNumericInstances(spec: PreprocessingSpec, instances: NumericRows, fields: InstanceFields = INSTANCE_LIST_FIELDS): Matrix {
  const fits = instances.rows >= 1 && instances.rows <= MAX_INSTANCES_PER_REQUEST;
  return (fits ? encodeNumericRows(spec, instances.values, instances.rows) : null) ?? encodeInstances(spec, instances.records(), fields);
}

/** One JSON answer per row of `predictions`. */
export function predictionOutputs(predictions: Predictions): PredictionOutput[] {
  if (predictions.kind === 'VALUES') return Array.from(predictions.values, (value) => ({ value }));
  const { classes, probabilities, labels } = predictions;
  const k = classes.length;
  return labels.map((label, row) => ({
    label,
    probabilities: Object.fromEntries(classes.map((name, c) => [name, probabilities[row * k + c]])),
  }));
}

/** Whether every number of an answer is finite (an output of NaN or ±Infinity cannot be answered nor stored). */
export function isFiniteOutput(output: PredictionOutput): boolean {
  return 'value' in output ? Number.isFinite(output.value) : Object.values(output.probabilities).every(Number.isFinite);
}

/**
 * Refuses a request whose model outputs are not all finite: feature values far outside the training
 * data (each finite and within float32 once standardized) can still overflow the model's float32
 * arithmetic, and a softmax of an infinite logit is NaN.
 * @throws ValidationError naming every such instance (`index`, `field`)
 */
export function checkFiniteOutputs(outputs: readonly PredictionOutput[], fields: InstanceFields = INSTANCE_LIST_FIELDS): void {
  const problems = new Violations();
  outputs.forEach((output, index) => {
    if (!isFiniteOutput(output)) {
      problems.add(`instance ${index}: the model's output is not a finite number (its feature values are too far outside the training data's range)`, {
        field: fields.item(index),
        index,
      });
    }
  });
  problems.throwIfAny();
}
