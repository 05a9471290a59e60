import {
  getArgumentValues,
  getNamedType,
  isAbstractType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from '../../domain/common/pagination';

/** Sizes that only the data knows. */
export interface ListSizes {
  /** Rows of the dataset version a `split` reads: that version's when known (`datasetVersion(id:)`), else the largest. */
  splitRows(versionId: string | null): Promise<number>;
}

/** Arguments that bound a field's list (or connection) size. */
const SIZE_ARGUMENTS = ['first', 'last', 'limit'] as const;

/** Relay connections (`XConnection` types) return DEFAULT_PAGE_SIZE edges when given no size. */
function isConnection(type: GraphQLNamedType): boolean {
  return type.name.endsWith('Connection') && isObjectType(type) && 'edges' in type.getFields();
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  sizes: ListSizes;
  /** Fragment spreads being walked (a cycle is a validation error, but stay safe). */
  visiting: Set<string>;
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | null {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : null;
}

/**
 * Whether the count reads any of the field's arguments: a size, or the version id of `datasetVersion`.
 * The others (a `predict` input with its instances) are not coerced a second time.
 */
function countsArguments(field: GraphQLField<unknown, unknown>): boolean {
  return field.args.some((arg) => (SIZE_ARGUMENTS as readonly string[]).includes(arg.name) || (field.name === 'datasetVersion' && arg.name === 'id'));
}

function argumentsOf(
  field: GraphQLField<unknown, unknown>,
  node: Parameters<typeof getArgumentValues>[1],
  variables: Record<string, unknown>,
): Record<string, unknown> {
  if (!countsArguments(field)) return {};
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {};
  }
}

async function walk(state: Walk, selectionSet: SelectionSetNode, parent: GraphQLNamedType, multiplier: number, versionId: string | null): Promise<number> {
  let items = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const field = name.startsWith('__') ? undefined : fieldsOf(parent)?.[name];
      if (!field) continue;
      const args = argumentsOf(field, selection, state.variables);
      const type = getNamedType(field.type);
      if (name === 'split' && parent.name === 'DatasetVersion') {
        items += multiplier * (await state.sizes.splitRows(versionId));
        continue;
      }
      const given = SIZE_ARGUMENTS.map((arg) => args[arg]).find((value): value is number => typeof value === 'number' && value >= 0);
      const size = given ?? (isConnection(type) ? DEFAULT_PAGE_SIZE : undefined);
      const inner = size === undefined ? multiplier : multiplier * size;
      if (size !== undefined) items += inner;
      const childVersion = name === 'datasetVersion' && typeof args.id === 'string' ? args.id : type.name === 'DatasetVersion' ? null : versionId;
      if (selection.selectionSet) items += await walk(state, selection.selectionSet, type, inner, childVersion);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? state.schema.getType(selection.typeCondition.name.value) : parent;
      if (type) items += await walk(state, selection.selectionSet, type, multiplier, versionId);
    } else {
      const name = selection.name.value;
      const fragment = state.fragments.get(name);
      if (!fragment || state.visiting.has(name)) continue;
      const type = state.schema.getType(fragment.typeCondition.name.value);
      if (!type) continue;
      state.visiting.add(name);
      items += await walk(state, fragment.selectionSet, type, multiplier, isAbstractType(type) ? null : versionId);
      state.visiting.delete(name);
    }
  }
  return items;
}

/**
 * How many list items an operation may return, counted before it runs: a field with a `first` or
 * `last` or `limit` argument counts that many items (a connection given none, its default 20), times the sizes of the lists it sits in (so
 * `datasets(first: 100) { … versions { rows(limit: 1000) } }` counts 100 + 100,000); a dataset
 * version's `split` counts the version's rows (the largest version's when the version is not
 * named by `datasetVersion(id:)`). Aliases count once each. Lists without a size argument count
 * their parent's size only.
 */
export async function countListItems(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  sizes: ListSizes,
): Promise<number> {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return walk({ schema, fragments, variables, sizes, visiting: new Set() }, operation.selectionSet, root, 1, null);
}
