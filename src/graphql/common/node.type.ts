import { Field, ID, InterfaceType } from 'type-graphql';

/** Where `node(id:)` marks the GraphQL type of what it loaded (objects elsewhere have a concrete type). */
export const NODE_TYPE = Symbol('nodeType');

/** An object as `node` returns it: its GraphQL type name rides along for `resolveType`. */
export type TypedNode = object & { [NODE_TYPE]: string };

export function typedNode(type: string, value: object): TypedNode {
  return { ...value, [NODE_TYPE]: type };
}

@InterfaceType({
  description:
    "An object with an id that `node(id:)` fetches without knowing its type (Relay's Object Identification). Ids are UUIDs, unique across all types; a Study's id is its own (see Study.id).",
  resolveType: (value: TypedNode) => value[NODE_TYPE],
})
export abstract class Node {
  @Field(() => ID, { description: 'Globally unique: no two objects of any types share it.' })
  id!: string;
}
