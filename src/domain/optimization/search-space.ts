/**
 * The search space of a hyperparameter optimization study: which training hyperparameters
 * a study tunes and the distribution each one is drawn from.
 *
 * Input shape (a GraphQL input list `[SearchParameterInput!]!`; the GraphQL layer reads a CHOICE's
 * `numbers`, `optimizers` or deprecated JSON `values` into {@link SearchParameterInput.values}):
 *
 * ```graphql
 * input SearchParameterInput {
 *   name: String!            # learningRate | batchSize | optimizer | epochs | units[i] | dropout[i]
 *   kind: SearchParameterKind!  # CHOICE | UNIFORM | LOG_UNIFORM | INT_RANGE | INT_LOG_UNIFORM
 *   numbers: [Float!]        # CHOICE only: the choices of a numeric parameter
 *   optimizers: [Optimizer!] # CHOICE only: the choices of `optimizer`
 *   low: Float               # numeric kinds: inclusive lower bound
 *   high: Float              # numeric kinds: inclusive upper bound
 *   step: Int                # INT_RANGE only, default 1; high - low must be a multiple of it
 *   gridPoints: Int          # GRID strategy only: evenly spaced points (log-spaced for LOG kinds)
 * }
 * ```
 *
 * Example: `[{ name: "learningRate", kind: LOG_UNIFORM, low: 1e-4, high: 1e-1 },
 * { name: "optimizer", kind: CHOICE, optimizers: [ADAM, SGD] },
 * { name: "units[0]", kind: INT_RANGE, low: 16, high: 128, step: 16 }]`.
 *
 * Under the GRID strategy every parameter must be finite: CHOICE and the int kinds enumerate
 * their values (or `gridPoints` of them), UNIFORM and LOG_UNIFORM need `gridPoints`.
 */
import { HYPERPARAMETER_LIMITS, OPTIMIZERS } from '../../ml/hyperparameters';
import { ARCHITECTURE_LIMITS } from '../../ml/model-builder';
import { ValidationError } from '../errors';

/** How one parameter is distributed. */
export type SearchParameterKind = 'CHOICE' | 'UNIFORM' | 'LOG_UNIFORM' | 'INT_RANGE' | 'INT_LOG_UNIFORM';

/** The search strategies; validation differs only for GRID. */
export type SearchStrategy = 'GRID' | 'RANDOM' | 'TPE';

/** A value a parameter takes in a trial. */
export type ParamValue = number | string;

/** One parameter as the user sends it (see the module comment for the GraphQL form). */
export interface SearchParameterInput {
  name: string;
  kind: string;
  /** CHOICE only: numbers, or optimizer names for `optimizer`. */
  values?: readonly unknown[] | null;
  /** The input field that carried `values` (`numbers`, `optimizers`), which errors name. @default values */
  valuesField?: string;
  low?: number | null;
  high?: number | null;
  step?: number | null;
  gridPoints?: number | null;
}

/** A validated CHOICE parameter. */
export interface ChoiceParameter {
  name: string;
  kind: 'CHOICE';
  values: readonly ParamValue[];
}

/** A validated continuous parameter; LOG_UNIFORM has `low > 0` and is searched in log space. */
export interface FloatParameter {
  name: string;
  kind: 'UNIFORM' | 'LOG_UNIFORM';
  low: number;
  high: number;
  gridPoints?: number;
}

/** A validated integer parameter; INT_LOG_UNIFORM has `low >= 1` and `step` 1. */
export interface IntParameter {
  name: string;
  kind: 'INT_RANGE' | 'INT_LOG_UNIFORM';
  low: number;
  high: number;
  step: number;
  gridPoints?: number;
}

export type SearchParameter = ChoiceParameter | FloatParameter | IntParameter;
export type NumericParameter = FloatParameter | IntParameter;

/** Whether a parameter takes real values (UNIFORM, LOG_UNIFORM) rather than choices or integers. */
export function isContinuous(parameter: SearchParameter): parameter is FloatParameter {
  return parameter.kind === 'UNIFORM' || parameter.kind === 'LOG_UNIFORM';
}

/** Whether a numeric parameter is searched in log space (LOG_UNIFORM, INT_LOG_UNIFORM). */
export function isLogScale(parameter: NumericParameter): boolean {
  return parameter.kind === 'LOG_UNIFORM' || parameter.kind === 'INT_LOG_UNIFORM';
}

/** A validated search space; parameters keep the user's order, which fixes the grid order. */
export interface SearchSpace {
  parameters: readonly SearchParameter[];
}

/** Limits on the size of a grid, so enumerating it stays cheap and indexes stay exact. */
export const MAX_GRID_SIZE = 100_000;

export interface ValidateSearchSpaceOptions {
  strategy: SearchStrategy;
  /** Number of hidden layers of the model; when given, `units[i]`/`dropout[i]` need `i` below it. */
  layerCount?: number;
  /** Field path prefix for errors. @default 'input.searchSpace' */
  fieldPrefix?: string;
}

/** Optimizer names are strings; every other parameter takes numbers. */
type ValueType = 'NUMBER' | 'OPTIMIZER';

interface ParameterRule {
  valueType: ValueType;
  kinds: readonly SearchParameterKind[];
  /** Whether a value is allowed, and how to say what is allowed. */
  accepts(value: number): boolean;
  domain: string;
}

const FLOAT_KINDS: readonly SearchParameterKind[] = ['CHOICE', 'UNIFORM', 'LOG_UNIFORM'];
const INT_KINDS: readonly SearchParameterKind[] = ['CHOICE', 'INT_RANGE', 'INT_LOG_UNIFORM'];
const ALL_KINDS: readonly SearchParameterKind[] = ['CHOICE', 'UNIFORM', 'LOG_UNIFORM', 'INT_RANGE', 'INT_LOG_UNIFORM'];

const integerUpTo = (max: number): Pick<ParameterRule, 'accepts' | 'domain'> => ({
  accepts: (v) => Number.isInteger(v) && v >= 1 && v <= max,
  domain: `an integer from 1 to ${max}`,
});

// The bounds are the trainer's and the model builder's own, so a space cannot propose a trial they would reject.
const RULES: Record<string, ParameterRule> = {
  learningRate: {
    valueType: 'NUMBER',
    kinds: FLOAT_KINDS,
    accepts: (v) => v > 0 && v <= HYPERPARAMETER_LIMITS.maxLearningRate,
    domain: `a number in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}]`,
  },
  batchSize: { valueType: 'NUMBER', kinds: INT_KINDS, ...integerUpTo(HYPERPARAMETER_LIMITS.maxBatchSize) },
  epochs: { valueType: 'NUMBER', kinds: INT_KINDS, ...integerUpTo(HYPERPARAMETER_LIMITS.maxEpochs) },
  optimizer: { valueType: 'OPTIMIZER', kinds: ['CHOICE'], accepts: () => false, domain: OPTIMIZERS.join(', ') },
  units: { valueType: 'NUMBER', kinds: INT_KINDS, ...integerUpTo(ARCHITECTURE_LIMITS.maxUnits) },
  dropout: { valueType: 'NUMBER', kinds: FLOAT_KINDS, accepts: (v) => v >= 0 && v < 1, domain: 'a number in [0, 1)' },
};

const INDEXED = new Set(['units', 'dropout']);
const NAME_PATTERN = /^([A-Za-z]+)(?:\[(\d+)\])?$/;

/**
 * Checks a user's search space and returns its validated form.
 * @throws ValidationError with `field` such as `input.searchSpace.learningRate.low`
 *   (or `input.searchSpace[2].name` when the name itself is at fault).
 */
export function validateSearchSpace(input: readonly SearchParameterInput[] | null | undefined, options: ValidateSearchSpaceOptions): SearchSpace {
  const prefix = options.fieldPrefix ?? 'input.searchSpace';
  if (!Array.isArray(input) || input.length === 0) {
    throw new ValidationError('The search space needs at least one parameter', { field: prefix });
  }
  const seen = new Set<string>();
  const parameters = input.map((item: unknown, index) => {
    const name = validateName(item, index, prefix, options.layerCount);
    if (seen.has(name)) {
      throw new ValidationError(`Parameter ${name} appears more than once`, { field: `${prefix}[${index}].name` });
    }
    seen.add(name);
    // Its name is checked; validateParameter checks the rest of it.
    return validateParameter(item as SearchParameterInput, name, `${prefix}.${name}`, options.strategy);
  });
  if (options.strategy === 'GRID') {
    const size = gridSize({ parameters });
    if (size > MAX_GRID_SIZE) {
      throw new ValidationError(`The grid has ${size} points; at most ${MAX_GRID_SIZE} are allowed`, { field: prefix });
    }
  }
  return { parameters };
}

function validateName(item: unknown, index: number, prefix: string, layerCount: number | undefined): string {
  const field = `${prefix}[${index}].name`;
  const given: unknown = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined;
  const name = typeof given === 'string' ? given : '';
  const match = NAME_PATTERN.exec(name);
  const base = match?.[1] ?? '';
  if (!match || !Object.hasOwn(RULES, base)) {
    throw new ValidationError(`Unknown parameter "${name}"; tunable parameters are learningRate, batchSize, optimizer, epochs, units[i], dropout[i]`, {
      field,
    });
  }
  const layer = match.at(2);
  if (INDEXED.has(base) !== (layer !== undefined)) {
    const hint = INDEXED.has(base) ? `${base}[i] with a layer index i` : base;
    throw new ValidationError(`Parameter "${name}" must be written ${hint}`, { field });
  }
  if (layer !== undefined && layerCount !== undefined && Number(layer) >= layerCount) {
    throw new ValidationError(`Parameter ${name} refers to layer ${layer}, but the model has ${layerCount} hidden layers`, {
      field,
    });
  }
  return name;
}

function ruleOf(name: string): ParameterRule {
  const base = NAME_PATTERN.exec(name)?.[1];
  if (base === undefined) throw new RangeError(`"${name}" is not a validated parameter name`);
  return RULES[base];
}

function validateParameter(item: SearchParameterInput, name: string, field: string, strategy: SearchStrategy): SearchParameter {
  const rule = ruleOf(name);
  const kind = item.kind as SearchParameterKind;
  if (!ALL_KINDS.includes(kind)) {
    throw new ValidationError(`Unknown kind "${item.kind}"; kinds are ${ALL_KINDS.join(', ')}`, { field: `${field}.kind` });
  }
  if (!rule.kinds.includes(kind)) {
    throw new ValidationError(`${name} cannot be ${kind}; it takes ${rule.kinds.join(', ')}`, { field: `${field}.kind` });
  }
  if (kind === 'CHOICE') {
    rejectPresent(item, ['low', 'high', 'step', 'gridPoints'], kind, field);
    return { name, kind, values: validateChoiceValues(item.values, rule, name, `${field}.${item.valuesField ?? 'values'}`) };
  }
  rejectPresent(item, kind === 'INT_RANGE' ? ['values'] : ['values', 'step'], kind, field);
  const low = requireNumber(item.low, `${field}.low`);
  const high = requireNumber(item.high, `${field}.high`);
  const integral = kind === 'INT_RANGE' || kind === 'INT_LOG_UNIFORM';
  for (const [bound, value] of [
    ['low', low],
    ['high', high],
  ] as const) {
    if (integral && !Number.isInteger(value)) {
      throw new ValidationError(`${bound} of ${kind} must be an integer, got ${value}`, { field: `${field}.${bound}` });
    }
    if (!rule.accepts(value)) {
      throw new ValidationError(`${bound} of ${name} must be ${rule.domain}, got ${value}`, { field: `${field}.${bound}` });
    }
  }
  if ((kind === 'LOG_UNIFORM' || kind === 'INT_LOG_UNIFORM') && low <= 0) {
    throw new ValidationError(`low of ${kind} must be positive, got ${low}`, { field: `${field}.low` });
  }
  if (low >= high) {
    throw new ValidationError(`low (${low}) must be less than high (${high})`, { field: `${field}.low` });
  }
  const gridPoints = validateGridPoints(item.gridPoints, kind, strategy, `${field}.gridPoints`);
  const grid = gridPoints === undefined ? {} : { gridPoints };
  if (kind === 'UNIFORM' || kind === 'LOG_UNIFORM') {
    return { name, kind, low, high, ...grid };
  }
  const step = kind === 'INT_RANGE' ? validateStep(item.step, low, high, `${field}.step`) : 1;
  return { name, kind, low, high, step, ...grid };
}

function rejectPresent(item: SearchParameterInput, keys: readonly (keyof SearchParameterInput)[], kind: string, field: string): void {
  for (const key of keys) {
    if (item[key] !== undefined && item[key] !== null) {
      const given = key === 'values' ? (item.valuesField ?? key) : key;
      throw new ValidationError(`${given} is not used by ${kind}`, { field: `${field}.${given}` });
    }
  }
}

function requireNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(`A finite number is required, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`, { field });
  }
  return value;
}

function validateChoiceValues(values: unknown, rule: ParameterRule, name: string, field: string): ParamValue[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ValidationError(`CHOICE needs a non-empty list of values`, { field });
  }
  const seen = new Set<ParamValue>();
  return values.map((value: unknown, index) => {
    const at = `${field}[${index}]`;
    let accepted: ParamValue;
    if (rule.valueType === 'OPTIMIZER') {
      if (typeof value !== 'string' || !(OPTIMIZERS as readonly string[]).includes(value)) {
        throw new ValidationError(`${name} values must be one of ${rule.domain}, got ${JSON.stringify(value)}`, { field: at });
      }
      accepted = value;
    } else {
      const number = requireNumber(value, at);
      if (!rule.accepts(number)) {
        throw new ValidationError(`${name} values must be ${rule.domain}, got ${number}`, { field: at });
      }
      accepted = number;
    }
    if (seen.has(accepted)) {
      throw new ValidationError(`Value ${JSON.stringify(accepted)} is listed twice`, { field: at });
    }
    seen.add(accepted);
    return accepted;
  });
}

function validateStep(step: number | null | undefined, low: number, high: number, field: string): number {
  if (step === undefined || step === null) return 1;
  if (!Number.isInteger(step) || step < 1) {
    throw new ValidationError(`step must be a positive integer, got ${step}`, { field });
  }
  if ((high - low) % step !== 0) {
    throw new ValidationError(`high - low (${high - low}) must be a multiple of step ${step}`, { field });
  }
  return step;
}

function validateGridPoints(gridPoints: number | null | undefined, kind: SearchParameterKind, strategy: SearchStrategy, field: string): number | undefined {
  if (gridPoints === undefined || gridPoints === null) {
    if (strategy === 'GRID' && (kind === 'UNIFORM' || kind === 'LOG_UNIFORM')) {
      throw new ValidationError(`A GRID search over a continuous ${kind} range needs gridPoints`, { field });
    }
    return undefined;
  }
  if (strategy !== 'GRID') {
    throw new ValidationError(`gridPoints only applies to the GRID strategy, not ${strategy}`, { field });
  }
  if (!Number.isInteger(gridPoints) || gridPoints < 2 || gridPoints > MAX_GRID_SIZE) {
    throw new ValidationError(`gridPoints must be an integer from 2 to ${MAX_GRID_SIZE}, got ${gridPoints}`, { field });
  }
  return gridPoints;
}

/**
 * The values a GRID search tries for one parameter, ascending for numeric kinds: the CHOICE
 * values in order, every step of an int range, or `gridPoints` evenly spaced points (in log
 * space for the LOG kinds, rounded and deduplicated for the int kinds), both bounds included.
 */
export function gridValues(parameter: SearchParameter): ParamValue[] {
  if (parameter.kind === 'CHOICE') return [...parameter.values];
  const { low, high, gridPoints } = parameter;
  if (gridPoints === undefined) {
    if (isContinuous(parameter)) {
      throw new ValidationError(`A GRID search over a continuous ${parameter.kind} range needs gridPoints`, {
        field: `input.searchSpace.${parameter.name}.gridPoints`,
      });
    }
    const { step } = parameter;
    return Array.from({ length: Math.floor((high - low) / step) + 1 }, (_, i) => low + i * step);
  }
  const log = isLogScale(parameter);
  const [a, b] = log ? [Math.log(low), Math.log(high)] : [low, high];
  const points = Array.from({ length: gridPoints }, (_, i) => {
    if (i === 0) return low;
    if (i === gridPoints - 1) return high;
    const t = a + ((b - a) * i) / (gridPoints - 1);
    return log ? Math.exp(t) : t;
  });
  if (isContinuous(parameter)) return points;
  const { step } = parameter;
  const snapped = points.map((p) => low + Math.round((p - low) / step) * step);
  return [...new Set(snapped)];
}

/** Number of points of the Cartesian product a GRID search enumerates (Infinity if a range is continuous). */
export function gridSize(space: SearchSpace): number {
  return space.parameters.reduce((size, parameter) => size * gridValueCount(parameter), 1);
}

function gridValueCount(parameter: SearchParameter): number {
  if (parameter.kind === 'CHOICE') return parameter.values.length;
  if (parameter.gridPoints !== undefined) return gridValues(parameter).length;
  if (isContinuous(parameter)) return Infinity;
  // Counted, not enumerated: an int range may be far larger than any allowed grid.
  return Math.floor((parameter.high - parameter.low) / parameter.step) + 1;
}
