import { createClient } from 'graphql-ws/client';
import WebSocket from 'ws';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { fixtureCsv } from '../support/fixtures';
import { connectWsClient, postGraphQL, within, type GraphQLResponseBody } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';
import { waitFor } from '../support/wait-for';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Opens a graphql-ws socket with these connectionParams and resolves with its close code (or 0 once acknowledged). */
function connectionOutcome(wsUrl: string, connectionParams?: Record<string, unknown>): Promise<number> {
  return new Promise((resolve) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams,
      onNonLazyError: () => undefined,
      on: {
        connected: () => {
          resolve(0);
          void client.dispose();
        },
        closed: (event) => resolve((event as { code: number }).code),
      },
    });
  });
}

describe('access control: API keys and roles on HTTP and graphql-ws, audit log', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  const keys: Record<'viewer' | 'editor' | 'predictor', string> = { viewer: '', editor: '', predictor: '' };
  let datasetId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    const trained = await trainVersions(prisma, server.services, {
      name: 'auth',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    datasetId = (await server.services.datasets.findDataset({ name: 'auth' }))!.id;
    await server.services.deployments.deployModel({ name: 'served', modelVersionId: trained.versionIds[0] }, 'test');
    await server.services.deployments.deployModel({ name: 'other', modelVersionId: trained.versionIds[0] }, 'test');
    keys.viewer = await server.createKey('viewer', 'VIEWER');
    keys.editor = await server.createKey('editor', 'EDITOR');
    keys.predictor = await server.createKey('predictor', 'PREDICTOR', ['served']);
  }, 120_000);

  afterAll(async () => {
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (key: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, bearer(key))).body;
  const instance = () => {
    const [header, line] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    return Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
  };
  const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { deploymentId predictions { id } } }';

  it('answers 401 UNAUTHENTICATED over HTTP for a missing, malformed or unknown key, before any GraphQL runs', async () => {
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer nope' }, { authorization: `Bearer mlp_0123456789abcdef_${'A'.repeat(43)}` }]) {
      const response = await postGraphQL(server.url, 'mutation { createModel(input: { name: "x", datasetId: "y", layers: [] }) { id } }', undefined, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.body.data).toBeUndefined();
    }
    expect(await prisma.model.count({ where: { name: 'x' } })).toBe(0);
    // Each refused mutation is audited, by `anonymous`.
    expect(
      await prisma.auditEvent.count({ where: { principal: 'anonymous', operation: 'createModel', outcome: 'DENIED', errorCode: 'UNAUTHENTICATED' } }),
    ).toBe(3);
    await postGraphQL(server.url, '{ health { status } }', undefined, { authorization: '' });
    expect(await prisma.auditEvent.count({ where: { principal: 'anonymous' } })).toBe(3);
  });

  it('lets each role do its part and refuses the rest with FORBIDDEN naming the role needed', async () => {
    const LIST = '{ datasets(first: 5) { totalCount } }';
    expect((await gql(keys.viewer, LIST)).data!.datasets.totalCount).toBe(1);
    expect((await gql(keys.editor, LIST)).data!.datasets.totalCount).toBe(1);

    const CREATE = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id name } }';
    const input = (name: string) => ({ input: { name, datasetId, layers: [{ units: 4, activation: 'RELU' }] } });
    const refused = await gql(keys.viewer, CREATE, input('by-viewer'));
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, path: ['createModel'] });
    expect(refused.errors?.[0].message).toBe('createModel requires the EDITOR role; key "viewer" has VIEWER');
    expect(await prisma.model.count({ where: { name: 'by-viewer' } })).toBe(0);
    expect((await gql(keys.editor, CREATE, input('by-editor'))).data!.createModel.name).toBe('by-editor');

    const KEYS = '{ apiKeys(first: 100) { edges { node { name role } } } }';
    expect((await gql(keys.editor, KEYS)).errors?.[0].message).toMatch(/^apiKeys requires the ADMIN role; key "editor" has EDITOR$/);
    const listed = (await gql(server.adminKey!, KEYS)).data!.apiKeys.edges.map((edge: { node: { name: string; role: string } }) => edge.node);
    expect(listed).toEqual(
      expect.arrayContaining([
        { name: 'viewer', role: 'VIEWER' },
        { name: 'predictor', role: 'PREDICTOR' },
      ]),
    );

    // Webhook URLs are readable by ADMIN only.
    const RULES = '{ deployment(name: "served") { alertRules { kind webhookUrl } } }';
    const editorRules = await gql(keys.editor, RULES);
    expect(editorRules.errors?.[0]).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
      message: expect.stringContaining('webhookUrl requires the ADMIN role'),
    });
    expect((await gql(server.adminKey!, RULES)).errors).toBeUndefined();

    // PREDICTOR: only its three operations, only on its deployments.
    const predicted = await gql(keys.predictor, PREDICT, { input: { deployment: 'served', instances: [instance()] } });
    expect(predicted.errors).toBeUndefined();
    expect(predicted.data!.predict.predictions).toHaveLength(1);
    const EXPLAIN = 'query($input: ExplainPredictionInput!) { explainPrediction(input: $input) { modelVersionId output } }';
    const explained = await gql(keys.predictor, EXPLAIN, { input: { deployment: 'served', instance: instance() } });
    expect(explained.errors).toBeUndefined();
    expect(typeof explained.data!.explainPrediction.output).toBe('number');
    expect((await gql(keys.predictor, EXPLAIN, { input: { deployment: 'other', instance: instance() } })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const elsewhere = await gql(keys.predictor, PREDICT, { input: { deployment: 'other', instances: [instance()] } });
    expect(elsewhere.errors?.[0]).toMatchObject({ message: 'key "predictor" may not use deployment "other"', extensions: { code: 'FORBIDDEN' } });
    expect((await gql(keys.predictor, LIST)).errors?.[0].message).toBe('datasets requires the VIEWER role; key "predictor" has PREDICTOR');
    expect((await gql(keys.predictor, 'mutation { promoteCanary(deployment: "served") { deployment { name } } }')).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
  });

  it('creates a key over GraphQL (secret shown once, stored as a hash) and revokes it', async () => {
    const created = await gql(server.adminKey!, 'mutation { createApiKey(input: { name: "ci", role: EDITOR }) { key apiKey { id name role lastUsedAt } } }');
    const { key, apiKey } = created.data!.createApiKey;
    expect(key).toMatch(/^mlp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'ci', role: 'EDITOR', lastUsedAt: null });
    const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(row)).not.toContain(key.slice('mlp_0123456789abcdef_'.length));
    expect((await gql(key, '{ health { status } }')).data!.health.status).toBe('OK');
    await waitFor(async () => (await prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt !== null);

    const conflict = await gql(server.adminKey!, 'mutation { createApiKey(input: { name: "ci", role: VIEWER }) { key } }');
    expect(conflict.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
    const reserved = await gql(server.adminKey!, 'mutation { createApiKey(input: { name: "mlplane", role: ADMIN }) { key } }');
    expect(reserved.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    // Every bad field is reported in extensions.errors, each with its field path; no key is stored.
    const keys = await prisma.apiKey.count();
    const several = await gql(
      server.adminKey!,
      'mutation { createApiKey(input: { name: "no spaces", role: VIEWER, expiresAt: "2001-01-01T00:00:00.000Z", deployments: ["served"] }) { key } }',
    );
    expect(several.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect((several.errors?.[0].extensions?.errors as { field: string }[]).map(({ field }) => field)).toEqual([
      'input.name',
      'input.expiresAt',
      'input.deployments',
    ]);
    expect(await prisma.apiKey.count()).toBe(keys);

    expect((await gql(server.adminKey!, 'mutation { revokeApiKey(id: "ci") { revokedAt } }')).data!.revokeApiKey.revokedAt).not.toBeNull();
    const after = await postGraphQL(server.url, '{ health { status } }', undefined, bearer(key));
    expect(after.status).toBe(401);
  });

  it('closes graphql-ws sockets with 4401 without a key and 4403 with a bad one; rechecks every operation', async () => {
    expect(await connectionOutcome(server.wsUrl)).toBe(4401);
    expect(await connectionOutcome(server.wsUrl, { authorization: 'Bearer mlp_0123456789abcdef_' + 'B'.repeat(43) })).toBe(4403);
    expect(await connectionOutcome(server.wsUrl, { authorization: `Bearer ${keys.viewer}` })).toBe(0);

    const viewer = await connectWsClient(server.url, { key: keys.viewer });
    try {
      const denied = await viewer.execute('mutation { cancelRun(id: "00000000-0000-0000-0000-000000000000") { id } }');
      expect(denied.errors?.[0]).toMatchObject({ message: 'cancelRun requires the EDITOR role; key "viewer" has VIEWER', extensions: { code: 'FORBIDDEN' } });
      expect((await viewer.execute('{ datasets(first: 1) { totalCount } }')).data!.datasets.totalCount).toBe(1);
    } finally {
      await viewer.close();
    }
    const predictor = await connectWsClient(server.url, { key: keys.predictor });
    try {
      const subscription = predictor.subscribe('subscription { deploymentChanged { kind } }');
      const refused = await subscription.next();
      expect(refused?.errors?.[0].message ?? JSON.stringify(refused)).toMatch(/deploymentChanged requires the VIEWER role/);
    } finally {
      await predictor.close();
    }
  });

  it('closes a live subscription within 1 s when its key is revoked, and when it expires', async () => {
    const doomed = await server.createKey('doomed', 'VIEWER');
    const client = await connectWsClient(server.url, { key: doomed });
    const subscription = client.subscribe('subscription { deploymentChanged { kind } }');
    await waitFor(() => server.pubSub.subscriberCount('deploymentChanged') > 0);
    const closed = waitFor(() => client.closeCodes.length > 0, 5_000, 5);
    // Revoked through another API process: the revocation reaches this one through LISTEN/NOTIFY.
    const replica = await startTestServer({ databaseUrl: db.url });
    try {
      const revoked = await postGraphQL(replica.url, 'mutation { revokeApiKey(id: "doomed") { revokedAt } }');
      expect(revoked.body.errors).toBeUndefined();
      await within(closed, 1_000, 'socket closed after revocation');
    } finally {
      await replica.close();
    }
    expect(client.closeCodes).toEqual([4403]);
    await subscription.stop();
    await client.close();

    const expiring = (await server.services.apiKeys.createKey({ name: 'short-lived', role: 'VIEWER', expiresAt: new Date(Date.now() + 1_500) })).token;
    const shortClient = await connectWsClient(server.url, { key: expiring });
    const shortSubscription = shortClient.subscribe('subscription { deploymentChanged { kind } }');
    await waitFor(() => shortClient.closeCodes.length > 0, 3_000, 5);
    expect(shortClient.closeCodes).toEqual([4403]);
    await shortSubscription.stop();
    await shortClient.close();
  });

  it('audits accepted, failed and refused mutations with principal, role, targets and request id', async () => {
    const CREATE = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }';
    const accepted = await postGraphQL(
      server.url,
      CREATE,
      { input: { name: 'audited', datasetId, layers: [{ units: 2, activation: 'RELU' }] } },
      { ...bearer(keys.editor), 'x-request-id': 'req-accepted' },
    );
    const modelId = accepted.body.data!.createModel.id as string;
    await postGraphQL(server.url, CREATE, { input: { name: 'refused', datasetId, layers: [] } }, { ...bearer(keys.viewer), 'x-request-id': 'req-refused' });
    await postGraphQL(
      server.url,
      'mutation { updateDeployment(input: { deployment: "served", modelVersionId: "00000000-0000-0000-0000-000000000000" }) { event { id } } }',
      undefined,
      {
        ...bearer(keys.editor),
        'x-request-id': 'req-failed',
      },
    );
    const EVENTS = `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 10) { totalCount edges { node {
      principal role operation targetIds outcome errorCode requestId clientAddress createdAt } } } }`;
    const rows = async (filter: Record<string, unknown>) =>
      ((await gql(server.adminKey!, EVENTS, { filter })).data!.auditEvents.edges as { node: Record<string, unknown> }[]).map((edge) => edge.node);

    expect((await rows({ operation: 'createModel', principal: 'editor' })).filter((row) => row.requestId === 'req-accepted')).toEqual([
      expect.objectContaining({ role: 'EDITOR', outcome: 'SUCCEEDED', errorCode: null, targetIds: expect.arrayContaining([datasetId, modelId]) }),
    ]);
    expect((await rows({ principal: 'viewer', outcome: 'DENIED', operation: 'createModel' })).filter((row) => row.requestId === 'req-refused')).toEqual([
      expect.objectContaining({ role: 'VIEWER', errorCode: 'FORBIDDEN', requestId: 'req-refused', clientAddress: expect.stringMatching(/127\.0\.0\.1/) }),
    ]);
    expect(await rows({ operation: 'updateDeployment' })).toEqual([
      expect.objectContaining({
        principal: 'editor',
        outcome: 'FAILED',
        errorCode: 'NOT_FOUND',
        requestId: 'req-failed',
        targetIds: expect.arrayContaining(['served']),
      }),
    ]);
    // Accepted predictions are audited in batches (off the serving path), refused ones at once.
    await server.services.audit.flush();
    const batched = await rows({ operation: 'predict', outcome: 'SUCCEEDED' });
    expect(batched).toEqual([expect.objectContaining({ principal: 'predictor', role: 'PREDICTOR', targetIds: ['served'], requestId: expect.any(String) })]);
    // Batched rows get time-ordered ids (UUIDv7) dated by their call.
    const [{ id: batchedId, createdAt }] = await prisma.auditEvent.findMany({ where: { operation: 'predict', outcome: 'SUCCEEDED' } });
    expect(batchedId[14]).toBe('7');
    expect(parseInt(batchedId.slice(0, 8) + batchedId.slice(9, 13), 16)).toBe(createdAt.getTime());
    expect(await rows({ operation: 'predict', outcome: 'DENIED' })).toEqual([expect.objectContaining({ principal: 'predictor', targetIds: ['other'] })]);
    const viewerRead = await gql(keys.viewer, EVENTS, { filter: {} });
    expect(viewerRead.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('writes the audit row in the transaction of the change (same xmin); a refused change leaves one FAILED row', async () => {
    const versionId = (await prisma.modelVersion.findFirstOrThrow()).id;
    const SET = 'mutation($input: SetModelVersionAliasInput!) { setModelVersionAlias(input: $input) { alias } }';
    const moved = await postGraphQL(
      server.url,
      SET,
      { input: { modelVersionId: versionId, alias: 'production' } },
      { ...bearer(keys.editor), 'x-request-id': 'req-alias' },
    );
    expect(moved.body.errors).toBeUndefined();
    const rows = await prisma.auditEvent.findMany({ where: { requestId: 'req-alias' } });
    expect(rows).toEqual([expect.objectContaining({ operation: 'setModelVersionAlias', outcome: 'SUCCEEDED', principal: 'editor' })]);
    // Same transaction: PostgreSQL stamps both rows with the id of the transaction that inserted them.
    const [change] = await prisma.$queryRaw<
      { xmin: string }[]
    >`SELECT xmin::text FROM model_alias_events WHERE to_model_version_id = ${versionId}::uuid AND alias = 'production'`;
    const [audit] = await prisma.$queryRaw<{ xmin: string }[]>`SELECT xmin::text FROM audit_events WHERE request_id = 'req-alias'`;
    expect(audit.xmin).toBe(change.xmin);

    // A refused change leaves exactly one row, FAILED with its code.
    const failed = await postGraphQL(
      server.url,
      SET,
      { input: { modelVersionId: versionId, alias: 'Not An Alias!' } },
      { ...bearer(keys.editor), 'x-request-id': 'req-bad-alias' },
    );
    expect(failed.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await prisma.auditEvent.findMany({ where: { requestId: 'req-bad-alias' }, select: { outcome: true, errorCode: true } })).toEqual([
      { outcome: 'FAILED', errorCode: 'BAD_USER_INPUT' },
    ]);
  });

  it('with MLPLANE_AUTH=disabled on loopback, serves without a key and records the actor `local`', async () => {
    const open = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_AUTH: 'disabled' } });
    try {
      expect(open.adminKey).toBeUndefined();
      const versionId = (await prisma.modelVersion.findFirstOrThrow()).id;
      const moved = await postGraphQL(
        open.url,
        'mutation($id: ID!) { setModelVersionAlias(input: { modelVersionId: $id, alias: "open" }) { alias } }',
        { id: versionId },
        { authorization: '' },
      );
      expect(moved.status).toBe(200);
      expect(moved.body.errors).toBeUndefined();
      expect(await prisma.modelAliasEvent.findFirstOrThrow({ where: { alias: 'open' } })).toMatchObject({ movedBy: 'local' });
      expect(await connectionOutcome(open.wsUrl)).toBe(0);
    } finally {
      await open.close();
    }
  });
});
