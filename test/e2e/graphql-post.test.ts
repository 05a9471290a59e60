import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { defaultKeyOf } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** JSON bodies above this are refused (the server's MLPLANE_MAX_JSON_BODY_BYTES in this file). */
const LIMIT = 4096;
const HEALTH = JSON.stringify({ query: '{ health { status } }' });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { data?: { health?: { status: string } }; errors?: { message: string; extensions?: { code?: string; requestId?: string } }[] };
}

/** POSTs `chunks` to the server's /graphql, one write each (chunked when no length is given), and reads the JSON answer. */
function post(server: TestServer, chunks: (string | Buffer)[], headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(server.url, { method: 'POST', headers: { authorization: `Bearer ${defaultKeyOf(server.url)}`, ...headers } }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Answer['body'] });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('POST /graphql with a JSON body (served before Express)', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_MAX_JSON_BODY_BYTES: String(LIMIT) } });
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('answers with the request id and the security headers of every response', async () => {
    const answer = await post(server, [HEALTH], { 'content-type': 'application/json', 'x-request-id': 'post-1' });
    expect(answer.status).toBe(200);
    expect(answer.body.data?.health?.status).toBe('OK');
    expect(answer.headers['x-request-id']).toBe('post-1');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(answer.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json/);
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
  });

  it('reads a body sent in chunks without a length, and one that starts with a byte order mark', async () => {
    const half = Math.floor(HEALTH.length / 2);
    const chunked = await post(server, [HEALTH.slice(0, half), HEALTH.slice(half)], { 'content-type': 'application/json' });
    expect(chunked.body.data?.health?.status).toBe('OK');
    const withBom = await post(server, [`\uFEFF${HEALTH}`], { 'content-type': 'application/json; charset=UTF-8' });
    expect(withBom.body.data?.health?.status).toBe('OK');
  });

  it('refuses a body over the limit with 413, from its declared length or while it streams, and goes on serving', async () => {
    const large = JSON.stringify({ query: '{ health { status } }', variables: { pad: 'x'.repeat(LIMIT) } });
    const declared = await post(server, [large], {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(large)),
      'x-request-id': 'post-413a',
    });
    expect(declared.status).toBe(413);
    expect(declared.body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'post-413a' });
    const streamed = await post(server, [large.slice(0, 3000), large.slice(3000)], { 'content-type': 'application/json', 'x-request-id': 'post-413b' });
    expect(streamed.status).toBe(413);
    expect(streamed.body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'post-413b' });
    expect((await post(server, [HEALTH], { 'content-type': 'application/json' })).body.data?.health?.status).toBe('OK');
  });

  it('refuses malformed JSON and a body that is not an object or an array with 400 BAD_REQUEST', async () => {
    for (const body of ['{"query": ', '42', '"{ health { status } }"']) {
      const answer = await post(server, [body], { 'content-type': 'application/json', 'x-request-id': 'post-400' });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'post-400' });
    }
  });

  it('answers an empty body as a request without a query (400), not as a server fault', async () => {
    const answer = await post(server, [], { 'content-type': 'application/json', 'content-length': '0' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0].message).toMatch(/POST body missing/);
  });

  it('leaves compressed bodies and other charsets to the Express route, as before', async () => {
    const compressed = await post(server, [gzipSync(HEALTH)], { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(compressed.status).toBe(200);
    expect(compressed.body.data?.health?.status).toBe('OK');
    const latin1 = await post(server, [HEALTH], { 'content-type': 'application/json; charset=latin1', 'x-request-id': 'post-415' });
    expect(latin1.status).toBe(415);
    expect(latin1.body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'post-415' });
  });

  it('survives a client that goes away in the middle of its body', async () => {
    const gone = new Promise<void>((resolve) => {
      const request = http.request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(HEALTH.length) } });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(HEALTH.slice(0, 10), () => request.destroy());
    });
    await gone;
    expect((await post(server, [HEALTH], { 'content-type': 'application/json' })).body.data?.health?.status).toBe('OK');
  });
});
