import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { systemResolver, type HostResolver, type ResolvedAddress } from '../../src/services/alerts/webhook-target';
import { postGraphQL, type GraphQLResponseBody } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';
import { waitFor } from '../support/wait-for';
import { evidence } from '../support/alert-details';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on 127.0.0.1 recording every request and answering with `respond`. */
async function startReceiver(respond: (hit: Hit) => { status: number; headers?: Record<string, string>; body?: string }) {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const hit = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hits.push(hit);
      const answer = respond(hit);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, hits, server };
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/**
 * A fake DNS in front of the real one: test names resolve from the table (`flip.test` answers a
 * public address the first time and loopback afterwards, as a rebinding attacker's DNS would);
 * anything else (`localhost`) goes to the system resolver.
 */
function fakeDns(): HostResolver {
  let flips = 0;
  const table: Record<string, ResolvedAddress[]> = {
    'rebind-to-loopback.test': [v4('127.0.0.1')],
    'metadata.test': [v4('169.254.169.254')],
    'mixed.test': [v4('93.184.216.34'), v4('10.0.0.1')],
    'v6-loopback.test': [v6('::1')],
    'mapped.test': [v6('::ffff:127.0.0.1')],
    'public.test': [v4('93.184.216.34')],
    'hooks.partner.test': [v4('127.0.0.1')],
  };
  return async (hostname) => {
    if (hostname === 'flip.test') return [v4(flips++ === 0 ? '93.184.216.34' : '127.0.0.1')];
    if (hostname.endsWith('.test')) {
      const entry = table[hostname];
      if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return entry;
    }
    return systemResolver(hostname);
  };
}

describe('webhook targets cannot be turned inward', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let deploymentId: string;
  const receivers: Server[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({
      databaseUrl: db.url,
      // A host name and a documentation range (192.0.2.0/24, refused by default) are allowed.
      env: { MLPLANE_WEBHOOK_ALLOW: 'hooks.partner.test, 192.0.2.0/24' },
      hostResolver: fakeDns(),
    });
    const trained = await trainVersions(prisma, server.services, {
      name: 'bc',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    deploymentId = (await server.services.deployments.deployModel({ name: 'hooked', modelVersionId: trained.versionIds[0] }, 'test')).deployment.id;
  }, 120_000);

  afterAll(async () => {
    await server.close();
    await Promise.all(receivers.map((receiver) => new Promise((resolve) => receiver.close(resolve))));
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables)).body;
  const setRule = (kind: string, webhookUrl: string, webhookSecret?: string) =>
    gql(
      `mutation($kind: AlertKind!, $url: String!, $secret: String) {
        setAlertRule(input: { deployment: "hooked", kind: $kind, webhookUrl: $url, webhookSecret: $secret }) { webhookUrl hasWebhookSecret generatedWebhookSecret }
      }`,
      { kind, url: webhookUrl, secret: webhookSecret },
    );
  const secret = 'x'.repeat(32);

  it.each([
    ['http://127.0.0.1:9/hook', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://0.0.0.0:4000/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:a9fe:a9fe]/', 'linkLocal'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://10.0.0.1/', 'private'],
    ['http://172.16.5.4/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[64:ff9b::7f00:1]/', 'rfc6052'],
    ['http://[2002:7f00:1::]/', '6to4'],
    ['http://198.51.100.7/', 'reserved'],
    ['http://localhost:9/', 'loopback'],
    ['http://rebind-to-loopback.test/', 'loopback'],
    ['http://metadata.test/', 'linkLocal'],
    ['http://mixed.test/', 'private'],
    ['http://v6-loopback.test/', 'loopback'],
    ['http://mapped.test/', 'loopback'],
    ['http://no-such-host.test/', 'does not resolve'],
    ['ftp://public.test/', 'http or https'],
    ['http://user:pw@public.test/', 'credentials'],
    ['not a url', 'is not a URL'],
  ])('refuses %s (%s) with BAD_USER_INPUT and stores nothing', async (url, why) => {
    const result = await setRule('LATENCY', url, secret);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.webhookUrl' } });
    expect(result.errors![0].message).toContain(why);
    expect(await prisma.alertRule.count({ where: { deploymentId, kind: 'LATENCY' } })).toBe(0);
  });

  it('accepts a public address, and a documentation address only because MLPLANE_WEBHOOK_ALLOW lists its range', async () => {
    expect((await setRule('LATENCY', 'http://public.test/hook', secret)).data!.setAlertRule).toMatchObject({ webhookUrl: 'http://public.test/hook' });
    expect((await setRule('LATENCY', 'http://192.0.2.10/hook', secret)).data!.setAlertRule).toMatchObject({ webhookUrl: 'http://192.0.2.10/hook' });
  });

  it('refuses short secrets and generates one when omitted, returned by that answer only', async () => {
    const short = await setRule('ERROR_RATE', 'http://public.test/hook', 'k');
    expect(short.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.webhookSecret' } });
    const generated = (await setRule('ERROR_RATE', 'http://public.test/hook')).data!.setAlertRule;
    expect(generated.hasWebhookSecret).toBe(true);
    expect(generated.generatedWebhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const later = await gql('{ deployment(name: "hooked") { alertRules { kind hasWebhookSecret generatedWebhookSecret } } }');
    expect(later.data!.deployment.alertRules.find((rule: { kind: string }) => rule.kind === 'ERROR_RATE')).toEqual({
      kind: 'ERROR_RATE',
      hasWebhookSecret: true,
      generatedWebhookSecret: null,
    });
  });

  it('delivers to an allow-listed host over a real connection, signed with the generated secret, recording status and timing', async () => {
    const receiver = await startReceiver(() => ({ status: 204 }));
    receivers.push(receiver.server);
    const rule = (await setRule('DATA_DRIFT', `http://hooks.partner.test:${receiver.port}/hook`)).data!.setAlertRule;
    const { alert } = await server.services.alerts.raise({
      deploymentId,
      kind: 'DATA_DRIFT',
      title: 'drift',
      details: evidence('DATA_DRIFT', { driftShare: 0.5, driftedFeatures: ['x1'] }),
    });
    await waitFor(async () => (await prisma.alertDelivery.findFirst({ where: { alertId: alert!.id } }))?.status === 'DELIVERED', 15_000, 50);
    expect(receiver.hits).toHaveLength(1);
    const [hit] = receiver.hits;
    expect(hit.headers.host).toBe(`hooks.partner.test:${receiver.port}`);
    expect(hit.headers['x-mlplane-signature']).toBe(`sha256=${createHmac('sha256', rule.generatedWebhookSecret).update(hit.body).digest('hex')}`);
    const delivery = await prisma.alertDelivery.findFirstOrThrow({ where: { alertId: alert!.id } });
    expect(delivery).toMatchObject({ responseStatus: 204, lastError: null });
    expect(delivery.lastDurationMs).toBeGreaterThan(0);
    // The body sent, read back field by field, the evidence as the member of its kind.
    const sent = JSON.parse(hit.body);
    const read = await gql(
      `{ alert(id: "${alert!.id}") { details { __typename } deliveries { edges { node { payload { event deployment { name }
        alert { id kind severity status title occurrences firstSeenAt lastSeenAt details { __typename ... on DataDriftAlertDetails { reportId driftShare driftedFeatures windowSize } } } } } } } } }`,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.alert.details).toEqual({ __typename: 'DataDriftAlertDetails' });
    expect(read.data!.alert.deliveries.edges[0].node.payload).toEqual({
      event: 'ALERT_OPENED',
      deployment: { name: sent.deployment.name },
      alert: { ...sent.alert, details: { __typename: 'DataDriftAlertDetails', ...sent.alert.details } },
    });
    expect(sent.alert.details).toEqual({ reportId: null, driftShare: 0.5, driftedFeatures: ['x1'], windowSize: null });
  }, 30_000);

  it('records the status of a failed delivery, never the body of the answer', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'root:x:0:0:root:/root:/bin/bash' }));
    receivers.push(receiver.server);
    await setRule('PREDICTION_DRIFT', `http://hooks.partner.test:${receiver.port}/hook`, secret);
    const { alert } = await server.services.alerts.raise({ deploymentId, kind: 'PREDICTION_DRIFT', title: 'drift', details: evidence('PREDICTION_DRIFT') });
    await waitFor(async () => ((await prisma.alertDelivery.findFirst({ where: { alertId: alert!.id } }))?.attempts ?? 0) >= 1, 15_000, 50);
    const result = await gql(`{ alert(id: "${alert!.id}") { deliveries { edges { node { status responseStatus lastError lastDurationMs } } } } }`);
    expect(result.data!.alert.deliveries.edges[0].node).toMatchObject({ status: 'PENDING', responseStatus: 500, lastError: 'HTTP 500' });
    expect(JSON.stringify(result)).not.toContain('root:x');
  }, 30_000);

  it('does not follow a redirect to loopback', async () => {
    const inner = await startReceiver(() => ({ status: 204 }));
    const redirector = await startReceiver(() => ({ status: 307, headers: { location: `http://127.0.0.1:${inner.port}/internal` } }));
    receivers.push(inner.server, redirector.server);
    await setRule('PERFORMANCE_DROP', `http://hooks.partner.test:${redirector.port}/hook`, secret);
    const { alert } = await server.services.alerts.raise({ deploymentId, kind: 'PERFORMANCE_DROP', title: 'drop', details: evidence('PERFORMANCE_DROP') });
    await waitFor(async () => ((await prisma.alertDelivery.findFirst({ where: { alertId: alert!.id } }))?.attempts ?? 0) >= 1, 15_000, 50);
    expect(await prisma.alertDelivery.findFirstOrThrow({ where: { alertId: alert!.id } })).toMatchObject({
      responseStatus: 307,
      lastError: 'redirect not followed (HTTP 307)',
    });
    expect(redirector.hits).toHaveLength(1);
    expect(inner.hits).toHaveLength(0);
  }, 30_000);

  it('checks the address again at delivery: a name that now resolves to loopback is refused and not connected to', async () => {
    const inner = await startReceiver(() => ({ status: 204 }));
    receivers.push(inner.server);
    // Public when the rule is set, loopback (where `inner` listens) at delivery time.
    expect((await setRule('LATENCY', `http://flip.test:${inner.port}/hook`, secret)).errors).toBeUndefined();
    const { alert } = await server.services.alerts.raise({ deploymentId, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') });
    await waitFor(async () => ((await prisma.alertDelivery.findFirst({ where: { alertId: alert!.id } }))?.attempts ?? 0) >= 1, 15_000, 50);
    const delivery = await prisma.alertDelivery.findFirstOrThrow({ where: { alertId: alert!.id } });
    expect(delivery).toMatchObject({ status: 'PENDING', responseStatus: null, lastDurationMs: null });
    expect(delivery.lastError).toContain('flip.test resolves to 127.0.0.1 is a loopback address');
    expect(inner.hits).toHaveLength(0);
  }, 30_000);
});
