/**
 * Building blocks of the zod input schemas (see `input-schema.ts`): fields whose one message says
 * what the field must be and what was sent (`must be an integer from 1 to 10,000, got 0`), objects
 * that treat a null field as an absent one (GraphQL sends an omitted nullable input field as either),
 * and {@link collectFields}, which keeps every field that holds when others do not, so that the
 * rules needing context can still check them and every problem of a request is reported at once.
 */
import { z } from 'zod';
import { shownValue, type Violations } from '../errors';
import { collectInput } from './input-schema';

/** The message of a field that is not `description` (`an integer from 1 to 10`): what it must be, and what was sent. */
export function mustBe(description: string): (issue: { input?: unknown }) => string {
  return (issue) => `must be ${description}, got ${shownValue(issue.input)}`;
}

/** Like {@link mustBe}, but an absent field is `required` (its message then says only that). */
export function requiredAnd(description: string, required = 'is required'): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? required : `must be ${description}, got ${shownValue(issue.input)}`);
}

/** `10000` as `10,000`, as messages write limits. */
export function formatLimit(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * An integer from `min` to `max`, both included; every way of missing it gives the same message.
 * One refinement rather than `.int().min().max()`, so that a miss does not abort the object's own
 * refinements (a page request's direction rules are still checked beside a bad size).
 */
export function integerFrom(min: number, max: number, error = mustBe(`an integer from ${formatLimit(min)} to ${formatLimit(max)}`)) {
  return z.number({ error }).refine((value) => Number.isInteger(value) && value >= min && value <= max, { error });
}

/** An integer of at least `min`; every way of missing it gives the same message. */
export function integerAtLeast(min: number, error = mustBe(`an integer of at least ${formatLimit(min)}`)) {
  return z.number({ error }).refine((value) => Number.isInteger(value) && value >= min, { error });
}

/** One of `values` (a closed set), named in the message. */
export function oneOf<const Values extends readonly [string, ...string[]]>(values: Values, error = mustBe(`one of ${values.join(', ')}`)) {
  return z.enum(values, { error });
}

/** A copy of `value` without its null entries, when it is a plain object; anything else as it is. */
function withoutNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== null));
}

/**
 * An object of exactly these fields (another is `not a known field`), a null field read as absent
 * (so `.default(...)` applies to it), anything but an object refused with `must be an object`.
 */
export function inputObject<Shape extends z.ZodRawShape>(shape: Shape, error: string | ((issue: { input?: unknown }) => string) = 'must be an object') {
  return z.preprocess(withoutNulls, z.strictObject(shape, { error }));
}

/** An input object schema as {@link inputObject} makes it. */
type InputObject<Shape extends z.ZodRawShape> = ReturnType<typeof inputObject<Shape>>;

/** What {@link collectFields} found: the whole value when every field held, and each field that held on its own. */
export interface CollectedFields<Output> {
  /** The schema's output, or undefined when any problem was found. */
  value: Output | undefined;
  /** The output of every field that held, checked alone (with its default when absent). */
  fields: Partial<Output>;
}

/**
 * Checks `value` against an {@link inputObject} schema, as `collectInput` does, and also returns each
 * field that holds by itself: the context rules (a loss that fits the task, a class of the dataset)
 * then check those while the shape problems of the other fields are reported beside theirs.
 */
export function collectFields<Shape extends z.ZodRawShape>(
  schema: InputObject<Shape>,
  value: unknown,
  prefix: string,
  problems: Violations,
): CollectedFields<z.output<InputObject<Shape>>> {
  const whole = collectInput(schema, value, prefix, problems);
  if (whole !== undefined) return { value: whole, fields: whole };
  const raw = withoutNulls(value);
  const fields: Record<string, unknown> = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const entries: Record<string, unknown> = { ...raw };
    const shape: Record<string, z.core.$ZodType> = schema.out.shape;
    for (const [name, field] of Object.entries(shape)) {
      const result = z.safeParse(field, entries[name]);
      if (result.success && result.data !== undefined) fields[name] = result.data;
    }
  }
  return { value: undefined, fields: fields as Partial<z.output<InputObject<Shape>>> };
}

/**
 * Orders violations by the field of `shape` they are under (the shape's order), so that the shape's
 * problems and those the context rules add after them read in the input's order. A stable sort:
 * problems of one field keep the order they were found in; those under no field of the shape come last.
 */
export function byShapeOrder(shape: z.ZodRawShape, prefix: string): (a: { field?: string }, b: { field?: string }) => number {
  const names = Object.keys(shape);
  const rank = ({ field }: { field?: string }): number => {
    if (field === undefined || !field.startsWith(`${prefix}.`)) return names.length;
    const name = /^[^.[]+/.exec(field.slice(prefix.length + 1))?.[0];
    const index = name === undefined ? -1 : names.indexOf(name);
    return index === -1 ? names.length : index;
  };
  return (a, b) => rank(a) - rank(b);
}
