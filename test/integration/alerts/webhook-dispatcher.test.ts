import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { WebhookDispatcher } from '../../../src/services/alerts/webhook-dispatcher';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';
import { waitFor } from '../../support/wait-for';
import { evidence } from '../../support/alert-details';

const SECRET = 'a-webhook-secret-of-32-characters';

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 answering 500 to the first `failures` requests, then 204. */
async function startReceiver(failures: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = received.length <= failures ? 500 : 204;
      res.end(received.length <= failures ? 'not yet' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

describe('alert webhooks', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let trained: TrainedVersions;
  const servers: Server[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    // The receivers listen on loopback, which webhooks may reach only when listed.
    services = createDomainServices({
      prisma,
      events: new RecordingPublisher(),
      queue: {} as JobQueue,
      config: loadConfig({ MLPLANE_WEBHOOK_ALLOW: '127.0.0.1' }),
    });
    trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 1 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await prisma.$disconnect();
    await db.drop();
  });

  it('signs the JSON body with HMAC-SHA256, retries after 1 s and 2 s, and records every attempt', async () => {
    const receiver = await startReceiver(2);
    servers.push(receiver.server);
    const { deployment } = await services.deployments.deployModel({ name: 'hooked', modelVersionId: trained.versionIds[0] }, 'test');
    const rule = await services.alerts.setAlertRule('hooked', { kind: 'DATA_DRIFT', webhookUrl: receiver.url, webhookSecret: SECRET });
    const { alert } = await services.alerts.raise({
      deploymentId: deployment.id,
      kind: 'DATA_DRIFT',
      title: 'drift on 3 of 5 features',
      details: evidence('DATA_DRIFT', { reportId: deployment.id, driftShare: 0.6, driftedFeatures: ['a', 'b', 'c'], windowSize: 500 }),
    });

    const dispatcher = new WebhookDispatcher(prisma, { pollIntervalMs: 50, guard: services.webhookGuard });
    dispatcher.start();
    try {
      await waitFor(async () => (await prisma.alertDelivery.findFirst({ where: { alertId: alert!.id } }))?.status === 'DELIVERED', 15_000, 50);
    } finally {
      await dispatcher.stop();
    }

    expect(receiver.received).toHaveLength(3);
    for (const { headers, body } of receiver.received) {
      expect(headers['content-type']).toBe('application/json');
      // Verified independently of mlplane's signing code.
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
      const given = Buffer.from(String(headers['x-mlplane-signature']));
      expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
      expect(JSON.parse(body)).toEqual({
        event: 'alert.opened',
        alert: expect.objectContaining({
          id: alert!.id,
          kind: 'DATA_DRIFT',
          severity: 'WARNING',
          status: 'OPEN',
          title: 'drift on 3 of 5 features',
          occurrences: 1,
          details: { reportId: deployment.id, driftShare: 0.6, driftedFeatures: ['a', 'b', 'c'], windowSize: 500 },
        }),
        deployment: { id: deployment.id, name: 'hooked' },
      });
    }
    // Backoff: 1 s after the first failure, 2 s after the second (less the poll interval's slack).
    const [a, b, c] = receiver.received.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(950);
    expect(c - b).toBeGreaterThanOrEqual(1950);

    const delivery = await prisma.alertDelivery.findFirstOrThrow({ where: { alertId: alert!.id } });
    expect(delivery).toMatchObject({
      ruleId: rule.id,
      url: receiver.url,
      status: 'DELIVERED',
      attempts: 3,
      responseStatus: 204,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(delivery.deliveredAt).toBeInstanceOf(Date);

    // A repeat inside the cooldown sends nothing.
    await services.alerts.raise({ deploymentId: deployment.id, kind: 'DATA_DRIFT', title: 'again', details: evidence('DATA_DRIFT') });
    expect(await prisma.alertDelivery.count({ where: { alertId: alert!.id } })).toBe(1);
  }, 30_000);

  it('gives up after the last attempt and keeps the last error', async () => {
    const receiver = await startReceiver(Infinity);
    servers.push(receiver.server);
    const { deployment } = await services.deployments.deployModel({ name: 'down', modelVersionId: trained.versionIds[0] }, 'test');
    await services.alerts.setAlertRule('down', { kind: 'LATENCY', webhookUrl: receiver.url, webhookSecret: SECRET });
    const { alert } = await services.alerts.raise({ deploymentId: deployment.id, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') });
    const dispatcher = new WebhookDispatcher(prisma, { maxAttempts: 3, baseDelayMs: 20, guard: services.webhookGuard });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(await dispatcher.dispatchDue()).toBe(1);
      // The retry comes due now rather than after its backoff.
      await prisma.$executeRaw`UPDATE alert_deliveries SET next_attempt_at = now() WHERE alert_id = ${alert!.id}::uuid AND status = 'PENDING'`;
    }
    expect(await dispatcher.dispatchDue()).toBe(0);
    expect(await prisma.alertDelivery.findFirstOrThrow({ where: { alertId: alert!.id } })).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      responseStatus: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: null,
    });
    expect(receiver.received).toHaveLength(3);
  }, 30_000);
});
