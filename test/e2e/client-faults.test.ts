import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { MAX_INPUT_STRING_LENGTH } from '../../src/graphql/input-values';
import { postGraphQL, type GraphQLResponseBody } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createLogParents } from '../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { requestKey predictions { id } } }';
const START_CANARY = 'mutation($input: StartCanaryInput!) { startCanary(input: $input) { event { kind } } }';
const ROLLBACK = 'mutation($input: RollbackDeploymentInput!) { rollbackDeployment(input: $input) { event { kind } } }';
const BAD_NAME = 'no such deployment';
const percentMessage = 'input.percent must be greater than 0 and less than 100 (0 is no canary, 100 a promotion)';

/**
 * Issue 9 point 5: every input PostgreSQL could refuse (NUL, lone surrogates, non-finite numbers,
 * over-long strings, deep JSON) is BAD_USER_INPUT naming the field (or the CSV row and column)
 * before any write; such requests are the caller's fault and never count toward ERROR_RATE.
 */
describe('client faults are client errors', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let trained: TrainedVersions;
  let instance: Record<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    trained = await trainVersions(prisma, server.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 1 });
    const [header, line] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    instance = Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await prisma?.$disconnect();
    await db?.drop();
  });

  const post = async (query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables)).body;
  /** The refusal's extensions without its list of errors, which must hold exactly the one problem named at the top level. */
  const refusal = (body: GraphQLResponseBody) => {
    expect(body.errors).toHaveLength(1);
    const { errors, ...extensions } = body.errors![0].extensions as Record<string, unknown>;
    const { code: _code, ...location } = extensions;
    expect(errors).toEqual([{ message: body.errors![0].message, ...location }]);
    return extensions;
  };

  it('refuses NUL, lone surrogates, over-long strings and deep JSON in any argument, naming the field, and writes nothing', async () => {
    const create = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { dataset { id } } }';
    const csv = 'x,y\n1,a\n2,b\n3,a\n';
    expect(refusal(await post(create, { input: { name: 'd1', csv, labelColumn: 'y', description: 'bad\u0000' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.description',
    });
    expect(refusal(await post(create, { input: { name: 'd1', csv, labelColumn: 'y\uD800' } }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.labelColumn' });
    expect(refusal(await post(create, { input: { name: 'd1', csv, labelColumn: 'y', description: 'x'.repeat(MAX_INPUT_STRING_LENGTH + 1) } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.description',
    });
    // CSV text is checked by the parser, which names the row and column.
    expect(refusal(await post(create, { input: { name: 'd1', csv: 'x,y\n1,a\n2,b\u0000\n', labelColumn: 'y' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.csv',
      row: 2,
      column: 'y',
    });
    expect(refusal(await post(create, { input: { name: 'd1', csv: 'x,y\n1,a\n2,\uDC00b\n', labelColumn: 'y' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.csv',
      row: 2,
      column: 'y',
    });
    expect(await prisma.dataset.count({ where: { name: 'd1' } })).toBe(0);

    // Scalar arguments and JSON scalars' keys and values.
    expect(refusal(await post('query($name: String) { dataset(name: $name) { id } }', { name: 'a\u0000' }))).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    await server.services.deployments.deployModel({ name: 'faults', modelVersionId: trained.versionIds[0] }, 'test');
    const before = await prisma.prediction.count();
    expect(refusal(await post(PREDICT, { input: { deployment: 'faults', instances: [instance, { ...instance, mean_radius: 'a\u0000' }] } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.instances[1].mean_radius',
    });
    expect(refusal(await post(PREDICT, { input: { deployment: 'faults', instances: [{ ...instance, ['k\u0000']: 1 }] } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.instances[0].k\u0000',
    });
    let deep: unknown = 1;
    for (let i = 0; i < 40; i += 1) deep = { deep };
    expect(refusal(await post(PREDICT, { input: { deployment: 'faults', instances: [{ ...instance, nested: deep }] } }))).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    // A literal JSON number too large for a double is Infinity after parsing.
    expect(refusal(await post('mutation { predict(input: { deployment: "faults", instances: [{ mean_radius: 1e999 }] }) { requestKey } }'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.instances[0].mean_radius',
    });
    expect(refusal(await post(PREDICT, { input: { deployment: 'faults', instances: [instance], requestKey: 'r\u0000' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.requestKey',
    });
    expect(refusal(await post(PREDICT, { input: { deployment: 'faults', instances: [instance], requestKey: 'r\uD83D' } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.requestKey',
    });
    expect(await prisma.prediction.count()).toBe(before);
  }, 60_000);

  it('reports every problem of a request: a predict missing 2 of 30 features names both, a model with several bad settings names each', async () => {
    await server.services.deployments.deployModel({ name: 'all-faults', modelVersionId: trained.versionIds[0] }, 'test');
    const before = await prisma.prediction.count();
    const { mean_radius: _radius, worst_area: _area, ...missingTwo } = instance;
    expect(Object.keys(missingTwo)).toHaveLength(28);
    const missing = await post(PREDICT, {
      input: { deployment: 'all-faults', instances: [instance, missingTwo, { ...instance, texture_error: null, extra: 1 }] },
    });
    expect(missing.errors).toHaveLength(1);
    expect(missing.errors![0].message).toBe('instance 1 lacks feature "mean_radius" (and 2 more problems: see extensions.errors)');
    expect(missing.errors![0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.instances[1].mean_radius',
      index: 1,
      column: 'mean_radius',
      errors: [
        { message: 'instance 1 lacks feature "mean_radius"', field: 'input.instances[1].mean_radius', index: 1, column: 'mean_radius' },
        { message: 'instance 1 lacks feature "worst_area"', field: 'input.instances[1].worst_area', index: 1, column: 'worst_area' },
        { message: 'instance 2: "extra" is not a feature of this model', field: 'input.instances[2].extra', index: 2, column: 'extra' },
      ],
    });
    expect(await prisma.prediction.count()).toBe(before);

    const datasetId = (await prisma.dataset.findFirstOrThrow({ where: {} })).id;
    const create = `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`;
    const bad = await post(create, {
      input: {
        name: 'bad/model?',
        datasetId,
        layers: [
          { units: 0, activation: 'RELU' },
          { units: 8, activation: 'RELU', dropout: 1.5, l2: 2 },
        ],
        outputLayer: { units: 3, activation: 'SIGMOID' },
      },
    });
    expect(bad.errors).toHaveLength(1);
    const listed = (bad.errors![0].extensions!.errors as Array<{ field: string }>).map((problem) => problem.field);
    expect(listed).toEqual(['input.name', 'input.layers[0].units', 'input.layers[1].dropout', 'input.layers[1].l2', 'input.outputLayer.units']);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(await prisma.model.count({ where: { name: 'bad/model?' } })).toBe(0);
  }, 60_000);

  it('reports every problem of a startCanary input, each with its field path, and starts no canary', async () => {
    const [v1, v2] = trained.versionIds;
    await server.services.deployments.deployModel({ name: 'canary-faults', modelVersionId: v1 }, 'test');
    const { modelVersionId: otherModels } = await createLogParents(prisma, []);
    const events = await prisma.deploymentEvent.count();
    const anotherModel = `model version ${otherModels} belongs to another model than deployment "canary-faults"`;
    const wrongVersion = await post(START_CANARY, { input: { deployment: 'canary-faults', modelVersionId: otherModels, percent: 100 } });
    expect(wrongVersion.errors).toHaveLength(1);
    expect(wrongVersion.errors![0].message).toBe(`${anotherModel} (and 1 more problem: see extensions.errors)`);
    expect(wrongVersion.errors![0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.modelVersionId',
      errors: [
        { message: anotherModel, field: 'input.modelVersionId' },
        { message: percentMessage, field: 'input.percent' },
      ],
    });
    // A name no deployment can have is an unknown deployment, as in every other mutation that takes one: the problems of
    // the rest of the input are reported first, then NOT_FOUND.
    const badName = await post(START_CANARY, { input: { deployment: BAD_NAME, modelVersionId: v2, percent: 0 } });
    expect(refusal(badName)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.percent' });
    expect(badName.errors![0].message).toBe(percentMessage);
    const unknown = await post(START_CANARY, { input: { deployment: BAD_NAME, modelVersionId: v2, percent: 5 } });
    expect(unknown.errors![0]).toMatchObject({ message: `deployment ${BAD_NAME} not found`, extensions: { code: 'NOT_FOUND', field: 'input.deployment' } });
    expect(await prisma.deploymentEvent.count()).toBe(events);
    expect(await prisma.deployment.findUniqueOrThrow({ where: { name: 'canary-faults' } })).toMatchObject({ canaryModelVersionId: null, canaryPercent: null });
  });

  it("reports every problem of a rollbackDeployment input, each with its field path, before the deployment's state is looked at", async () => {
    const [v1, v2] = trained.versionIds;
    await server.services.deployments.deployModel({ name: 'rollback-faults', modelVersionId: v1 }, 'test');
    await server.services.deployments.updateDeployment({ deployment: 'rollback-faults', modelVersionId: v2 }, 'test');
    const events = await prisma.deploymentEvent.count();
    const blank = await post(ROLLBACK, { input: { deployment: BAD_NAME, reason: '   ' } });
    expect(refusal(blank)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    expect(blank.errors![0].message).toBe('input.reason is empty: a rollback needs a reason');
    const tooLong = 'r'.repeat(2_001);
    const long = await post(ROLLBACK, { input: { deployment: BAD_NAME, reason: tooLong } });
    expect(refusal(long)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    expect(long.errors![0].message).toBe('input.reason is longer than 2,000 characters');
    const unknown = await post(ROLLBACK, { input: { deployment: BAD_NAME, reason: 'bad' } });
    expect(unknown.errors![0]).toMatchObject({ message: `deployment ${BAD_NAME} not found`, extensions: { code: 'NOT_FOUND', field: 'input.deployment' } });
    // The reason's length is a problem of the input whatever the deployment: it was checked only once the deployment was found and locked.
    expect(refusal(await post(ROLLBACK, { input: { deployment: 'rollback-faults', reason: tooLong } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.reason',
    });
    expect(refusal(await post(ROLLBACK, { input: { deployment: 'unknown-deployment', reason: tooLong } }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.reason',
    });
    expect(await prisma.deploymentEvent.count()).toBe(events);
    expect(await prisma.deployment.findUniqueOrThrow({ where: { name: 'rollback-faults' } })).toMatchObject({ modelVersionId: v2, previousModelVersionId: v1 });
  });

  it('returns and stores a requestKey exactly as sent', async () => {
    await server.services.deployments.deployModel({ name: 'keys', modelVersionId: trained.versionIds[0] }, 'test');
    for (const requestKey of ['ключ-🔑-é', ' spaced\ttab ', '\uFFFD', 'x'.repeat(200)]) {
      const body = await post(PREDICT, { input: { deployment: 'keys', instances: [instance], requestKey } });
      expect(body.errors).toBeUndefined();
      expect(body.data!.predict.requestKey).toBe(requestKey);
      const stored = await prisma.prediction.findUniqueOrThrow({ where: { id: body.data!.predict.predictions[0].id } });
      expect(stored.requestKey).toBe(requestKey);
    }
  });

  it('counts no client fault toward ERROR_RATE: 100 bad requests raise no alert and roll nothing back', async () => {
    const [v1, v2] = trained.versionIds;
    const { deployment } = await server.services.deployments.deployModel({ name: 'guarded', modelVersionId: v1 }, 'test');
    const setup = await post('mutation { setAlertMonitoring(input: { deployment: "guarded", autoRollback: true, evaluateEveryRequests: 20 }) { name } }');
    expect(setup.errors).toBeUndefined();
    expect(
      (await post(`mutation { startCanary(input: { deployment: "guarded", modelVersionId: "${v2}", percent: 50 }) { event { kind } } }`)).errors,
    ).toBeUndefined();
    const bad = [
      { deployment: 'guarded', instances: [{ ...instance, mean_radius: 'x\u0000' }] },
      { deployment: 'guarded', instances: [instance], requestKey: '\u0000' },
      { deployment: 'guarded', instances: [instance], requestKey: '\uDC00' },
      { deployment: 'guarded', instances: [{ ...instance, mean_radius: 'not a number' }] },
      { deployment: 'guarded', instances: [{ unknown: 1 }] },
    ];
    for (let i = 0; i < 100; i += 1) {
      expect((await post(PREDICT, { input: bad[i % bad.length] })).errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect(server.services.servingAlerts.requestCounts(deployment.id, 300)).toEqual({ total: 0, failed: 0, rate: null });
    const verdicts = await server.services.servingAlerts.evaluateServingAlerts(deployment.id);
    expect(verdicts.find((verdict) => verdict.kind === 'ERROR_RATE')).toMatchObject({ status: 'NO_DATA' });
    expect(await prisma.alert.count({ where: { deploymentId: deployment.id } })).toBe(0);
    const now = await prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect([now.modelVersionId, now.canaryModelVersionId]).toEqual([v1, v2]);
  }, 60_000);
});
