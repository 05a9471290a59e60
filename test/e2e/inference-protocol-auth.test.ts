import { request } from 'node:http';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { fixtureCsv } from '../support/fixtures';
import { postGraphQL } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }';

/** The Open Inference Protocol under the same access control as GraphQL: keys, roles, deployments, audit, rate limits, cross-site. */
describe('Open Inference Protocol: API keys, audit and rate limits', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let limited: TestServer;
  let now = 1_000_000;
  const keys: Record<'viewer' | 'editor' | 'predictor', string> = { viewer: '', editor: '', predictor: '' };
  let features: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    // A second process on the same database with small buckets and a hand-moved clock.
    limited = await startTestServer({
      databaseUrl: db.url,
      adminKeyName: 'limited-admin',
      clock: () => now,
      env: {
        MLPLANE_RATE_LIMIT_BURST: '2',
        MLPLANE_RATE_LIMIT_PER_MINUTE: '60',
        MLPLANE_PREDICT_RATE_LIMIT_BURST: '5',
        MLPLANE_PREDICT_RATE_LIMIT_PER_MINUTE: '60',
      },
    });
    const trained = await trainVersions(prisma, server.services, {
      name: 'oip-auth',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    await server.services.deployments.deployModel({ name: 'served', modelVersionId: trained.versionIds[0] }, 'test');
    await server.services.deployments.deployModel({ name: 'other', modelVersionId: trained.versionIds[0] }, 'test');
    keys.viewer = await server.createKey('viewer', 'VIEWER');
    keys.editor = await server.createKey('editor', 'EDITOR');
    keys.predictor = await server.createKey('predictor', 'PREDICTOR', ['served']);
    features = fixtureCsv('breast_cancer')
      .split(/\r?\n/)[0]
      .split(',')
      .filter((name) => name !== 'benign');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server.close(), limited.close()]);
    await prisma.$disconnect();
    await db.drop();
  });

  const tensor = () => ({ inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: features.map(() => 1) }] });
  const call = (target: TestServer, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(
      new URL(path, target.origin),
      body === undefined ? { headers } : { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) },
    );
  const infer = (deployment: string, headers: Record<string, string>, body: unknown = tensor(), target = server) =>
    call(target, `/v2/models/${deployment}/infer`, headers, body);

  it('refuses a missing or bad key with 401 in the protocol shape, and answers the health probes without one', async () => {
    const missing = await infer('served', { 'x-request-id': 'oip-no-key' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mlplane"');
    expect(await missing.json()).toEqual({ error: expect.stringContaining('API key is required'), code: 'UNAUTHENTICATED', requestId: 'oip-no-key' });
    const bad = await infer('served', bearer('mlp_nothing_here'));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: expect.stringContaining('not valid'), code: 'UNAUTHENTICATED' });
    for (const path of ['/v2', '/v2/models/served', '/v2/models/served/ready', '/metrics']) expect((await call(server, path, {})).status).toBe(401);
    expect(await (await call(server, '/v2/health/live', {})).json()).toEqual({ live: true });
    expect(await (await call(server, '/v2/health/ready', {})).json()).toEqual({ ready: true });
    // A refused inference is audited like a refused mutation: DENIED, by anonymous.
    expect(
      await prisma.auditEvent.findMany({ where: { requestId: 'oip-no-key' }, select: { principal: true, operation: true, outcome: true, errorCode: true } }),
    ).toEqual([{ principal: 'anonymous', operation: 'predict', outcome: 'DENIED', errorCode: 'UNAUTHENTICATED' }]);
    expect(await prisma.prediction.count()).toBe(0);
  });

  it('lets a VIEWER read metadata but not infer, an EDITOR infer anywhere, a PREDICTOR only on its deployments', async () => {
    expect((await call(server, '/v2/models/served', bearer(keys.viewer))).status).toBe(200);
    expect((await call(server, '/v2', bearer(keys.viewer))).status).toBe(200);
    expect((await call(server, '/metrics', bearer(keys.viewer))).status).toBe(200);
    const viewer = await infer('served', { ...bearer(keys.viewer), 'x-request-id': 'oip-viewer' });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toEqual({
      error: 'predict requires the EDITOR or PREDICTOR role; key "viewer" has VIEWER',
      code: 'FORBIDDEN',
      requestId: 'oip-viewer',
    });

    expect((await infer('other', bearer(keys.editor))).status).toBe(200);
    expect((await infer('served', { ...bearer(keys.predictor), 'x-request-id': 'oip-predictor-ok' })).status).toBe(200);
    const elsewhere = await infer('other', { ...bearer(keys.predictor), 'x-request-id': 'oip-predictor-other' });
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ error: 'key "predictor" may not use deployment "other"', code: 'FORBIDDEN', field: 'deployment' });
    expect((await call(server, '/v2/models/served', bearer(keys.predictor))).status).toBe(200);
    expect((await call(server, '/v2/models/other', bearer(keys.predictor))).status).toBe(403);
    expect((await call(server, '/v2/models/other/ready', bearer(keys.predictor))).status).toBe(403);
    expect((await call(server, '/metrics', bearer(keys.predictor))).status).toBe(403);

    await server.services.audit.flush();
    const audited = async (requestId: string) =>
      prisma.auditEvent.findMany({
        where: { requestId },
        select: { principal: true, role: true, operation: true, targetIds: true, outcome: true, errorCode: true },
      });
    expect(await audited('oip-viewer')).toEqual([
      { principal: 'viewer', role: 'VIEWER', operation: 'predict', targetIds: [], outcome: 'DENIED', errorCode: 'FORBIDDEN' },
    ]);
    expect(await audited('oip-predictor-ok')).toEqual([
      { principal: 'predictor', role: 'PREDICTOR', operation: 'predict', targetIds: ['served'], outcome: 'SUCCEEDED', errorCode: null },
    ]);
    expect(await audited('oip-predictor-other')).toEqual([
      { principal: 'predictor', role: 'PREDICTOR', operation: 'predict', targetIds: ['other'], outcome: 'DENIED', errorCode: 'FORBIDDEN' },
    ]);
    expect(await prisma.prediction.count({ where: { deploymentId: (await prisma.deployment.findUniqueOrThrow({ where: { name: 'other' } })).id } })).toBe(1);
  });

  it('audits accepted inferences in batches and failed ones at once, as GraphQL predict', async () => {
    const ok = await infer('served', { ...bearer(keys.editor), 'x-request-id': 'oip-audit-ok' });
    expect(ok.status).toBe(200);
    const bad = await infer(
      'served',
      { ...bearer(keys.editor), 'x-request-id': 'oip-audit-bad' },
      { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] },
    );
    expect(bad.status).toBe(400);
    // The failure is written before the answer; the success waits for its batch.
    expect(await prisma.auditEvent.findMany({ where: { requestId: 'oip-audit-bad' }, select: { outcome: true, errorCode: true, targetIds: true } })).toEqual([
      { outcome: 'FAILED', errorCode: 'BAD_USER_INPUT', targetIds: ['served'] },
    ]);
    await server.services.audit.flush();
    expect(await prisma.auditEvent.count({ where: { requestId: 'oip-audit-ok', principal: 'editor', operation: 'predict', outcome: 'SUCCEEDED' } })).toBe(1);
  });

  it('spends a serving-sized predictions bucket for /v2 infer and GraphQL predict alike, apart from the request bucket', async () => {
    const key = await limited.createKey('serving', 'PREDICTOR', ['served']);
    // More predictions than the request bucket holds (2): the request bucket does not throttle serving.
    for (let i = 0; i < 3; i++) {
      const answer = await infer('served', bearer(key), tensor(), limited);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-limit')).toBe('5');
      expect(answer.headers.get('ratelimit-remaining')).toBe(String(4 - i));
    }
    const viaGraphQL = await postGraphQL(
      limited.url,
      PREDICT,
      { input: { deployment: 'served', instances: [Object.fromEntries(features.map((name) => [name, 1]))] } },
      bearer(key),
    );
    expect(viaGraphQL.status).toBe(200);
    expect(viaGraphQL.headers.get('ratelimit-remaining')).toBe('1');
    expect((await infer('served', bearer(key), tensor(), limited)).status).toBe(200);

    const refused = await infer('served', { ...bearer(key), 'x-request-id': 'oip-limited' }, tensor(), limited);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      error: expect.stringContaining('MLPLANE_PREDICT_RATE_LIMIT_*'),
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
      requestId: 'oip-limited',
    });
    const refusedGraphQL = await postGraphQL(
      limited.url,
      PREDICT,
      { input: { deployment: 'served', instances: [Object.fromEntries(features.map((name) => [name, 1]))] } },
      bearer(key),
    );
    expect(refusedGraphQL.status).toBe(429);
    expect(refusedGraphQL.body.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    // Reads spend the request bucket, still full.
    expect((await call(limited, '/v2/models/served', bearer(key))).status).toBe(200);
    now += 1_000;
    expect((await infer('served', bearer(key), tensor(), limited)).status).toBe(200);
    expect((await infer('served', bearer(key), tensor(), limited)).status).toBe(429);
    now += 60_000;
    await limited.services.audit.flush();
    expect(await prisma.auditEvent.count({ where: { principal: 'serving', operation: 'predict', outcome: 'SUCCEEDED' } })).toBe(6);
  });

  it('refuses a foreign Origin or Host under /v2 in the protocol shape, while the health probes accept any Host', async () => {
    const origin = await infer('served', { ...bearer(keys.editor), origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    expect(await origin.json()).toMatchObject({ error: expect.stringContaining('MLPLANE_ALLOWED_ORIGINS'), code: 'FORBIDDEN' });
    const withHost = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(path, server.origin);
        const req = request({ host: url.hostname, port: url.port, path, headers: { host: 'rebound.example', ...bearer(keys.editor) } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const foreign = await withHost('/v2/models/served');
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: expect.stringContaining('MLPLANE_ALLOWED_HOSTS'), code: 'FORBIDDEN' });
    expect((await withHost('/v2/health/live')).status).toBe(200);
    expect((await withHost('/v2/health/ready')).status).toBe(200);
  });
});
