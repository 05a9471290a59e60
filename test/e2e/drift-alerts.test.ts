import { splitRows } from '../../src/domain/datasets/dataset-split';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';
import { waitForSubscribers } from '../support/subscribers';

const REPORT_FIELDS = `id windowSize referenceSize driftShare drifted predictionDrifted
  features { feature type method statistic infinite pValue distance threshold drifted psi }
  prediction { feature type method drifted }`;

/**
 * Issue 4 item 10: train on breast_cancer, deploy, predict the held-out (test split) rows: one
 * window, no drift, no alert; then the same rows with 16 of the 30 features shifted by two
 * standard deviations: the next report flags exactly those 16, and a DATA_DRIFT alert arrives over
 * graphql-ws (alertRaised); it is acknowledged, then resolved, over GraphQL. Predictions go through two API servers on one database, each
 * checking for due windows, and each window is reported once.
 */
describe('drift reports and drift alerts end to end', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let a: TestServer;
  let b: TestServer;
  let ws: WsTestClient;
  let trained: TrainedVersions;
  let features: string[];
  let heldOut: Record<string, number>[];
  let stds: Map<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    [a, b] = await Promise.all([startTestServer({ databaseUrl: db.url }), startTestServer({ databaseUrl: db.url })]);
    ws = await connectWsClient(a.url);
    trained = await trainVersions(prisma, a.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [7], epochs: 5 });

    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const rows = lines.map((line) => line.split(',').map(Number));
    const label = names.indexOf('benign');
    features = names.filter((name) => name !== 'benign');
    // The version's test split, drawn as training-pipeline.ts draws it (stratified by class).
    const version = await prisma.modelVersion.findUniqueOrThrow({ where: { id: trained.versionIds[0] } });
    const hp = version.hyperparameters as { split: { train: number; validation: number; test: number }; seed: number };
    const split = splitRows({ rowCount: rows.length, fractions: hp.split, seed: hp.seed, strata: Int32Array.from(rows, (row) => row[label]) });
    heldOut = Array.from(split.test, (r) => Object.fromEntries(features.map((name) => [name, rows[r][names.indexOf(name)]])));
    // Population standard deviation of each feature over the whole file.
    stds = new Map(
      features.map((name) => {
        const values = rows.map((row) => row[names.indexOf(name)]);
        const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
        return [name, Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length)];
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await ws?.close();
    await Promise.all([a?.close(), b?.close()]);
    await prisma?.$disconnect();
    await db?.drop();
  });

  const gql = async (server: TestServer, query: string, variables?: Record<string, unknown>, user?: string): Promise<GraphQLResponseBody> => {
    const body = (await postGraphQL(server.url, query, variables, user ? await server.headersFor(user) : {})).body;
    expect(body.errors).toBeUndefined();
    return body;
  };

  /** Predicts the instances half through each server, 25 instances per request. */
  const predictAll = async (instances: Record<string, number>[]): Promise<void> => {
    for (let i = 0; i < instances.length; i += 25) {
      await gql(i % 50 === 0 ? a : b, 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }', {
        input: { deployment: 'bc-drift', instances: instances.slice(i, i + 25) },
      });
    }
  };

  it('reports a clean window without alert, then flags exactly the shifted features and raises DATA_DRIFT; acknowledge and resolve', async () => {
    const deployed = await gql(a, 'mutation($input: DeployModelInput!) { deployModel(input: $input) { deployment { id } } }', {
      input: { name: 'bc-drift', modelVersionId: trained.versionIds[0] },
    });
    const deploymentId: string = deployed.data!.deployModel.deployment.id;
    const settings = await gql(
      b,
      `mutation($input: SetDeploymentMonitoringInput!) { setDeploymentMonitoring(input: $input) {
        driftMonitoring { windowSize periodSeconds referenceSize driftShare numericMethod thresholds { KOLMOGOROV_SMIRNOV WASSERSTEIN_NORMED } } } }`,
      {
        input: { deployment: 'bc-drift', drift: { windowSize: heldOut.length, periodSeconds: 3600 } },
      },
    );
    expect(settings.data!.setDeploymentMonitoring.driftMonitoring).toEqual({
      windowSize: heldOut.length,
      periodSeconds: 3600,
      referenceSize: 5000,
      driftShare: 0.5,
      numericMethod: null,
      thresholds: { KOLMOGOROV_SMIRNOV: 0.05, WASSERSTEIN_NORMED: 0.1 },
    });
    const reports = ws.subscribe(`subscription { driftReported(deployment: "bc-drift") { ${REPORT_FIELDS} } }`);
    const alerts = ws.subscribe(
      'subscription { alertRaised(filter: { deployment: "bc-drift" }) { id kind severity status occurrences details { ... on DataDriftAlertDetails { reportId driftShare driftedFeatures windowSize } } deploymentId } }',
    );
    await waitForSubscribers(a.pubSub, 'driftReported', 1, 'bc-drift');
    await waitForSubscribers(a.pubSub, 'alertRaised');

    // Window 1: the held-out rows as they are.
    await predictAll(heldOut);
    const clean = (await reports.next(30_000))!.data!.driftReported;
    expect(clean).toMatchObject({ windowSize: heldOut.length, referenceSize: 569, drifted: false });
    expect(clean.features).toHaveLength(30);
    // 569 reference rows (every row of the file): KS for every numeric feature.
    expect(new Set(clean.features.map((f: { method: string }) => f.method))).toEqual(new Set(['KOLMOGOROV_SMIRNOV']));
    const cleanDrifted = clean.features.filter((f: { drifted: boolean }) => f.drifted).map((f: { feature: string }) => f.feature);
    expect(cleanDrifted).toEqual([]);
    // The clean window's alert bookkeeping (a clean-window count) runs right after the report is pushed, in the check.
    await Promise.all([a.services.driftMonitor.idle(), b.services.driftMonitor.idle()]);
    expect(await prisma.alert.count({ where: { deploymentId } })).toBe(0);

    // Window 2: the same rows with 16 of 30 features (more than half) shifted by two standard deviations.
    const shifted = features.filter((_, i) => i % 2 === 0 || i === 1);
    expect(shifted).toHaveLength(16);
    await predictAll(heldOut.map((row) => ({ ...row, ...Object.fromEntries(shifted.map((name) => [name, row[name] + 2 * stds.get(name)!])) })));
    const drifted = (await reports.next(30_000))!.data!.driftReported;
    expect(drifted.windowSize).toBe(heldOut.length);
    expect(drifted.drifted).toBe(true);
    expect(drifted.features.filter((f: { drifted: boolean }) => f.drifted).map((f: { feature: string }) => f.feature)).toEqual(shifted);
    expect(drifted.driftShare).toBeCloseTo(16 / 30, 12);
    for (const feature of drifted.features) {
      expect(feature).toMatchObject({ type: 'NUMERIC', method: 'KOLMOGOROV_SMIRNOV', infinite: false, distance: null, threshold: 0.05 });
      expect(feature.drifted).toBe(feature.pValue < 0.05);
    }

    // Each window was reported once, though both servers looked for due windows.
    const listed = await gql(a, '{ driftReports(deployment: "bc-drift", first: 10) { totalCount edges { node { id drifted } } } }');
    expect(listed.data!.driftReports.totalCount).toBe(2);
    expect(listed.data!.driftReports.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([drifted.id, clean.id]);
    const firstPage = await gql(
      b,
      '{ deployment(name: "bc-drift") { driftReports(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }',
    );
    const { pageInfo, edges } = firstPage.data!.deployment.driftReports;
    expect([edges[0].node.id, pageInfo.hasNextPage]).toEqual([drifted.id, true]);
    const secondPage = await gql(
      b,
      `{ deployment(name: "bc-drift") { driftReports(first: 1, after: "${pageInfo.endCursor}") { pageInfo { hasNextPage } edges { node { id } } } } }`,
    );
    expect(secondPage.data!.deployment.driftReports).toEqual({ pageInfo: { hasNextPage: false }, edges: [{ node: { id: clean.id } }] });

    // The first alert pushed for the deployment (none came with the clean window) is the DATA_DRIFT of this report.
    const raised = (await alerts.next(10_000))!.data!.alertRaised;
    expect(raised).toMatchObject({ kind: 'DATA_DRIFT', severity: 'WARNING', status: 'OPEN', occurrences: 1, deploymentId });
    expect(raised.details).toMatchObject({ reportId: drifted.id, driftedFeatures: shifted, windowSize: heldOut.length });
    expect(await prisma.alert.count({ where: { deploymentId, kind: 'DATA_DRIFT' } })).toBe(1);

    const acknowledged = await gql(b, `mutation { acknowledgeAlert(id: "${raised.id}") { status acknowledgedBy } }`, undefined, 'alice');
    expect(acknowledged.data!.acknowledgeAlert).toEqual({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice' });
    const resolved = await gql(
      a,
      'mutation($input: ResolveAlertInput!) { resolveAlert(input: $input) { status resolvedBy resolutionNote } }',
      {
        input: { id: raised.id, note: 'upstream unit change reverted' },
      },
      'bob',
    );
    expect(resolved.data!.resolveAlert).toEqual({ status: 'RESOLVED', resolvedBy: 'bob', resolutionNote: 'upstream unit change reverted' });
    await Promise.all([reports.stop(), alerts.stop()]);
  }, 120_000);
});
