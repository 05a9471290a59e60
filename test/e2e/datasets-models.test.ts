import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitForSubscribers } from '../support/subscribers';

const CREATE_DATASET = `mutation($input: CreateDatasetInput!) {
  createDataset(input: $input) { dataset { id name task labelColumn } version { id version rowCount columnCount contentHash labelClasses } }
}`;

/** Two API servers on one database, as two `serve` replicas behind a load balancer. */
describe('datasets and models over HTTP and graphql-ws', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let ws: WsTestClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    [a, b] = await Promise.all([startTestServer({ databaseUrl: db.url }), startTestServer({ databaseUrl: db.url })]);
    ws = await connectWsClient(a.url);
  });
  afterAll(async () => {
    await ws.close();
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  const gql = async (server: TestServer, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables)).body;

  async function datasetCount(): Promise<number> {
    return (await gql(a, '{ datasets(first: 1) { totalCount } }')).data!.datasets.totalCount;
  }

  it('delivers datasetCreated from a mutation on server B to a subscriber on server A', async () => {
    const subscription = ws.subscribe('subscription { datasetCreated { id name task } }');
    // The subscription is live once the server has registered it with its pub/sub.
    await waitForSubscribers(a.pubSub, 'datasetCreated');
    const created = await gql(b, CREATE_DATASET, { input: { name: 'iris', csv: fixtureCsv('iris'), labelColumn: 'species' } });
    expect(created.errors).toBeUndefined();
    const event = await subscription.next(5_000);
    expect(event?.data?.datasetCreated).toEqual({ id: created.data!.createDataset.dataset.id, name: 'iris', task: 'MULTICLASS_CLASSIFICATION' });
    await subscription.stop();
  });

  it('queries a version with typed columns, profiles, a preview and a deterministic split', async () => {
    const result = await gql(
      a,
      `{ dataset(name: "iris") { versions { edges { node { id columns { name type role profile { count missing distinct mean std quantiles { p50 } histogram { counts } topCategories { value count } otherCount } }
          rows(offset: 0, limit: 2) { index values { column number text } } split(input: { train: 0.6, validation: 0.2, test: 0.2, seed: 5 }) { train validation test } } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    const [{ node: version }] = result.data!.dataset.versions.edges;
    const sepal = version.columns.find((c: { name: string }) => c.name === 'sepal_length_cm');
    expect(sepal).toMatchObject({ type: 'NUMERIC', role: 'FEATURE', profile: { count: 150, missing: 0, distinct: 35, topCategories: null } });
    expect(sepal.profile.mean).toBeCloseTo(5.8433, 4);
    expect(sepal.profile.std).toBeCloseTo(0.8281, 4);
    expect(sepal.profile.quantiles.p50).toBe(5.8);
    expect(sepal.profile.histogram.counts.reduce((s: number, c: number) => s + c, 0)).toBe(150);
    const species = version.columns.find((c: { name: string }) => c.name === 'species');
    expect(species).toMatchObject({ type: 'CATEGORICAL', role: 'LABEL', profile: { mean: null, otherCount: 0 } });
    expect(species.profile.topCategories).toEqual([
      { value: 'setosa', count: 50 },
      { value: 'versicolor', count: 50 },
      { value: 'virginica', count: 50 },
    ]);
    expect(version.rows[0]).toEqual({
      index: 0,
      values: [
        { column: 'sepal_length_cm', number: 5.1, text: null },
        { column: 'sepal_width_cm', number: 3.5, text: null },
        { column: 'petal_length_cm', number: 1.4, text: null },
        { column: 'petal_width_cm', number: 0.2, text: null },
        { column: 'species', number: null, text: 'setosa' },
      ],
    });
    expect(version.rows.map((row: { index: number }) => row.index)).toEqual([0, 1]);
    expect(version.split.train).toHaveLength(90);
    const again = await gql(a, `query($id: ID!) { datasetVersion(id: $id) { split(input: { train: 0.6, validation: 0.2, test: 0.2, seed: 5 }) { test } } }`, {
      id: version.id,
    });
    expect(again.data!.datasetVersion.split.test).toEqual(version.split.test);
  });

  it('loads a file with quoted commas and newlines, and a file with a BOM and CRLF', async () => {
    const quoted = await gql(a, CREATE_DATASET, {
      input: { name: 'quoted', csv: 'city,notes,label\n"Paris, France","said ""hi""\nthen left",yes\nLyon,plain,no\n', labelColumn: 'label' },
    });
    expect(quoted.errors).toBeUndefined();
    expect(quoted.data!.createDataset.version).toMatchObject({ rowCount: 2, columnCount: 3 });
    const rows = await gql(a, `query($id: ID!) { datasetVersion(id: $id) { rows(limit: 1) { index values { column number text } } } }`, {
      id: quoted.data!.createDataset.version.id,
    });
    expect(rows.data!.datasetVersion.rows[0]).toEqual({
      index: 0,
      values: [
        { column: 'city', number: null, text: 'Paris, France' },
        { column: 'notes', number: null, text: 'said "hi"\nthen left' },
        { column: 'label', number: null, text: 'yes' },
      ],
    });
    const bom = await gql(a, CREATE_DATASET, { input: { name: 'bom', csv: '\uFEFFx,y\r\n1,a\r\n2,b\r\n', labelColumn: 'y' } });
    expect(bom.errors).toBeUndefined();
    expect(bom.data!.createDataset.version).toMatchObject({ rowCount: 2, labelClasses: ['a', 'b'] });
  });

  it.each([
    ['empty input', '', 'y', { field: 'input.csv' }],
    ['header only', 'x,y\n', 'y', { field: 'input.csv' }],
    ['an empty column name', 'x,,y\n1,2,a\n3,4,b\n', 'y', { field: 'input.csv', row: 0 }],
    ['a duplicate column name', 'x,x,y\n1,2,a\n3,4,b\n', 'y', { field: 'input.csv', row: 0 }],
    ['a ragged row', 'x,y\n1,a\n2,b,extra\n', 'y', { field: 'input.csv', row: 2 }],
    ['an unknown label column', 'x,y\n1,a\n2,b\n', 'z', { field: 'input.labelColumn' }],
    ['a label with one class', 'x,y\n1,a\n2,a\n', 'y', { field: 'input.labelColumn', column: 'y' }],
    ['a missing label', 'x,y\n1,a\n2,\n3,b\n', 'y', { field: 'input.labelColumn', row: 2, column: 'y' }],
    ['a non-finite number', 'x,y\n1,a\ninf,b\n3,a\n', 'y', { row: 2, column: 'x' }],
  ])('rejects %s with BAD_USER_INPUT at the fault and stores nothing', async (_what, csv, labelColumn, location) => {
    const before = await datasetCount();
    const result = await gql(a, CREATE_DATASET, { input: { name: `bad-${before}`, csv, labelColumn } });
    expect(result.data).toBeNull();
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...location });
    expect(await datasetCount()).toBe(before);
  });

  it('rejects a NUMERIC override on text, naming row and column', async () => {
    const result = await gql(a, CREATE_DATASET, {
      input: { name: 'override', csv: 'x,y\n1,a\nabc,b\n', labelColumn: 'y', columnTypes: [{ column: 'x', type: 'NUMERIC' }] },
    });
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', row: 2, column: 'x' });
  });

  it('rejects input over 1,000 columns', async () => {
    const wide = `${Array.from({ length: 1001 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 1001 }, () => '1').join(',')}\n`;
    const result = await gql(a, CREATE_DATASET, { input: { name: 'wide', csv: wide, labelColumn: 'c0' } });
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.csv' });
    expect(result.errors![0].message).toMatch(/1,?000/);
  });

  it('returns the same version for the same content and a new one for new content', async () => {
    const created = await gql(a, CREATE_DATASET, { input: { name: 'versions', csv: 'x,y\n1,a\n2,b\n', labelColumn: 'y' } });
    const datasetId = created.data!.createDataset.dataset.id;
    const mutation = `mutation($input: CreateDatasetVersionInput!) { createDatasetVersion(input: $input) { created version { id version contentHash } } }`;
    const same = await gql(b, mutation, { input: { datasetId, csv: 'x,y\n1,a\n2,b\n' } });
    expect(same.data!.createDatasetVersion).toEqual({
      created: false,
      version: { id: created.data!.createDataset.version.id, version: 1, contentHash: created.data!.createDataset.version.contentHash },
    });
    const next = await gql(b, mutation, { input: { datasetId, csv: 'x,y\n1,a\n2,b\n3,a\n' } });
    expect(next.data!.createDatasetVersion).toMatchObject({ created: true, version: { version: 2 } });
    const unknown = await gql(b, mutation, { input: { datasetId: '00000000-0000-4000-8000-000000000000', csv: 'x,y\n1,a\n' } });
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('conflicts on a dataset name in use', async () => {
    const result = await gql(a, CREATE_DATASET, { input: { name: 'iris', csv: 'x,y\n1,a\n2,b\n', labelColumn: 'y' } });
    expect(result.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
  });

  it('pages through datasets with first/after', async () => {
    const names: string[] = [];
    let after: string | null = null;
    let total: number;
    do {
      const page: GraphQLResponseBody = await gql(
        a,
        `query($after: String) { datasets(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`,
        { after },
      );
      const connection = page.data!.datasets;
      total = connection.totalCount;
      names.push(...connection.edges.map((edge: { node: { name: string } }) => edge.node.name));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);
  });

  it('creates the seed model, Dense(10, relu) then Dense(1, sigmoid), in one mutation', async () => {
    const created = await gql(a, CREATE_DATASET, { input: { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' } });
    const datasetId = created.data!.createDataset.dataset.id;
    const result = await gql(
      a,
      `mutation($datasetId: ID!) { createModel(input: { name: "seed", datasetId: $datasetId, layers: [{ units: 10, activation: RELU }] }) {
        id name task layers { units activation } outputLayer { units activation } dataset { name } } }`,
      { datasetId },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createModel).toMatchObject({
      name: 'seed',
      task: 'BINARY_CLASSIFICATION',
      layers: [{ units: 10, activation: 'RELU' }],
      outputLayer: null,
      dataset: { name: 'bc' },
    });
    const listed = await gql(b, '{ models(first: 5) { totalCount edges { node { name } } } model(name: "seed") { id } }');
    expect(listed.data!.models.totalCount).toBe(1);
    expect(listed.data!.model.id).toBe(result.data!.createModel.id);
  });

  it.each([
    ['too many units', [{ units: 5000, activation: 'RELU' }], 'input.layers[0].units'],
    ['zero units', [{ units: 0, activation: 'RELU' }], 'input.layers[0].units'],
    ['too many layers', Array.from({ length: 21 }, () => ({ units: 4, activation: 'RELU' })), 'input.layers'],
    ['a dropout of 1', [{ units: 4, activation: 'RELU', dropout: 1 }], 'input.layers[0].dropout'],
  ])('rejects a model with %s', async (_what, layers, field) => {
    const dataset = await gql(a, '{ dataset(name: "bc") { id } }');
    const result = await gql(a, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
      input: { name: `bad-${field.replace(/[^A-Za-z0-9]/g, '-')}`, datasetId: dataset.data!.dataset.id, layers },
    });
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});
