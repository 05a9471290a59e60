/**
 * Declarative input validation: every input's shape rules (types, ranges, closed sets, lengths,
 * unknown fields) are a zod schema beside the domain type it produces, and {@link parseInput} turns
 * zod's issues into the one `ValidationError` every transport reports (BAD_USER_INPUT, each
 * problem with its field path, e.g. `input.hyperparameters.split.test`). Rules that need context
 * zod cannot see (the dataset's label classes, a deployment's features) stay in the domain code
 * that has it, and add their problems to the same {@link Violations}.
 *
 * An issue's message is written as the rest of a sentence whose subject is the field: the
 * violation reads `input.epochs must be an integer from 1 to 10,000`.
 */
import { z } from 'zod';
import { Violations, type Violation } from '../errors';

/** The field path of `path` below `prefix`: names joined by dots, list positions in brackets. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let field = prefix;
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field ? `.${String(key)}` : String(key);
  }
  return field;
}

/** The violations of one zod issue (an object with several unknown fields gives one per field). */
function violationsOf(issue: z.core.$ZodIssue, prefix: string): Violation[] {
  const field = fieldPath(prefix, issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyField = fieldPath(field, [key]);
      return { message: `${keyField} is not a known field`, field: keyField };
    });
  }
  return [{ message: `${field || 'argument'} ${issue.message}`, field }];
}

/** Checks `value` against `schema` and returns what it produces; every problem goes to `problems`, and the result is undefined when there was one. */
export function collectInput<Schema extends z.ZodType>(schema: Schema, value: unknown, prefix: string, problems: Violations): z.output<Schema> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    for (const { message, ...location } of violationsOf(issue, prefix)) problems.add(message, location);
  }
  return undefined;
}

/**
 * Checks `value` against `schema` and returns what it produces.
 * @param prefix the input's own field path (`input.hyperparameters`), prepended to every issue's path
 * @throws ValidationError listing every problem found, each with its field path
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, prefix: string): z.output<Schema> {
  const problems = new Violations();
  const parsed = collectInput(schema, value, prefix, problems);
  problems.throwIfAny();
  return parsed as z.output<Schema>;
}
