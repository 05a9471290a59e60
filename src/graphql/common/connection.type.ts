import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from '../../domain/common/pagination';

@ObjectType({ description: 'Relay pagination state of a connection.' })
export class PageInfo {
  @Field({ description: "More edges follow the last one (in the list's order)." })
  hasNextPage!: boolean;

  @Field({ description: 'More edges come before the first one: exact when paging backward, and when paging forward from a cursor.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge; pass it as `before` (with `last`) for the previous page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass it as `after` (with `first`) for the next page.' })
  endCursor!: string | null;
}

/** The Relay arguments of every connection field: `first`/`after` forward, `last`/`before` backward. */
@ArgsType()
export class PageArgs implements PageRequest {
  @Field(() => Int, { nullable: true, description: `Edges after \`after\`: 1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when neither first nor last is given.` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor of an edge (its `cursor`, or `pageInfo.endCursor`): the page starts after it.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Edges before \`before\` (the list's end when omitted): 1 to ${MAX_PAGE_SIZE}.` })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor of an edge (`pageInfo.startCursor`): the page ends before it.' })
  before?: string | null;
}

export interface ConnectionShape<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Builds the `XEdge` and `XConnection` object types for a node type. */
export function Connection<T extends object>(NodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => NodeType)
    node!: T;
  }

  @ObjectType(`${name}ConnectionBase`)
  abstract class ConnectionType implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of nodes across all pages.' })
    totalCount!: number;
  }
  return ConnectionType;
}

/** Turns a service page into the connection shape. */
export function toConnection<T>(page: Page<T>): ConnectionShape<T> {
  const edges = page.items.map((node) => ({ cursor: page.cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
    totalCount: page.totalCount,
  };
}
