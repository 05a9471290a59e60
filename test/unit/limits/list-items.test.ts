import { buildSchema, parse, print, getOperationAST, type GraphQLScalarType, type ValueNode } from 'graphql';
import { countListItems } from '../../../src/graphql/limits/list-items';

const schema = buildSchema(`
  type Split { train: [Int!]! test: [Int!]! }
  type DatasetVersion { id: ID! rows(limit: Int! = 20): [String!]! split(seed: Int): Split! }
  type Dataset { versions: [DatasetVersion!]! latestVersion: DatasetVersion! }
  type Edge { node: Dataset! }
  type Connection { edges: [Edge!]! }
  type Query { datasets(first: Int! = 20): Connection! datasetVersion(id: ID!): DatasetVersion dataset(name: String): Dataset }
`);

async function count(query: string, variables: Record<string, unknown> = {}, rows: Record<string, number> = {}, largest = 100_000): Promise<number> {
  const document = parse(query);
  return countListItems(schema, document, getOperationAST(document)!, variables, {
    splitRows: async (versionId) => {
      return versionId !== null && rows[versionId] !== undefined ? rows[versionId] : largest;
    },
  });
}

describe('list item counting', () => {
  it('counts 15 aliased splits of a 100,000-row version as 1,500,000 items', async () => {
    const aliases = Array.from({ length: 15 }, (_, i) => `s${i}: split(seed: ${i}) { train test }`).join(' ');
    expect(await count(`{ datasetVersion(id: "v1") { ${aliases} } }`, {}, { v1: 100_000 })).toBe(1_500_000);
    expect(await count(`{ datasetVersion(id: "v2") { split { train } } }`, {}, { v2: 1_000 })).toBe(1_000);
  });

  it('uses the largest version when the version is not named', async () => {
    expect(await count('{ dataset(name: "d") { latestVersion { split { train } } } }', {}, {}, 7_000)).toBe(7_000);
  });

  it('multiplies page sizes, from literals, variables and defaults, through fragments', async () => {
    expect(await count('{ datasets(first: 10) { edges { node { versions { rows(limit: 1000) } } } } }')).toBe(10 + 10_000);
    expect(await count('query($n: Int!) { datasets(first: $n) { edges { node { versions { rows } } } } }', { n: 50 })).toBe(50 + 50 * 20);
    expect(
      await count('{ datasets { ...page } } fragment page on Connection { edges { node { versions { ... on DatasetVersion { rows(limit: 5) } } } } }'),
    ).toBe(20 + 100);
    expect(await count('{ datasets(first: 3) { edges { node { versions { split { train } } } } } }', {}, {}, 10)).toBe(3 + 30);
  });

  it('reads only the arguments it counts: an inline input (a predict request) is not coerced a second time', async () => {
    const inputSchema = buildSchema(`
      scalar Instances
      type Query { predict(input: Instances): Int page(first: Int, filter: Instances): [Int!]! }
    `);
    const coerced: string[] = [];
    Object.assign(inputSchema.getType('Instances') as GraphQLScalarType, {
      parseLiteral: (node: ValueNode) => (coerced.push(print(node)), print(node)),
    });
    const countIn = async (query: string) => {
      const document = parse(query);
      return countListItems(inputSchema, document, getOperationAST(document)!, {}, { splitRows: async () => 0 });
    };
    expect(await countIn('{ predict(input: "rows") }')).toBe(0);
    expect(coerced).toEqual([]);
    expect(await countIn('{ page(first: 7, filter: "f") }')).toBe(7);
    expect(coerced).toEqual(['"f"']);
  });

  it('counts nothing for single objects and scalars', async () => {
    expect(await count('{ datasetVersion(id: "v") { id } __typename }')).toBe(0);
  });
});
