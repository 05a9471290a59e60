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
import { z } from 'zod';
import { formatLimit, inputObject, integerFrom, mustBe, oneOf, requiredAnd } from '../common/input-fields';
import { collectInput } from '../common/input-schema';
import { shownValue, ValidationError, Violations, type Violation } from '../errors';

/** How one parameter is distributed, in the order messages list the kinds. */
export const SEARCH_PARAMETER_KINDS = ['CHOICE', 'UNIFORM', 'LOG_UNIFORM', 'INT_RANGE', 'INT_LOG_UNIFORM'] as const;
export type SearchParameterKind = (typeof SEARCH_PARAMETER_KINDS)[number];

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

/** What a tunable parameter may be: the kinds it can be searched with, and the rule of one of its values. */
interface ParameterRule {
  kinds: readonly [SearchParameterKind, ...SearchParameterKind[]];
  value: z.ZodType<ParamValue>;
}

const FLOAT_KINDS = ['CHOICE', 'UNIFORM', 'LOG_UNIFORM'] as const;
const INT_KINDS = ['CHOICE', 'INT_RANGE', 'INT_LOG_UNIFORM'] as const;

/** A number in a range, absent values `required`; one message for every way of missing it. */
function numberIn(description: string, range: (number: z.ZodNumber) => z.ZodNumber): z.ZodType<number> {
  return range(z.number({ error: requiredAnd(description) }));
}

/** An integer from 1 to `max` (the int kinds' values are integers: no other parameter takes them). */
function integerUpTo(max: number): z.ZodType<number> {
  return integerFrom(1, max, requiredAnd(`an integer from 1 to ${formatLimit(max)}`));
}

// The bounds are the trainer's and the model builder's own, so a space cannot propose a trial they would reject.
const RULES: Record<string, ParameterRule> = {
  learningRate: {
    kinds: FLOAT_KINDS,
    value: numberIn(`a number in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}]`, (number) =>
      number
        .gt(0, { error: mustBe(`a number in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}]`) })
        .max(HYPERPARAMETER_LIMITS.maxLearningRate, { error: mustBe(`a number in (0, ${HYPERPARAMETER_LIMITS.maxLearningRate}]`) }),
    ),
  },
  batchSize: { kinds: INT_KINDS, value: integerUpTo(HYPERPARAMETER_LIMITS.maxBatchSize) },
  epochs: { kinds: INT_KINDS, value: integerUpTo(HYPERPARAMETER_LIMITS.maxEpochs) },
  optimizer: { kinds: ['CHOICE'], value: oneOf(OPTIMIZERS) },
  units: { kinds: INT_KINDS, value: integerUpTo(ARCHITECTURE_LIMITS.maxUnits) },
  dropout: {
    kinds: FLOAT_KINDS,
    value: numberIn('a number in [0, 1)', (number) => number.min(0, { error: mustBe('a number in [0, 1)') }).lt(1, { error: mustBe('a number in [0, 1)') })),
  },
};

const INDEXED = new Set(['units', 'dropout']);
const NAME_PATTERN = /^([A-Za-z]+)(?:\[(\d+)\])?$/;

/** A field a kind does not use: refused when given. */
const unusedBy = (kind: SearchParameterKind) => z.never({ error: `is not used by ${kind}` }).optional();

/** The values a CHOICE lists: at least one, each once. */
function choiceValues(value: z.ZodType<ParamValue>) {
  return z
    .array(value, { error: 'must be a non-empty list of values' })
    .min(1, { error: 'must be a non-empty list of values' })
    .superRefine((values, context) => {
      values.forEach((item, index) => {
        if (values.indexOf(item) < index) context.addIssue({ code: 'custom', path: [index], message: `repeats ${JSON.stringify(item)}` });
      });
    });
}

/** Bounds in the parameter's range (their field rules), low below high and above 0 in log space: checked once both hold. */
function bounded<Range extends z.ZodType<{ low: number; high: number }>>(range: Range, log: boolean): Range {
  const bothHold = ({ issues }: { issues: readonly unknown[] }) => issues.length === 0;
  return range
    .refine((bounds) => !log || bounds.low > 0, {
      path: ['low'],
      error: (issue) => `must be greater than 0 in log space, got ${shownLow(issue.input)}`,
      when: bothHold,
    })
    .refine((bounds) => bounds.low < bounds.high, {
      path: ['low'],
      error: (issue) => `must be less than high (${shownHigh(issue.input)}), got ${shownLow(issue.input)}`,
      when: bothHold,
    });
}

const shownLow = (range: unknown) => shownValue((range as { low?: unknown }).low);
const shownHigh = (range: unknown) => shownValue((range as { high?: unknown }).high);

/** A step of an INT_RANGE: a positive integer. */
const stepSchema = z
  .number({ error: mustBe('a positive integer') })
  .int({ error: mustBe('a positive integer') })
  .min(1, { error: mustBe('a positive integer') });

/** The rules of a parameter of `kind` whose values follow `value`; `name` is checked before. */
function parameterSchema(kind: SearchParameterKind, value: z.ZodType<ParamValue>) {
  const name = z.string();
  const gridPoints = integerFrom(2, MAX_GRID_SIZE).optional();
  // Only integer parameters take the int kinds, so their value rule already makes the bounds integers.
  const bound = value as z.ZodType<number>;
  switch (kind) {
    case 'CHOICE':
      return inputObject({
        name,
        kind: z.literal(kind),
        values: choiceValues(value),
        low: unusedBy(kind),
        high: unusedBy(kind),
        step: unusedBy(kind),
        gridPoints: unusedBy(kind),
      });
    case 'UNIFORM':
    case 'LOG_UNIFORM':
      return bounded(
        inputObject({ name, kind: z.literal(kind), values: unusedBy(kind), low: bound, high: bound, step: unusedBy(kind), gridPoints }),
        kind === 'LOG_UNIFORM',
      );
    case 'INT_RANGE':
      return bounded(
        inputObject({ name, kind: z.literal(kind), values: unusedBy(kind), low: bound, high: bound, step: stepSchema.default(1), gridPoints }),
        false,
      ).refine((range) => (range.high - range.low) % range.step === 0, {
        path: ['step'],
        error: (issue) => {
          const { low, high, step } = issue.input as { low: number; high: number; step: number };
          return `must divide high - low (${high - low}), got ${step}`;
        },
        when: ({ issues }) => issues.length === 0,
      });
    case 'INT_LOG_UNIFORM':
      return bounded(inputObject({ name, kind: z.literal(kind), values: unusedBy(kind), low: bound, high: bound, step: unusedBy(kind), gridPoints }), true);
  }
}

/**
 * Checks a user's search space and returns its validated form: each parameter's name (a tunable
 * parameter, once, on a layer the model has), then its kind's rules ({@link parameterSchema}), then
 * what the strategy needs (GRID: gridPoints on continuous ranges, at most {@link MAX_GRID_SIZE} points).
 * @throws ValidationError listing every problem, each with `field` such as `input.searchSpace.learningRate.low`
 *   (or `input.searchSpace[2].name` when the name itself is at fault).
 */
export function validateSearchSpace(input: readonly SearchParameterInput[] | null | undefined, options: ValidateSearchSpaceOptions): SearchSpace {
  const prefix = options.fieldPrefix ?? 'input.searchSpace';
  if (!Array.isArray(input) || input.length === 0) {
    throw new ValidationError(`${prefix} needs at least one parameter`, { field: prefix });
  }
  const problems = new Violations();
  const seen = new Set<string>();
  const parameters: SearchParameter[] = [];
  input.forEach((item: unknown, index) => {
    const name = problems.check(() => validateName(item, index, prefix, options.layerCount));
    if (name === undefined) return;
    if (seen.has(name)) {
      problems.add(`Parameter ${name} appears more than once`, { field: `${prefix}[${index}].name` });
      return;
    }
    seen.add(name);
    const parameter = checkParameter(item, name, `${prefix}.${name}`, options.strategy, problems);
    if (parameter) parameters.push(parameter);
  });
  problems.throwIfAny();
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

/** The kind `name` can take, or undefined with its problem in `problems`. */
function kindOf(item: unknown, name: string, field: string, problems: Violations): SearchParameterKind | undefined {
  const rule = ruleOf(name);
  const kind = z.enum(rule.kinds, {
    error: (issue) =>
      (SEARCH_PARAMETER_KINDS as readonly unknown[]).includes(issue.input)
        ? `must be one of ${rule.kinds.join(', ')} for ${name}, got ${shownValue(issue.input)}`
        : `must be one of ${SEARCH_PARAMETER_KINDS.join(', ')}, got ${shownValue(issue.input)}`,
  });
  return collectInput(kind, typeof item === 'object' && item !== null ? (item as { kind?: unknown }).kind : undefined, field, problems);
}

/** One parameter whose name is checked: its kind's rules, then the strategy's; undefined with its problems in `problems`. */
function checkParameter(item: unknown, name: string, field: string, strategy: SearchStrategy, problems: Violations): SearchParameter | undefined {
  const kind = kindOf(item, name, `${field}.kind`, problems);
  if (kind === undefined) return undefined;
  const { valuesField, ...fields } = item as SearchParameterInput;
  const found = new Violations();
  const parsed = collectInput(parameterSchema(kind, ruleOf(name).value), fields, field, found);
  problems.check(() => found.throwIfAny((violation) => namingValuesField(violation, field, valuesField)));
  if (parsed === undefined) return undefined;
  const continuous = kind === 'UNIFORM' || kind === 'LOG_UNIFORM';
  const gridPoints = 'gridPoints' in parsed ? parsed.gridPoints : undefined;
  if (gridPoints !== undefined && strategy !== 'GRID') {
    problems.add(`gridPoints only applies to the GRID strategy, not ${strategy}`, { field: `${field}.gridPoints` });
    return undefined;
  }
  if (gridPoints === undefined && strategy === 'GRID' && continuous) {
    problems.add(`A GRID search over a continuous ${kind} range needs gridPoints`, { field: `${field}.gridPoints` });
    return undefined;
  }
  const grid = gridPoints === undefined ? {} : { gridPoints };
  if (parsed.kind === 'CHOICE') return { name, kind: parsed.kind, values: parsed.values };
  if (parsed.kind === 'UNIFORM' || parsed.kind === 'LOG_UNIFORM') return { name, kind: parsed.kind, low: parsed.low, high: parsed.high, ...grid };
  return { name, kind: parsed.kind, low: parsed.low, high: parsed.high, step: parsed.kind === 'INT_RANGE' ? parsed.step : 1, ...grid };
}

/** A problem of `values` named by the input field that carried them (`input.searchSpace.optimizer.optimizers[1]`). */
function namingValuesField(violation: Violation, field: string, valuesField: string | undefined): Violation {
  const values = `${field}.values`;
  if (!valuesField || valuesField === 'values' || !violation.field?.startsWith(values)) return violation;
  const renamed = `${field}.${valuesField}${violation.field.slice(values.length)}`;
  return { ...violation, field: renamed, message: violation.message.replace(violation.field, renamed) };
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
