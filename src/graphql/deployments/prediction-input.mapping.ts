/**
 * The inputs of `predict`, `explainPrediction` and `recordActuals` as the domain takes them. Each
 * has a typed form and a deprecated JSON one; the typed form is read into the same values the JSON
 * form gives (an instance is an object of feature values), so both go through the same checks,
 * and every error names the field the client sent.
 */
import { required } from '../../domain/common/required';
import { ValidationError, type Violation } from '../../domain/errors';
import type { FeatureRecord } from '../../ml/preprocessing';
import { INSTANCE_LIST_FIELDS, type InstanceFields } from '../../ml/serving/prediction-request';
import type { ActualInput as DomainActualInput } from '../../services/predictions/prediction.service';
import type { ActualInput, FeatureValueInput, InstanceInput } from './prediction.type';

/** Instances read from one of a request's forms, with the paths errors name. */
export interface ReadInstances {
  instances: FeatureRecord[];
  fields: InstanceFields;
  /** What is wrong with the typed form itself (a feature given twice, a value both number and category). */
  formProblems: Violation[];
}

/**
 * Refuses a request that gives both forms or neither.
 * @throws ValidationError naming both fields
 */
function requireOneForm(typed: unknown, json: unknown, fields: { typed: string; json: string }): void {
  if ((typed == null) === (json == null)) {
    throw new ValidationError(`give exactly one of ${fields.typed} and ${fields.json} (deprecated)`, { field: `input.${fields.typed}` });
  }
}

/** One typed value as the JSON form gives it: its number, its category, or null (missing). */
function jsonValueOf(value: FeatureValueInput): number | string | null {
  return value.number ?? value.category ?? null;
}

/** The field of a typed value that holds what was given (`number`, `category`), or the value itself when neither was. */
function givenPart(value: FeatureValueInput): string {
  if (value.number != null) return '.number';
  if (value.category != null) return '.category';
  return '';
}

/**
 * Reads typed instances (`path(i)` the path of the i-th) into feature records; a feature given
 * twice keeps its first value and a value given both as a number and a category counts as missing,
 * each reported in `formProblems`.
 */
function readTypedInstances(typed: readonly InstanceInput[], list: string, path: (index: number) => string): ReadInstances {
  const formProblems: Violation[] = [];
  // Per instance: where each feature's (first) value sits in its list.
  const positions: Map<string, number>[] = [];
  const instances = typed.map((instance, index) => {
    const seen = new Map<string, number>();
    const entries: [string, number | string | null][] = [];
    instance.values.forEach((value, position) => {
      const at = `${path(index)}.values[${position}]`;
      const first = seen.get(value.feature);
      if (first !== undefined) {
        formProblems.push({
          message: `instance ${index}: feature "${value.feature}" is given twice (values[${first}] and values[${position}])`,
          field: `${at}.feature`,
          index,
          column: value.feature,
        });
        return;
      }
      seen.set(value.feature, position);
      if (value.number != null && value.category != null) {
        formProblems.push({
          message: `instance ${index}: feature "${value.feature}" has both a number and a category; give one (or neither: missing)`,
          field: at,
          index,
          column: value.feature,
        });
        entries.push([value.feature, null]);
        return;
      }
      entries.push([value.feature, jsonValueOf(value)]);
    });
    positions.push(seen);
    // fromEntries defines own properties, so a feature named like an Object.prototype member is an ordinary key.
    return Object.fromEntries(entries);
  });
  const fields: InstanceFields = {
    list,
    item: path,
    feature: (index, feature, part) => {
      const position = positions[index]?.get(feature);
      if (position === undefined) return `${path(index)}.values`;
      const at = `${path(index)}.values[${position}]`;
      return part === 'key' ? `${at}.feature` : `${at}${givenPart(typed[index].values[position])}`;
    },
  };
  return { instances, fields, formProblems };
}

/**
 * `predict`'s instances: `features` (typed) or `instances` (JSON, deprecated).
 * @throws ValidationError when both or neither are given
 */
export function readPredictInstances(input: { features?: readonly InstanceInput[] | null; instances?: FeatureRecord[] | null }): ReadInstances {
  requireOneForm(input.features, input.instances, { typed: 'features', json: 'instances' });
  if (input.features != null) return readTypedInstances(input.features, 'input.features', (index) => `input.features[${index}]`);
  return { instances: required(input.instances, 'input.instances'), fields: INSTANCE_LIST_FIELDS, formProblems: [] };
}

/**
 * `explainPrediction`'s instance: `features` (typed) or `instance` (JSON, deprecated).
 * @throws ValidationError when both or neither are given
 */
export function readExplainedInstance(input: { features?: InstanceInput | null; instance?: FeatureRecord | null }): Omit<ReadInstances, 'instances'> & {
  instance: FeatureRecord;
} {
  requireOneForm(input.features, input.instance, { typed: 'features', json: 'instance' });
  if (input.features != null) {
    const read = readTypedInstances([input.features], 'input.features', () => 'input.features');
    return { instance: read.instances[0], fields: read.fields, formProblems: read.formProblems };
  }
  return { instance: required(input.instance, 'input.instance'), fields: { list: 'input.instance', item: () => 'input.instance' }, formProblems: [] };
}

/** The forms an actual may take, in the order the message names them. */
const ACTUAL_FORMS = ['label', 'value', 'actual'] as const;

/**
 * `recordActuals`' actuals, each from `label`, `value` or `actual` (JSON, deprecated).
 * @throws ValidationError listing every actual that gives none of them or more than one
 */
export function readActuals(actuals: readonly ActualInput[]): DomainActualInput[] {
  const problems: Violation[] = [];
  const read = actuals.map((item, index) => {
    const given = ACTUAL_FORMS.filter((form) => item[form] != null);
    if (given.length !== 1) {
      problems.push({ message: `actual ${index}: give exactly one of label, value and actual (deprecated)`, field: `input.actuals[${index}]`, index });
    }
    const form = given[0] ?? 'actual';
    return { predictionId: item.predictionId, requestKey: item.requestKey, actual: item[form], actualField: form };
  });
  if (problems.length > 0) throw ValidationError.of(problems);
  return read;
}
