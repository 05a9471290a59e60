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

/**
 * Where a value sits: under `parent` (none for an argument) at `key` (an input field or JSON key,
 * or a list index). Spelled out (`input.instances[3].city`) only when a problem is reported, so a
 * walk over thousands of valid values builds no path text.
 */
interface ValuePath {
  parent: ValuePath | undefined;
  key: string | number;
}

function pathText(parent: ValuePath | undefined, key: string | number): string {
  if (parent === undefined) return String(key);
  const above = pathText(parent.parent, parent.key);
  return typeof key === 'number' ? `${above}[${key}]` : above ? `${above}.${key}` : key;
}

/** One walk over a request's arguments: the problems found, and the JSON keys already found storable (instances repeat theirs). */
interface Walk {
  found: Violations;
  storableKeys: Set<string>;
}

function refuse(walk: Walk, parent: ValuePath | undefined, key: string | number, reason: string): void {
  const field = pathText(parent, key);
  walk.found.add(`${field || 'argument'} ${reason}`, { field });
}

/** Whether `value` is within the length cap and storable; refuses it (at `parent`/`key`) when not. */
function checkString(walk: Walk, value: string, parent: ValuePath | undefined, key: string | number, what = ''): boolean {
  let ok = true;
  if (value.length > MAX_INPUT_STRING_LENGTH) {
    refuse(walk, parent, key, `${what}is ${value.length} characters long, over the limit of ${MAX_INPUT_STRING_LENGTH}`);
    ok = false;
  }
  const bad = findUnstorableCharacter(value);
  if (bad) refuse(walk, parent, key, `${what}${bad.reason} at character ${bad.offset}`);
  return ok && !bad;
}

/** `type` is the GraphQL input type where known (arguments, input fields); JSON scalars' contents have none. */
function checkValue(walk: Walk, value: unknown, type: GraphQLInputType | undefined, parent: ValuePath | undefined, key: string | number, depth: number): void {
  // Past the reporting limit, what more would be found is not reported: stop walking.
  if (walk.found.full) return;
  if (typeof value === 'string') {
    checkString(walk, value, parent, key);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(walk, parent, key, `is ${value}, not a finite number`);
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (depth > MAX_INPUT_DEPTH) return refuse(walk, parent, key, `is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  const here: ValuePath = { parent, key };
  const known = type ? getNullableType(type) : undefined;
  if (Array.isArray(value)) {
    const itemType = known && isListType(known) ? known.ofType : undefined;
    for (let index = 0; index < value.length; index++) checkValue(walk, value[index], itemType, here, index, depth + 1);
    return;
  }
  const fields = known && isInputObjectType(known) ? known.getFields() : undefined;
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const item = record[name];
    const definition = fields?.[name];
    if (definition?.extensions[LONG_TEXT]) continue;
    if (!definition && !walk.storableKeys.has(name) && checkString(walk, name, here, name, 'key ')) walk.storableKeys.add(name);
    // A finite number needs no call of its own (most values of a prediction request are).
    if (typeof item === 'number' && Number.isFinite(item)) continue;
    checkValue(walk, item, definition?.type, here, name, depth + 1);
  }
}

function checkArguments(args: Record<string, unknown>, definitions: readonly GraphQLArgument[]): void {
  const walk: Walk = { found: new Violations(), storableKeys: new Set() };
  for (const definition of definitions) {
    if (definition.extensions[LONG_TEXT]) continue;
    checkValue(walk, args[definition.name], definition.type, undefined, definition.name, 1);
  }
  walk.found.throwIfAny();
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
