import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';
import { waitForSubscribers } from '../support/subscribers';
import { waitFor } from '../support/wait-for';
import { evidence } from '../support/alert-details';

/** Alerts through two API servers on one database: raised in one process, pushed by the other. */
describe('alerts over GraphQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let a: TestServer;
  let b: TestServer;
  let ws: WsTestClient;
  let trained: TrainedVersions;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    [a, b] = await Promise.all([startTestServer({ databaseUrl: db.url }), startTestServer({ databaseUrl: db.url })]);
    ws = await connectWsClient(a.url);
    trained = await trainVersions(prisma, a.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 1 });
  }, 120_000);

  afterAll(async () => {
    await ws.close();
    await Promise.all([a.close(), b.close()]);
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (server: TestServer, query: string, variables?: Record<string, unknown>, user?: string): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, user ? await server.headersFor(user) : {})).body;

  it('pushes raised and updated alerts to subscribers whose filter matches, and acknowledges, resolves and lists them', async () => {
    const [v1] = trained.versionIds;
    const alpha = (await b.services.deployments.deployModel({ name: 'alpha', modelVersionId: v1 }, 'test')).deployment;
    const beta = (await b.services.deployments.deployModel({ name: 'beta', modelVersionId: v1 }, 'test')).deployment;

    const criticalAlpha = ws.subscribe(
      'subscription { alertRaised(filter: { deployment: "alpha", severity: CRITICAL }) { kind severity status deployment { name } } }',
    );
    const latency = ws.subscribe('subscription { alertRaised(filter: { kind: LATENCY }) { kind deployment { name } } }');
    const everything = ws.subscribe('subscription { alertRaised { kind deployment { name } } }');
    const updatesBeta = ws.subscribe('subscription { alertUpdated(filter: { deployment: "beta" }) { id status acknowledgedBy resolvedBy resolutionNote } }');
    await waitForSubscribers(a.pubSub, 'alertRaised', 3);
    await waitForSubscribers(a.pubSub, 'alertUpdated');

    // Raised in server b's process; pushed by server a.
    await b.services.alerts.raise({ deploymentId: beta.id, kind: 'LATENCY', title: 'p99 1200 ms', details: evidence('LATENCY', { p99Ms: 1200 }) });
    const { alert: errorRate } = await b.services.alerts.raise({
      deploymentId: alpha.id,
      kind: 'ERROR_RATE',
      title: '9% failed',
      details: evidence('ERROR_RATE'),
    });
    await b.services.alerts.raise({ deploymentId: alpha.id, kind: 'DATA_DRIFT', title: 'drift', details: evidence('DATA_DRIFT') });

    expect((await criticalAlpha.next(5_000))!.data!.alertRaised).toEqual({
      kind: 'ERROR_RATE',
      severity: 'CRITICAL',
      status: 'OPEN',
      deployment: { name: 'alpha' },
    });
    expect((await latency.next(5_000))!.data!.alertRaised).toEqual({ kind: 'LATENCY', deployment: { name: 'beta' } });
    const all = [];
    for (let i = 0; i < 3; i++) all.push((await everything.next(5_000))!.data!.alertRaised);
    expect(all).toEqual([
      { kind: 'LATENCY', deployment: { name: 'beta' } },
      { kind: 'ERROR_RATE', deployment: { name: 'alpha' } },
      { kind: 'DATA_DRIFT', deployment: { name: 'alpha' } },
    ]);
    // The WARNING drift alert of alpha and the LATENCY of beta do not reach the CRITICAL alpha subscriber.
    await expect(criticalAlpha.next(300)).rejects.toThrow();
    await expect(latency.next(300)).rejects.toThrow();

    const listed = await gql(
      a,
      '{ alerts(filter: { deployment: "beta" }) { totalCount edges { node { id kind severity status occurrences title details { ... on LatencyAlertDetails { p99Ms thresholdMs } } deployment { name } } } } }',
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.alerts.totalCount).toBe(1);
    const betaAlert = listed.data!.alerts.edges[0].node;
    expect(betaAlert).toMatchObject({
      kind: 'LATENCY',
      severity: 'WARNING',
      status: 'OPEN',
      occurrences: 1,
      title: 'p99 1200 ms',
      details: { p99Ms: 1200, thresholdMs: null },
      deployment: { name: 'beta' },
    });

    const acked = await gql(b, `mutation { acknowledgeAlert(id: "${betaAlert.id}") { status acknowledgedBy } }`, undefined, 'alice');
    expect(acked.data!.acknowledgeAlert).toEqual({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice' });
    // An update of alpha's alert does not reach the beta subscriber.
    await gql(b, `mutation { acknowledgeAlert(id: "${errorRate!.id}") { status } }`, undefined, 'alice');
    const resolved = await gql(
      b,
      `mutation { resolveAlert(input: { id: "${betaAlert.id}", note: "autoscaler fixed" }) { status resolvedBy resolutionNote } }`,
      undefined,
      'bob',
    );
    expect(resolved.data!.resolveAlert).toEqual({ status: 'RESOLVED', resolvedBy: 'bob', resolutionNote: 'autoscaler fixed' });
    const again = await gql(b, `mutation { resolveAlert(input: { id: "${betaAlert.id}" }) { status } }`);
    expect(again.errors![0].extensions!.code).toBe('INVALID_STATE');

    // alertUpdated carries the alert as each change left it, although it was resolved before the first event was delivered.
    const first = (await updatesBeta.next(5_000))!.data!.alertUpdated;
    const second = (await updatesBeta.next(5_000))!.data!.alertUpdated;
    expect(first).toEqual({ id: betaAlert.id, status: 'ACKNOWLEDGED', acknowledgedBy: 'alice', resolvedBy: null, resolutionNote: null });
    expect(second).toEqual({ id: betaAlert.id, status: 'RESOLVED', acknowledgedBy: 'alice', resolvedBy: 'bob', resolutionNote: 'autoscaler fixed' });
    await expect(updatesBeta.next(300)).rejects.toThrow();

    const open = await gql(a, '{ alerts(filter: { status: ACKNOWLEDGED }, first: 1) { totalCount edges { node { kind } } pageInfo { hasNextPage } } }');
    expect(open.data!.alerts).toEqual({ totalCount: 1, edges: [{ node: { kind: 'ERROR_RATE' } }], pageInfo: { hasNextPage: false } });
    const unknown = await gql(a, '{ alerts(filter: { deployment: "nope" }) { totalCount } }');
    expect(unknown.errors![0].extensions!.code).toBe('NOT_FOUND');
    await Promise.all([criticalAlpha.stop(), latency.stop(), everything.stop(), updatesBeta.stop()]);
    // Gone from the server too, so that the next test counts only its own subscribers.
    await waitFor(() => a.pubSub.subscriberCount('alertRaised') === 0 && a.pubSub.subscriberCount('alertUpdated') === 0);
  }, 60_000);

  it('delivers each alert event with the state of that event, however late it is delivered', async () => {
    const [v1] = trained.versionIds;
    const late = (await b.services.deployments.deployModel({ name: 'late-events', modelVersionId: v1 }, 'test')).deployment;
    const fields = 'status occurrences acknowledgedBy acknowledgedAt resolvedBy details { ... on LatencyAlertDetails { p99Ms } }';
    const raised = ws.subscribe(`subscription { alertRaised(filter: { deployment: "late-events" }) { ${fields} } }`);
    const updated = ws.subscribe(`subscription { alertUpdated(filter: { deployment: "late-events" }) { ${fields} } }`);
    await waitForSubscribers(a.pubSub, 'alertRaised');
    await waitForSubscribers(a.pubSub, 'alertUpdated');
    const { alert } = await b.services.alerts.raise({
      deploymentId: late.id,
      kind: 'LATENCY',
      title: 'p99 1500 ms',
      details: evidence('LATENCY', { p99Ms: 1500 }),
    });
    const acknowledged = await b.services.alerts.acknowledgeAlert(alert!.id, 'carol');
    await b.services.alerts.resolveAlert({ id: alert!.id, note: 'fixed' }, 'dave');
    expect((await raised.next(5_000))!.data!.alertRaised).toEqual({
      status: 'OPEN',
      occurrences: 1,
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedBy: null,
      details: { p99Ms: 1500 },
    });
    expect((await updated.next(5_000))!.data!.alertUpdated).toEqual({
      status: 'ACKNOWLEDGED',
      occurrences: 1,
      acknowledgedBy: 'carol',
      acknowledgedAt: acknowledged.acknowledgedAt!.toISOString(),
      resolvedBy: null,
      details: { p99Ms: 1500 },
    });
    expect((await updated.next(5_000))!.data!.alertUpdated).toMatchObject({ status: 'RESOLVED', resolvedBy: 'dave' });
    await Promise.all([raised.stop(), updated.stop()]);
    await waitFor(() => a.pubSub.subscriberCount('alertRaised') === 0 && a.pubSub.subscriberCount('alertUpdated') === 0);
  });

  it('rolls a canary back when its actuals show a critical accuracy drop, and pushes the change', async () => {
    const [v1, v2] = trained.versionIds;
    await a.services.deployments.deployModel({ name: 'delta', modelVersionId: v1 }, 'test');
    // The canary's TEST accuracy: 0.95.
    await prisma.evaluation.create({
      data: {
        modelVersionId: v2,
        datasetVersionId: trained.datasetVersionId,
        split: 'TEST',
        rowCount: 86,
        task: 'BINARY_CLASSIFICATION',
        metrics: {
          task: 'BINARY_CLASSIFICATION',
          sampleCount: 86,
          threshold: 0.5,
          accuracy: 0.95,
          precision: 0.96,
          recall: 0.97,
          f1: 0.965,
          rocAuc: 0.99,
          logLoss: 0.12,
          confusionMatrix: [
            [30, 2],
            [1, 53],
          ],
        },
      },
    });
    const settings = await gql(
      b,
      'mutation { setAlertMonitoring(input: { deployment: "delta", autoRollback: true, performanceWindowSize: 10 }) { alertMonitoring { autoRollback performanceWindowSize } } }',
    );
    expect(settings.data!.setAlertMonitoring.alertMonitoring).toEqual({ autoRollback: true, performanceWindowSize: 10 });
    const canary = await gql(b, `mutation { startCanary(input: { deployment: "delta", modelVersionId: "${v2}", percent: 50 }) { event { kind } } }`);
    expect(canary.errors).toBeUndefined();

    const changes = ws.subscribe('subscription { deploymentChanged(deployment: "delta") { kind actor reason fromModelVersion { id } toModelVersion { id } } }');
    const raised = ws.subscribe(
      'subscription { alertRaised(filter: { deployment: "delta", kind: PERFORMANCE_DROP }) { id severity details { ... on PerformanceDropAlertDetails { versions { modelVersionId canary metric value baseline baselineSplit window { count } } } } } }',
    );
    await waitForSubscribers(a.pubSub, 'deploymentChanged', 1, 'delta');
    await waitForSubscribers(a.pubSub, 'alertRaised');

    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const served: { id: string; label: string }[] = [];
    for (const [i, line] of lines.slice(0, 60).entries()) {
      const instance = Object.fromEntries(
        line
          .split(',')
          .map((cell, j) => [names[j], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      );
      const result = await gql(a, 'mutation($input: PredictInput!) { predict(input: $input) { canary predictions { id label } } }', {
        input: { deployment: 'delta', instances: [instance], requestKey: `r-${i}` },
      });
      if (result.data!.predict.canary) served.push(result.data!.predict.predictions[0]);
    }
    expect(served.length).toBeGreaterThanOrEqual(10);
    // Every canary answer was wrong: accuracy 0 on its window of 10, a drop of 0.95 from its TEST accuracy.
    const wrong = served.slice(0, 10).map((p) => ({ predictionId: p.id, actual: p.label === '1' ? '0' : '1' }));
    const recorded = await gql(a, 'mutation($input: RecordActualsInput!) { recordActuals(input: $input) { recorded } }', {
      input: { deployment: 'delta', actuals: wrong },
    });
    expect(recorded.data!.recordActuals).toEqual({ recorded: 10 });

    const alert = (await raised.next(10_000))!.data!.alertRaised;
    expect(alert.severity).toBe('CRITICAL');
    expect(alert.details.versions[0]).toMatchObject({ modelVersionId: v2, canary: true, metric: 'ACCURACY', value: 0, baseline: 0.95 });
    const change = (await changes.next(10_000))!.data!.deploymentChanged;
    expect(change).toMatchObject({ kind: 'ROLLED_BACK', actor: 'mlplane', fromModelVersion: { id: v2 }, toModelVersion: { id: v1 } });
    expect(change.reason).toContain(alert.id);
    const now = await gql(b, '{ deployment(name: "delta") { modelVersion { id } canary { percent } } }');
    expect(now.data!.deployment).toEqual({ modelVersion: { id: v1 }, canary: null });
    await Promise.all([changes.stop(), raised.stop()]);
  }, 60_000);

  it("counts predict requests for ERROR_RATE, leaving out the caller's mistakes", async () => {
    const { deployment } = await a.services.deployments.deployModel({ name: 'counted', modelVersionId: trained.versionIds[0] }, 'test');
    const [header, line] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instance = Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
    const ok = await gql(a, 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }', {
      input: { deployment: 'counted', instances: [instance] },
    });
    expect(ok.errors).toBeUndefined();
    const bad = await gql(a, 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }', {
      input: { deployment: 'counted', instances: [{ nope: 1 }] },
    });
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(a.services.servingAlerts.requestCounts(deployment.id, 300)).toEqual({ total: 1, failed: 0, rate: 0 });
  });

  it('sets rules and alerting settings, and shows them with defaults on the deployment', async () => {
    await b.services.deployments.deployModel({ name: 'gamma', modelVersionId: trained.versionIds[0] }, 'test');
    const set = await gql(
      a,
      `mutation { setAlertRule(input: { deployment: "gamma", kind: LATENCY, threshold: 250, cooldownSeconds: 60, webhookUrl: "http://93.184.216.34:9/hook", webhookSecret: "0123456789abcdef0123456789abcdef" }) {
        kind stored enabled severity threshold windowSeconds cooldownSeconds autoResolveAfter webhookUrl hasWebhookSecret } }`,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setAlertRule).toEqual({
      kind: 'LATENCY',
      stored: true,
      enabled: true,
      severity: 'WARNING',
      threshold: 250,
      windowSeconds: 300,
      cooldownSeconds: 60,
      autoResolveAfter: 3,
      webhookUrl: 'http://93.184.216.34:9/hook',
      hasWebhookSecret: true,
    });
    const bad = await gql(a, 'mutation { setAlertRule(input: { deployment: "gamma", kind: ERROR_RATE, threshold: 1.5 }) { kind } }');
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.threshold' });

    const monitoring = await gql(
      a,
      'mutation { setAlertMonitoring(input: { deployment: "gamma", autoRollback: true, rollbackWindowSeconds: 900 }) { name alertMonitoring { autoRollback rollbackWindowSeconds performanceFloor performanceWindowSize evaluateEveryRequests } } }',
    );
    expect(monitoring.data!.setAlertMonitoring).toEqual({
      name: 'gamma',
      alertMonitoring: { autoRollback: true, rollbackWindowSeconds: 900, performanceFloor: null, performanceWindowSize: 100, evaluateEveryRequests: 100 },
    });

    const shown = await gql(b, '{ deployment(name: "gamma") { alertRules { kind stored severity threshold windowSeconds cooldownSeconds } } }');
    expect(shown.data!.deployment.alertRules).toEqual([
      { kind: 'DATA_DRIFT', stored: false, severity: 'WARNING', threshold: null, windowSeconds: null, cooldownSeconds: 300 },
      { kind: 'PREDICTION_DRIFT', stored: false, severity: 'WARNING', threshold: null, windowSeconds: null, cooldownSeconds: 300 },
      { kind: 'PERFORMANCE_DROP', stored: false, severity: 'CRITICAL', threshold: 0.05, windowSeconds: null, cooldownSeconds: 300 },
      { kind: 'ERROR_RATE', stored: false, severity: 'CRITICAL', threshold: 0.05, windowSeconds: 300, cooldownSeconds: 300 },
      { kind: 'LATENCY', stored: true, severity: 'WARNING', threshold: 250, windowSeconds: 300, cooldownSeconds: 60 },
    ]);
  }, 60_000);
});
