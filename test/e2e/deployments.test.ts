import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';
import { waitForSubscribers } from '../support/subscribers';

const CHANGE_FIELDS = `deployment { name modelVersion { id } previousModelVersion { id } canary { percent modelVersion { id } } }
  event { sequence kind actor reason canaryPercent fromModelVersion { id } toModelVersion { id } }`;

/** Deployments and predictions through two API servers (HTTP and graphql-ws) on one database. */
describe('deployments and predictions over GraphQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let a: TestServer;
  let b: TestServer;
  let ws: WsTestClient;
  let trained: TrainedVersions;
  let instances: Record<string, number>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    [a, b] = await Promise.all([startTestServer({ databaseUrl: db.url }), startTestServer({ databaseUrl: db.url })]);
    ws = await connectWsClient(a.url);
    trained = await trainVersions(prisma, a.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 5 });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    instances = lines.slice(0, 5).map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await ws.close();
    await Promise.all([a.close(), b.close()]);
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (server: TestServer, query: string, variables?: Record<string, unknown>, user?: string): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, user ? await server.headersFor(user) : {})).body;

  it('deploys, canaries, promotes and rolls back, with each change queryable and pushed to subscribers of any server', async () => {
    const [v1, v2] = trained.versionIds;
    const subscription = ws.subscribe(
      'subscription { deploymentChanged(deployment: "web") { sequence kind actor toModelVersion { id } deployment { name } } }',
    );
    const other = ws.subscribe('subscription { deploymentChanged(deployment: "elsewhere") { kind } }');
    await waitForSubscribers(a.pubSub, 'deploymentChanged', 1, 'web');
    await waitForSubscribers(a.pubSub, 'deploymentChanged', 1, 'elsewhere');

    const deployed = await gql(
      b,
      `mutation($input: DeployModelInput!) { deployModel(input: $input) { ${CHANGE_FIELDS} } }`,
      { input: { name: 'web', modelVersionId: v1 } },
      'alice',
    );
    expect(deployed.errors).toBeUndefined();
    expect(deployed.data!.deployModel).toEqual({
      deployment: { name: 'web', modelVersion: { id: v1 }, previousModelVersion: null, canary: null },
      event: { sequence: 1, kind: 'DEPLOYED', actor: 'alice', reason: null, canaryPercent: null, fromModelVersion: null, toModelVersion: { id: v1 } },
    });
    const canary = await gql(b, `mutation { startCanary(input: { deployment: "web", modelVersionId: "${v2}", percent: 20 }) { ${CHANGE_FIELDS} } }`);
    expect(canary.data!.startCanary.deployment.canary).toEqual({ percent: 20, modelVersion: { id: v2 } });
    expect(canary.data!.startCanary.event).toMatchObject({
      kind: 'CANARY_STARTED',
      actor: b.adminKeyName,
      fromModelVersion: { id: v1 },
      toModelVersion: { id: v2 },
    });
    const promoted = await gql(b, `mutation { promoteCanary(deployment: "web") { ${CHANGE_FIELDS} } }`, undefined, 'bob');
    expect(promoted.data!.promoteCanary.deployment).toEqual({ name: 'web', modelVersion: { id: v2 }, previousModelVersion: { id: v1 }, canary: null });
    const rolledBack = await gql(
      b,
      `mutation { rollbackDeployment(input: { deployment: "web", reason: "latency" }) { ${CHANGE_FIELDS} } }`,
      undefined,
      'carol',
    );
    expect(rolledBack.data!.rollbackDeployment.event).toMatchObject({ kind: 'ROLLED_BACK', actor: 'carol', reason: 'latency', toModelVersion: { id: v1 } });

    const pushed = [];
    for (let i = 0; i < 4; i++) pushed.push((await subscription.next(5_000))!.data!.deploymentChanged);
    expect(pushed).toEqual([
      { sequence: 1, kind: 'DEPLOYED', actor: 'alice', toModelVersion: { id: v1 }, deployment: { name: 'web' } },
      { sequence: 2, kind: 'CANARY_STARTED', actor: b.adminKeyName, toModelVersion: { id: v2 }, deployment: { name: 'web' } },
      { sequence: 3, kind: 'CANARY_PROMOTED', actor: 'bob', toModelVersion: { id: v2 }, deployment: { name: 'web' } },
      { sequence: 4, kind: 'ROLLED_BACK', actor: 'carol', toModelVersion: { id: v1 }, deployment: { name: 'web' } },
    ]);
    await expect(other.next(300)).rejects.toThrow();
    await Promise.all([subscription.stop(), other.stop()]);

    const queried = await gql(
      a,
      '{ deployment(name: "web") { name model { id } events(first: 2) { totalCount edges { node { sequence kind } } pageInfo { hasNextPage } } } deployments { totalCount } }',
    );
    expect(queried.data).toEqual({
      deployment: {
        name: 'web',
        model: { id: trained.modelId },
        events: {
          totalCount: 4,
          edges: [{ node: { sequence: 4, kind: 'ROLLED_BACK' } }, { node: { sequence: 3, kind: 'CANARY_PROMOTED' } }],
          pageInfo: { hasNextPage: true },
        },
      },
      deployments: { totalCount: 1 },
    });
    const refused = await gql(a, 'mutation { promoteCanary(deployment: "web") { event { id } } }');
    expect(refused.errors![0].extensions).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('predicts with ids and probabilities, refuses a bad instance as BAD_USER_INPUT naming index and feature, and records actuals', async () => {
    await gql(a, `mutation { deployModel(input: { name: "api", model: "${trained.modelName}", alias: "production" }) { event { id } } }`);
    await a.services.modelVersions.setAlias({ modelVersionId: trained.versionIds[0], alias: 'production' }, 'test');
    const deployed = await gql(
      a,
      `mutation { deployModel(input: { name: "api", model: "${trained.modelName}", alias: "production" }) { deployment { modelVersion { id } } } }`,
    );
    expect(deployed.data!.deployModel.deployment.modelVersion.id).toBe(trained.versionIds[0]);

    const PREDICT =
      'mutation($input: PredictInput!) { predict(input: $input) { requestKey modelVersionId canary predictions { id index label probabilities { label probability } value } } }';
    const answered = await gql(b, PREDICT, { input: { deployment: 'api', instances, requestKey: 'req-1' } });
    expect(answered.errors).toBeUndefined();
    const result = answered.data!.predict;
    expect(result).toMatchObject({ requestKey: 'req-1', modelVersionId: trained.versionIds[0], canary: false });
    expect(result.predictions).toHaveLength(5);
    for (const prediction of result.predictions) {
      expect(prediction.value).toBeNull();
      expect(prediction.probabilities.map((p: { label: string }) => p.label)).toEqual(['0', '1']);
      expect(Number(prediction.probabilities[0].probability) + Number(prediction.probabilities[1].probability)).toBeCloseTo(1, 6);
      expect(prediction.label).toBe(prediction.probabilities[1].probability >= 0.5 ? '1' : '0');
    }
    expect(await prisma.prediction.count({ where: { id: { in: result.predictions.map((p: { id: string }) => p.id) } } })).toBe(5);

    const bad = await gql(b, PREDICT, { input: { deployment: 'api', instances: [instances[0], { ...instances[1], mean_radius: 'big' }] } });
    expect(bad.data).toBeNull();
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1, column: 'mean_radius', field: 'input.instances[1].mean_radius' });

    const explained = await gql(
      a,
      'query($input: ExplainPredictionInput!) { explainPrediction(input: $input) { method modelVersionId label output baselineOutput attributions { feature attribution } completenessError } }',
      {
        input: { deployment: 'api', instance: instances[0] },
      },
    );
    expect(explained.errors).toBeUndefined();
    const explanation = explained.data!.explainPrediction;
    expect(explanation).toMatchObject({ method: 'INTEGRATED_GRADIENTS', modelVersionId: trained.versionIds[0], label: '1' });
    expect(explanation.output).toBeCloseTo(result.predictions[0].probabilities[1].probability, 5);
    expect(explanation.attributions).toHaveLength(30);
    const total = explanation.attributions.reduce((sum: number, a: { attribution: number }) => sum + a.attribution, 0);
    expect(Math.abs(total - (explanation.output - explanation.baselineOutput))).toBeCloseTo(explanation.completenessError, 5);

    const RECORD = 'mutation($input: RecordActualsInput!) { recordActuals(input: $input) { recorded } }';
    const recorded = await gql(a, RECORD, {
      input: {
        deployment: 'api',
        actuals: [
          { predictionId: result.predictions[0].id, actual: 0 },
          { predictionId: result.predictions[1].id, actual: '1' },
        ],
      },
    });
    expect(recorded.data).toEqual({ recordActuals: { recorded: 2 } });
    const performance = await gql(
      b,
      '{ deployment(name: "api") { performance(window: 10) { modelVersionId baselineEvaluationId windows { count comparison { name value baseline change } metrics { task sampleCount accuracy mae perClass { class } } } } } }',
    );
    expect(performance.errors).toBeUndefined();
    const [window] = performance.data!.deployment.performance.windows;
    expect(performance.data!.deployment.performance).toMatchObject({ modelVersionId: trained.versionIds[0], baselineEvaluationId: null });
    expect(window.count).toBe(2);
    const labels = [result.predictions[1].label, result.predictions[0].label];
    const accuracy = (Number(labels[0] === '1') + Number(labels[1] === '0')) / 2;
    expect(window.comparison.find((c: { name: string }) => c.name === 'accuracy')).toEqual({ name: 'accuracy', value: accuracy, baseline: null, change: null });
    expect(window.metrics).toEqual({ task: 'BINARY_CLASSIFICATION', sampleCount: 2, accuracy, mae: null, perClass: null });

    const wrong = await gql(a, RECORD, {
      input: {
        deployment: 'api',
        actuals: [
          { predictionId: result.predictions[2].id, actual: 1 },
          { requestKey: 'req-1', actual: 1 },
        ],
      },
    });
    expect(wrong.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1, field: 'input.actuals[1].requestKey' });
  });
});
