import { createClient } from 'graphql-ws/client';
import WebSocket from 'ws';
import { connectWsClient, postGraphQL, within, type WsTestClient } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { wsResult } from '../support/ws-result';

const HEALTH = '{ health { status } }';
const csv = (rows: number): string => ['x,label', ...Array.from({ length: rows }, (_, i) => `${i},${i % 2 === 0 ? 'a' : 'b'}`)].join('\n');
const createDataset = (name: string, alias = 'created') =>
  `${alias}: createDataset(input: { name: "${name}", csv: "x,label\\n1,a\\n2,b\\n", labelColumn: "label" }) { dataset { id } }`;

describe('rate limits, caps and query cost', () => {
  let db: TestDatabase;
  let cappedDb: TestDatabase;
  let limited: TestServer;
  let capped: TestServer;
  let now = 1_000_000;
  const clock = () => now;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    [db, cappedDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    limited = await startTestServer({
      databaseUrl: db.url,
      clock,
      env: {
        MLPLANE_RATE_LIMIT_BURST: '3',
        MLPLANE_RATE_LIMIT_PER_MINUTE: '60',
        MLPLANE_EXPENSIVE_RATE_LIMIT_BURST: '2',
        MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE: '6',
      },
    });
    // Its own database: events of the other server's datasets do not reach its subscribers.
    capped = await startTestServer({
      databaseUrl: cappedDb.url,
      env: { MLPLANE_MAX_SUBSCRIPTIONS_PER_SOCKET: '2', MLPLANE_MAX_SOCKETS_PER_CLIENT: '2', MLPLANE_MAX_SOCKETS: '3', MLPLANE_MAX_QUERY_ITEMS: '1000' },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all([limited.close(), capped.close()]);
    await Promise.all([db.drop(), cappedDb.drop()]);
  });

  it('answers 429 with Retry-After and RateLimit headers once the bucket is empty, the same error over graphql-ws, and serves again after refill', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await postGraphQL(limited.url, HEALTH);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(ok.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await postGraphQL(limited.url, HEALTH);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-reset')).toBe('3');
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } });

    const ws = await connectWsClient(limited.url);
    clients.push(ws);
    const overWs = await wsResult(ws.client, HEALTH);
    expect(overWs.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } });
    expect(overWs.errors![0].extensions).not.toHaveProperty('http');

    now += 1_000; // one token back
    expect((await wsResult(ws.client, HEALTH)).data).toEqual({ health: { status: 'OK' } });
    expect((await postGraphQL(limited.url, HEALTH)).status).toBe(429);
    now += 3_000; // full again
    for (let i = 0; i < 3; i++) expect((await postGraphQL(limited.url, HEALTH)).status).toBe(200);
    now += 60_000;
  });

  it('has a separate bucket for expensive mutations, counting each alias, and refuses without running anything', async () => {
    now += 60_000;
    const two = await postGraphQL(limited.url, `mutation { ${createDataset('cheap-1', 'a')} ${createDataset('cheap-2', 'b')} }`);
    expect(two.body.errors).toBeUndefined();
    const third = await postGraphQL(limited.url, `mutation { ${createDataset('cheap-3')} }`);
    expect(third.status).toBe(429);
    expect(third.body.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 10 } });
    expect(third.body.errors![0].message).toContain('expensive mutations');
    expect(await limited.services.datasets.findDataset({ name: 'cheap-3' })).toBeNull();
    // Cheap operations still pass: the request bucket is separate.
    expect((await postGraphQL(limited.url, HEALTH)).status).toBe(200);
    now += 10_000;
    expect((await postGraphQL(limited.url, `mutation { ${createDataset('cheap-3')} }`)).body.errors).toBeUndefined();
    now += 60_000;
  });

  it('spends the same buckets on the CSV upload route: 429 with Retry-After once the expensive bucket is empty, served again after refill', async () => {
    now += 120_000;
    const upload = (name: string) =>
      fetch(`${limited.origin}/datasets/${name}/versions?labelColumn=label`, {
        method: 'POST',
        headers: { authorization: `Bearer ${limited.adminKey}`, 'content-type': 'text/csv' },
        body: csv(4),
      });
    expect((await upload('up-1')).status).toBe(201);
    expect((await upload('up-2')).status).toBe(201);
    const refused = await upload('up-3');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(await limited.services.datasets.findDataset({ name: 'up-3' })).toBeNull();
    now += 10_000;
    expect((await upload('up-3')).status).toBe(201);
    now += 120_000;
  });

  it('caps subscriptions per socket with an error on the operation, and frees the slot when one completes', async () => {
    const ws = await connectWsClient(capped.url);
    try {
      const first = ws.subscribe('subscription { datasetCreated { id } }');
      const second = ws.subscribe('subscription { datasetCreated { name } }');
      // A subscription that answers at once: past the cap it fails NOT_FOUND (no such run) instead of RATE_LIMITED.
      const probe = 'subscription { runProgress(runId: "00000000-0000-4000-8000-000000000000") { type } }';
      const third = await wsResult(ws.client, probe);
      expect(third.errors![0]).toMatchObject({
        message: expect.stringContaining('MLPLANE_MAX_SUBSCRIPTIONS_PER_SOCKET'),
        extensions: { code: 'RATE_LIMITED' },
      });
      await first.stop();
      expect((await wsResult(ws.client, probe)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      // The second subscription listens once the pub/sub counts it (the first stopped).
      await waitFor(() => capped.pubSub.subscriberCount('datasetCreated') === 1, 5_000);
      await capped.services.datasets.createDataset({ name: 'seen', csv: csv(4), labelColumn: 'label' });
      expect((await second.next())!.data).toEqual({ datasetCreated: { name: 'seen' } });
      await second.stop();
    } finally {
      await ws.close();
    }
  });

  it('caps sockets per client (close code 4429) and sockets per process (HTTP 429 on the upgrade)', async () => {
    const a = await connectWsClient(capped.url);
    clients.push(a);
    const b = await connectWsClient(capped.url);
    clients.push(b);
    const closed: number[] = [];
    const third = createClient({
      url: capped.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${capped.adminKey}` },
      onNonLazyError: () => undefined,
      on: { closed: (event) => void closed.push((event as { code: number }).code) },
    });
    await waitFor(() => closed.length > 0, 5_000);
    expect(closed).toEqual([4429]);
    await third.dispose();

    // Sockets count towards the process cap from the upgrade on, before connection_init.
    const bare = new WebSocket(capped.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => bare.once('open', resolve));
    const status = await new Promise<number>((resolve) => {
      const refused = new WebSocket(capped.wsUrl, 'graphql-transport-ws');
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('open', () => resolve(101));
    });
    expect(status).toBe(429);
    bare.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('counts list sizes before running: aliased splits and large pages are refused, on HTTP and graphql-ws', async () => {
    const { version } = await capped.services.datasets.createDataset({ name: 'rows-100', csv: csv(100), labelColumn: 'label' });
    const splits = (n: number) =>
      `{ datasetVersion(id: "${version.id}") { ${Array.from({ length: n }, (_, i) => `s${i}: split(input: { seed: ${i} }) { train }`).join(' ')} } }`;
    const five = await postGraphQL(capped.url, splits(5));
    expect(five.body.errors).toBeUndefined();
    expect(five.body.data!.datasetVersion.s4.train.length).toBeGreaterThan(50);

    const fifteen = await postGraphQL(capped.url, splits(15));
    expect(fifteen.status).toBe(400);
    expect(fifteen.body.data).toBeUndefined();
    expect(fifteen.body.errors![0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(fifteen.body.errors![0].message).toContain('up to 1,500 list items; the limit is 1,000 (MLPLANE_MAX_QUERY_ITEMS)');

    const ws = await connectWsClient(capped.url);
    clients.push(ws);
    expect((await wsResult(ws.client, splits(15))).errors![0].message).toContain('up to 1,500 list items');
    // Pages multiply: 20 datasets, one version page of each, rows(limit: 100) of each version.
    const pages = await wsResult(
      ws.client,
      '{ datasets(first: 20) { edges { node { versions(first: 1) { edges { node { rows(limit: 100) { index } } } } } } } }',
    );
    expect(pages.errors![0].message).toContain('up to 2,040 list items');
    // A connection given no size counts its default page of 20: 5 + 5 x 20 + 5 x 20 x 5.
    expect(
      (await wsResult(ws.client, '{ datasets(first: 5) { edges { node { versions { edges { node { rows(limit: 5) { index } } } } } } } }')).errors,
    ).toBeUndefined();
    expect(
      (await wsResult(ws.client, '{ datasets(first: 5) { edges { node { versions { edges { node { rows(limit: 10) { index } } } } } } } }')).errors![0].message,
    ).toContain('up to 1,105 list items');
    await ws.close();
  });

  it('answers a burst of /readyz from one cached check', async () => {
    let calls = 0;
    let readyNow = 0;
    const probed = await startTestServer({
      databaseUrl: db.url,
      clock: () => readyNow,
      readiness: async () => {
        calls += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return { ready: true };
      },
    });
    try {
      const statuses = await within(
        Promise.all(Array.from({ length: 400 }, () => fetch(`${probed.origin}/readyz`).then((res) => res.status))),
        30_000,
        '400 probes',
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(calls).toBe(1);
      readyNow += 999;
      await fetch(`${probed.origin}/readyz`);
      expect(calls).toBe(1);
      readyNow += 2;
      await fetch(`${probed.origin}/readyz`);
      expect(calls).toBe(2);
    } finally {
      await probed.close();
    }
  });
});
