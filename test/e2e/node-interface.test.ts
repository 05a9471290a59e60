import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { postGraphQL, type GraphQLResponseBody } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';

const NODE = 'query($id: ID!) { node(id: $id) { __typename id } }';

/** Relay Object Identification: `node(id:)` over HTTP, with the access rules of each type. */
describe('the Node interface and node(id:)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let trained: TrainedVersions;
  /** An id of each Node type, made through the API (the expected type is the key). */
  const ids: Record<string, string> = {};

  const gql = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, headers)).body;

  async function data(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
    const body = await gql(query, variables);
    expect(body.errors).toBeUndefined();
    return body.data!;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    trained = await trainVersions(prisma, server.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 2 });
    const [header, line] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instance = Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
    const [versionId] = trained.versionIds;

    Object.assign(ids, { Dataset: trained.datasetId, DatasetVersion: trained.datasetVersionId, Model: trained.modelId, ModelVersion: versionId });
    const alias = await data(`mutation { setModelVersionAlias(input: { modelVersionId: "${versionId}", alias: "production" }) { modelId } }`);
    expect(alias.setModelVersionAlias.modelId).toBe(trained.modelId);
    ids.ModelAliasEvent = (await prisma.modelAliasEvent.findFirstOrThrow()).id;
    const evaluated = await data(
      `mutation { evaluateModelVersion(input: { modelVersionId: "${versionId}", datasetVersionId: "${trained.datasetVersionId}" }) { id } }`,
    );
    ids.Evaluation = evaluated.evaluateModelVersion.id;
    const deployed = await data(`mutation { deployModel(input: { name: "web", modelVersionId: "${versionId}" }) { deployment { id } event { id } } }`);
    ids.Deployment = deployed.deployModel.deployment.id;
    ids.DeploymentEvent = deployed.deployModel.event.id;
    const predicted = await data('mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }', {
      input: { deployment: 'web', instances: [instance] },
    });
    ids.InstancePrediction = predicted.predict.predictions[0].id;
    const run = await data(`mutation { startTrainingRun(input: { modelId: "${trained.modelId}", datasetVersionId: "${trained.datasetVersionId}" }) { id } }`);
    ids.Run = run.startTrainingRun.id;
    const study = await data(
      `mutation { startOptimization(input: { modelId: "${trained.modelId}", datasetVersionId: "${trained.datasetVersionId}", strategy: RANDOM, maxTrials: 2,
        objective: { metric: "loss", direction: MINIMIZE }, searchSpace: [{ name: "learningRate", kind: LOG_UNIFORM, low: 0.001, high: 0.1 }] }) { id run { id } } }`,
    );
    ids.Study = study.startOptimization.id;
    ids.studyRun = study.startOptimization.run.id;
    ids.ApiKey = (await data('{ apiKeys(first: 1) { edges { node { id } } } }')).apiKeys.edges[0].node.id;
    ids.AuditEvent = (await data('{ auditEvents(first: 1) { edges { node { id } } } }')).auditEvents.edges[0].node.id;
  }, 120_000);

  afterAll(async () => {
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  it('fetches an object of every type by its id alone, as the type it is', async () => {
    const types = [
      'Dataset',
      'DatasetVersion',
      'Model',
      'ModelVersion',
      'ModelAliasEvent',
      'Evaluation',
      'Deployment',
      'DeploymentEvent',
      'InstancePrediction',
      'Run',
      'Study',
      'ApiKey',
      'AuditEvent',
    ];
    const found = await Promise.all(types.map(async (type) => (await data(NODE, { id: ids[type] })).node));
    expect(found).toEqual(types.map((type) => ({ __typename: type, id: ids[type] })));
  });

  it("resolves the fields of the concrete type, the same as the type's own query", async () => {
    const viaNode = await data(`query($id: ID!) { node(id: $id) { ... on Deployment { name model { id } modelVersion { version } } } }`, {
      id: ids.Deployment,
    });
    const direct = await data('{ deployment(name: "web") { name model { id } modelVersion { version } } }');
    expect(viaNode.node).toEqual(direct.deployment);
    const prediction = await data(`query($id: ID!) { node(id: $id) { ... on InstancePrediction { index label probabilities { label } } } }`, {
      id: ids.InstancePrediction,
    });
    expect(prediction.node).toMatchObject({
      index: 0,
      label: expect.any(String),
      probabilities: [{ label: expect.any(String) }, { label: expect.any(String) }],
    });
  });

  it('gives a study its own id, while its OPTIMIZATION run keeps the UUID; both name the study where a study is asked for', async () => {
    expect(ids.Study).not.toBe(ids.studyRun);
    expect((await data(NODE, { id: ids.studyRun })).node).toEqual({ __typename: 'Run', id: ids.studyRun });
    for (const id of [ids.Study, ids.studyRun]) {
      expect((await data('query($id: ID!) { study(id: $id) { id run { id kind } } }', { id })).study).toEqual({
        id: ids.Study,
        run: { id: ids.studyRun, kind: 'OPTIMIZATION' },
      });
    }
  });

  it('answers null for an id nothing has, UUID or not', async () => {
    for (const id of [randomUUID(), 'not-an-id', Buffer.from(`Study:${randomUUID()}`).toString('base64url')]) {
      expect(await gql(NODE, { id })).toEqual({ data: { node: null } });
    }
  });

  it('applies the rules of each type: a VIEWER reads models but not keys or the audit log', async () => {
    const viewer = await server.headersFor('node-viewer', 'VIEWER');
    expect(await gql(NODE, { id: ids.Model }, viewer)).toEqual({ data: { node: { __typename: 'Model', id: ids.Model } } });
    for (const type of ['ApiKey', 'AuditEvent']) {
      const refused = await gql(NODE, { id: ids[type] }, viewer);
      expect(refused.data).toEqual({ node: null });
      expect(refused.errors).toEqual([
        expect.objectContaining({
          message: `node (${type}) requires the ADMIN role; key "node-viewer" has VIEWER`,
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
    }
  });

  it('refuses a PREDICTOR key, which reads nothing directly, even for the deployment it serves', async () => {
    const predictor = { authorization: `Bearer ${await server.createKey('node-predictor', 'PREDICTOR', ['web'])}` };
    for (const id of [ids.Deployment, ids.InstancePrediction, ids.Model]) {
      const refused = await gql(NODE, { id }, predictor);
      expect(refused.data).toEqual({ node: null });
      expect(refused.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    }
  });
});
