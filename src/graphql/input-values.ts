import {
  getNullableType,
  isInputObjectType,
  isListType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { checkInputString, checkJsonInput, MAX_INPUT_DEPTH, MAX_INPUT_STRING_LENGTH, refuseInput } from '../domain/common/input-rules';

/**
 * The one check every GraphQL argument passes before a resolver runs (see `schema.ts`): every
 * string anywhere in the arguments (input fields, list items, JSON scalars' keys and values) must
 * be text PostgreSQL stores exactly as sent and at most {@link MAX_INPUT_STRING_LENGTH} characters,
 * every number finite, and JSON values at most {@link MAX_INPUT_DEPTH} levels deep. A violation is a
 * `ValidationError` (BAD_USER_INPUT) naming the field, e.g. `input.instances[3].city`, so a client's
 * bad input is refused before any write and never counts as a server fault.
 */

export { MAX_INPUT_DEPTH, MAX_INPUT_STRING_LENGTH };

const LONG_TEXT = 'mlplaneLongText';

/**
 * Marks an input field whose text its use case checks itself, naming the row and column at fault
 * (CSV text): it is exempt from the length cap and the character check here.
 */
export function LongText(): PropertyDecorator & MethodDecorator & ClassDecorator {
  return Extensions({ [LONG_TEXT]: true });
}

/** `type` is the GraphQL input type where known (arguments, input fields); JSON scalars' contents have none. */
function checkValue(value: unknown, type: GraphQLInputType | undefined, field: string, depth: number): void {
  if (value instanceof Date) return;
  // JSON scalars' contents have no GraphQL type: the transport-neutral rules apply as they are.
  if (!type || value === null || typeof value !== 'object') return checkJsonInput(value, field, depth);
  if (depth > MAX_INPUT_DEPTH) refuseInput(field, `is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  const known = getNullableType(type);
  if (Array.isArray(value)) {
    const itemType = known && isListType(known) ? (known.ofType as GraphQLInputType) : undefined;
    value.forEach((item, index) => checkValue(item, itemType, `${field}[${index}]`, depth + 1));
    return;
  }
  const fields = known && isInputObjectType(known) ? known.getFields() : undefined;
  for (const [key, item] of Object.entries(value)) {
    const path = field ? `${field}.${key}` : key;
    const definition = fields?.[key];
    if (definition?.extensions?.[LONG_TEXT]) continue;
    if (!definition) checkInputString(key, path, 'key ');
    checkValue(item, definition?.type, path, depth + 1);
  }
}

function checkArguments(args: Record<string, unknown>, definitions: readonly GraphQLArgument[]): void {
  for (const definition of definitions) {
    if (definition.extensions?.[LONG_TEXT]) continue;
    checkValue(args[definition.name], definition.type, definition.name, 1);
  }
}

const checked = new WeakSet<object>();

/**
 * Checks the arguments of the field being resolved (graphql-js's `args`, keyed by argument name)
 * once, however many of them its resolver takes.
 * @throws ValidationError naming the first field at fault.
 */
export function checkArgumentValues(args: Record<string, unknown>, info: GraphQLResolveInfo): void {
  if (checked.has(args)) return;
  checkArguments(args, info.parentType.getFields()[info.fieldName]?.args ?? []);
  checked.add(args);
}
