import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createClient } from 'graphql-ws/client';
import WebSocket from 'ws';
import { connectWsClient, postGraphQL, within } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { wsResult } from '../support/ws-result';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP request with any headers, `Host` included (fetch cannot set it). */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The HTTP status a WebSocket upgrade is answered with (101 when it opens). */
function upgradeStatus(wsUrl: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', options);
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.on('error', (error) => reject(error));
  });
}

/** A graphql-ws client whose sockets announce `origin`, as a browser page there would. */
function clientFrom(origin: string, server: TestServer) {
  class BrowserLikeSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { origin });
    }
  }
  const closed: number[] = [];
  const client = createClient({
    url: server.wsUrl,
    connectionParams: { authorization: `Bearer ${server.adminKey}` },
    webSocketImpl: BrowserLikeSocket,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => void closed.push((event as { code: number }).code) },
  });
  const run = (query: string) =>
    new Promise<unknown>((resolve, reject) => {
      client.subscribe({ query }, { next: resolve, error: reject, complete: () => undefined });
    });
  return { client, closed, run };
}

describe('cross-site and rebinding protection', () => {
  let db: TestDatabase;
  let guarded: TestServer;
  let open: TestServer;
  const app = 'http://localhost:5173';

  beforeAll(async () => {
    db = await createTestDatabase();
    guarded = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_ALLOWED_ORIGINS: app, MLPLANE_INTROSPECTION: 'false' } });
    open = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_INTROSPECTION: 'true' } });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([guarded.close(), open.close()]);
    await db.drop();
  });

  const createDataset = JSON.stringify({
    query: 'mutation { createDataset(input: { name: "xsite", csv: "a,b\\n1,2\\n", labelColumn: "b" }) { dataset { id } } }',
  });

  it('refuses a foreign Origin with 403 before any GraphQL runs, and serves the own origin and listed ones', async () => {
    const refused = await raw(
      guarded.url,
      'POST',
      { 'content-type': 'application/json', origin: 'http://evil.example', authorization: `Bearer ${guarded.adminKey}` },
      createDataset,
    );
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).errors[0]).toMatchObject({
      message: 'Origin "http://evil.example" is not allowed (MLPLANE_ALLOWED_ORIGINS)',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await guarded.services.datasets.findDataset({ name: 'xsite' })).toBeNull();
    const nullOrigin = await raw(
      guarded.url,
      'POST',
      { 'content-type': 'application/json', origin: 'null', authorization: `Bearer ${guarded.adminKey}` },
      createDataset,
    );
    expect(nullOrigin.status).toBe(403);

    const own = await postGraphQL(guarded.url, '{ health { status } }', undefined, { origin: guarded.origin });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    const listed = await postGraphQL(guarded.url, '{ health { status } }', undefined, { origin: app });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(app);
  });

  it('answers CORS preflights for listed origins only', async () => {
    const preflight = { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' };
    const ok = await raw(guarded.url, 'OPTIONS', preflight);
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': app, 'access-control-allow-methods': 'GET, POST, OPTIONS' });
    expect(ok.headers['access-control-allow-headers']).toContain('authorization');
    const refused = await raw(guarded.url, 'OPTIONS', { ...preflight, origin: 'http://localhost:6000' });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a foreign Host (DNS rebinding) on HTTP and on the WebSocket upgrade; probes answer whatever the Host', async () => {
    const port = new URL(guarded.url).port;
    const rebound = await raw(
      guarded.url,
      'POST',
      { 'content-type': 'application/json', host: `attacker.example:${port}`, authorization: `Bearer ${guarded.adminKey}` },
      createDataset,
    );
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).errors[0].message).toBe(`Host "attacker.example:${port}" is not allowed (MLPLANE_ALLOWED_HOSTS)`);
    expect(await guarded.services.datasets.findDataset({ name: 'xsite' })).toBeNull();
    expect(
      (
        await raw(
          guarded.url,
          'POST',
          { 'content-type': 'application/json', host: `localhost:${port}`, authorization: `Bearer ${guarded.adminKey}` },
          JSON.stringify({ query: '{ health { status } }' }),
        )
      ).status,
    ).toBe(200);
    expect((await raw(`${guarded.origin}/healthz`, 'GET', { host: `10.1.2.3:${port}` })).status).toBe(200);

    expect(await upgradeStatus(guarded.wsUrl, { headers: { host: `attacker.example:${port}` } })).toBe(403);
    expect(await upgradeStatus(guarded.wsUrl, {})).toBe(101);
  });

  it('refuses a cross-origin graphql-ws socket and accepts a listed origin', async () => {
    expect(await upgradeStatus(guarded.wsUrl, { origin: 'http://evil.example' })).toBe(403);
    const evil = clientFrom('http://evil.example', guarded);
    await expect(within(evil.run('{ health { status } }'), 5_000, 'cross-origin operation')).rejects.toBeDefined();
    await evil.client.dispose();

    const listed = clientFrom(app, guarded);
    expect(await within(listed.run('{ health { status } }'), 5_000, 'listed-origin operation')).toEqual({ data: { health: { status: expect.any(String) } } });
    await listed.client.dispose();
  });

  it('follows MLPLANE_INTROSPECTION for introspection and field suggestions on HTTP and graphql-ws alike', async () => {
    const introspect = '{ __schema { queryType { name } } }';
    const typo = '{ healht { status } }';
    const ws = await connectWsClient(guarded.url);
    try {
      const viaHttp = (await postGraphQL(guarded.url, introspect)).body;
      const viaWs = await wsResult(ws.client, introspect);
      for (const result of [viaHttp, viaWs]) {
        expect(result.data).toBeUndefined();
        expect(result.errors![0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
        expect(result.errors![0].message).toContain('introspection');
      }
      for (const result of [(await postGraphQL(guarded.url, typo)).body, await wsResult(ws.client, typo)]) {
        expect(result.errors![0].message).toBe('Cannot query field "healht" on type "Query".');
      }
      expect((await postGraphQL(guarded.url, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    } finally {
      await ws.close();
    }

    const openWs = await connectWsClient(open.url);
    try {
      expect((await openWs.execute(introspect)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      expect((await postGraphQL(open.url, typo)).body.errors![0].message).toBe('Cannot query field "healht" on type "Query". Did you mean "health"?');
    } finally {
      await openWs.close();
    }
  });

  it('sends security headers, and a hash-based Content-Security-Policy with the GraphiQL page', async () => {
    const api = await postGraphQL(guarded.url, '{ __typename }');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(api.headers.get('x-powered-by')).toBeNull();
    // No validator computed for API answers (express would hash each body for an ETag).
    expect(api.headers.get('etag')).toBeNull();

    const page = await fetch(guarded.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]{44}'/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    await page.arrayBuffer();
  });
});
