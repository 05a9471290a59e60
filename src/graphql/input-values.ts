import {
  getNullableType,
  isInputObjectType,
  isListType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { findUnstorableCharacter } from '../domain/common/storable-text';
import { Violations } from '../domain/errors';
import { MAX_INPUT_DEPTH, MAX_INPUT_STRING_LENGTH } from '../domain/common/input-rules';

export { MAX_INPUT_DEPTH, MAX_INPUT_STRING_LENGTH };

/**
 * The one check every GraphQL argument passes before a resolver runs (see `schema.ts`): every
 * string anywhere in the arguments (input fields, list items, JSON scalars' keys and values) must
 * be text PostgreSQL stores exactly as sent and at most {@link MAX_INPUT_STRING_LENGTH} characters,
 * every number finite, and JSON values at most {@link MAX_INPUT_DEPTH} levels deep. Every violation
 * (up to the reporting limit) is listed in one `ValidationError` (BAD_USER_INPUT), each naming its
 * field, e.g. `input.instances[3].city`, so a client's bad input is refused before any write and
 * never counts as a server fault.
 */

const LONG_TEXT = 'mlplaneLongText';

/**
 * Marks an input field whose text its use case checks itself, naming the row and column at fault
 * (CSV text): it is exempt from the length cap and the character check here.
 */
export function LongText(): PropertyDecorator & MethodDecorator & ClassDecorator {
  return Extensions({ [LONG_TEXT]: true });
}

function refuse(found: Violations, field: string, reason: string): void {
  found.add(`${field || 'argument'} ${reason}`, { field });
}

function checkString(found: Violations, value: string, field: string, what = ''): void {
  if (value.length > MAX_INPUT_STRING_LENGTH) {
    refuse(found, field, `${what}is ${value.length} characters long, over the limit of ${MAX_INPUT_STRING_LENGTH}`);
  }
  const bad = findUnstorableCharacter(value);
  if (bad) refuse(found, field, `${what}${bad.reason} at character ${bad.offset}`);
}

/** `type` is the GraphQL input type where known (arguments, input fields); JSON scalars' contents have none. */
function checkValue(found: Violations, value: unknown, type: GraphQLInputType | undefined, field: string, depth: number): void {
  // Past the reporting limit, what more would be found is not reported: stop walking.
  if (found.full) return;
  if (typeof value === 'string') return checkString(found, value, field);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(found, field, `is ${value}, not a finite number`);
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (depth > MAX_INPUT_DEPTH) return refuse(found, field, `is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  const known = type ? getNullableType(type) : undefined;
  if (Array.isArray(value)) {
    const itemType = known && isListType(known) ? known.ofType : undefined;
    value.forEach((item, index) => checkValue(found, item, itemType, `${field}[${index}]`, depth + 1));
    return;
  }
  const fields = known && isInputObjectType(known) ? known.getFields() : undefined;
  for (const [key, item] of Object.entries(value)) {
    const path = field ? `${field}.${key}` : key;
    const definition = fields?.[key];
    if (definition?.extensions[LONG_TEXT]) continue;
    if (!definition) checkString(found, key, path, 'key ');
    checkValue(found, item, definition?.type, path, depth + 1);
  }
}

function checkArguments(args: Record<string, unknown>, definitions: readonly GraphQLArgument[]): void {
  const found = new Violations();
  for (const definition of definitions) {
    if (definition.extensions[LONG_TEXT]) continue;
    checkValue(found, args[definition.name], definition.type, definition.name, 1);
  }
  found.throwIfAny();
}

const checked = new WeakSet();

/** The definition of the field being resolved, when its parent type has it (graphql-js types its field map as having every name). */
export function resolvedField(info: GraphQLResolveInfo): GraphQLField<unknown, unknown> | undefined {
  const fields: Readonly<Record<string, GraphQLField<unknown, unknown> | undefined>> = info.parentType.getFields();
  return fields[info.fieldName];
}

/**
 * Checks the arguments of the field being resolved (graphql-js's `args`, keyed by argument name)
 * once, however many of them its resolver takes.
 * @throws ValidationError listing every field at fault.
 */
export function checkArgumentValues(args: Record<string, unknown>, info: GraphQLResolveInfo): void {
  if (checked.has(args)) return;
  checkArguments(args, resolvedField(info)?.args ?? []);
  checked.add(args);
}
