import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import express from 'express';
import { getIntrospectionQuery } from 'graphql';
import pino from 'pino';
import { z } from 'zod';
import { Arg, Field, InputType, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { projectRoot } from '../../src/config/paths';
import { backendInfo } from '../../src/ml/tf-backend';
import { parseInput } from '../../src/domain/common/input-schema';
import { ConflictError, NotFoundError, ValidationError } from '../../src/domain/errors';
import { connectWsClient, postGraphQL, within, type HttpGraphQLResponse, type WsTestClient } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** A request the test holds inside its resolver until it says so. */
interface Gate {
  entered: Promise<void>;
  enter(): void;
  release(): void;
  released: Promise<void>;
  isReleased: boolean;
}
const gates = new Map<string, Gate>();
function createGate(key: string): Gate {
  const gate = { isReleased: false } as Gate;
  gate.entered = new Promise((resolve) => (gate.enter = resolve));
  gate.released = new Promise((resolve) => {
    gate.release = () => {
      gate.isReleased = true;
      resolve();
    };
  });
  gates.set(key, gate);
  return gate;
}

@InputType()
class ProbeItemInput {
  @Field(() => Int)
  value!: number;
}

@InputType()
class ProbeInput {
  @Field(() => [ProbeItemInput])
  items!: ProbeItemInput[];
}

/** The probe input's shape rule, declared as the domain declares its inputs'. */
const probeInputSchema = z.object({ items: z.array(z.object({ value: z.number().max(10, { error: 'must not be greater than 10' }) })) });

@ObjectType()
class ProbeEvent {
  @Field()
  message!: string;
}

@ObjectType()
class ProbeNode {
  @Field(() => Int)
  level!: number;

  @Field(() => ProbeNode)
  child(): ProbeNode {
    return Object.assign(new ProbeNode(), { level: this.level + 1 });
  }
}

/** Test-only fields: each exercises one path of the server (errors, drain, limits, events). */
@Resolver()
class ProbeResolver {
  @Query(() => String)
  async held(@Arg('key') key: string): Promise<string> {
    const gate = gates.get(key);
    if (!gate) throw new Error(`no gate ${key}`);
    gate.enter();
    await gate.released;
    return 'done';
  }

  @Query(() => String)
  missingDataset(): string {
    throw new NotFoundError('dataset', 'ds-404');
  }

  @Query(() => String)
  badCell(): string {
    throw new ValidationError('value "abc" in column "age" is not a number', { row: 3, column: 'age' });
  }

  @Query(() => String)
  broken(): string {
    throw new Error('connection string postgres://admin:hunter2@db leaked');
  }

  @Query(() => Int)
  sumItems(@Arg('input') input: ProbeInput): number {
    return parseInput(probeInputSchema, input, 'input').items.reduce((sum, item) => sum + item.value, 0);
  }

  @Query(() => ProbeNode)
  tree(): ProbeNode {
    return Object.assign(new ProbeNode(), { level: 0 });
  }

  @Subscription(() => ProbeEvent, { topics: 'probeEvent' })
  probeEvent(@Root() event: { message: string }): ProbeEvent {
    if (event.message === 'conflict') throw new ConflictError('probe conflict');
    return event;
  }
}

const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
const HEALTH = '{ health { status database version backend uptimeSeconds } }';

function firstCode(response: HttpGraphQLResponse): unknown {
  return response.body.errors?.[0]?.extensions?.code;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** `{ tree { child { child ... { level } } } }` with `depth` levels of fields. */
function treeQuery(depth: number): string {
  let selection = 'level';
  for (let level = 2; level < depth; level += 1) selection = `child { ${selection} }`;
  return `{ tree { ${selection} } }`;
}

describe('API server: HTTP, graphql-ws, GraphiQL, health, errors, drain', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let wsA: WsTestClient;
  const logLines: string[] = [];
  const captured = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestServer({ databaseUrl: db.url, extraResolvers: [ProbeResolver], logger: captured });
    b = await startTestServer({ databaseUrl: db.url, extraResolvers: [ProbeResolver] });
    wsA = await connectWsClient(a.url);
  });

  afterAll(async () => {
    await wsA?.close();
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('answers the health query over HTTP and echoes the request id', async () => {
    const response = await postGraphQL(a.url, HEALTH, undefined, { 'x-request-id': 'e2e-health-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('e2e-health-1');
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.health).toEqual({
      status: 'OK',
      database: 'UP',
      version,
      backend: backendInfo().active.toUpperCase(),
      uptimeSeconds: expect.any(Number),
    });
    expect(response.body.data.health.uptimeSeconds).toBeGreaterThan(0);
  });

  it("builds each request and response with Express's prototypes, so Express changes none of them per request", async () => {
    const seen: { request: [unknown, unknown]; response: [unknown, unknown] }[] = [];
    const observe = (request: http.IncomingMessage, response: http.ServerResponse) => {
      const arrived = { request: Object.getPrototypeOf(request) as unknown, response: Object.getPrototypeOf(response) as unknown };
      response.once('finish', () =>
        seen.push({ request: [arrived.request, Object.getPrototypeOf(request)], response: [arrived.response, Object.getPrototypeOf(response)] }),
      );
    };
    // Runs before Express's handler, on the objects as http.Server built them.
    a.server.httpServer.prependListener('request', observe);
    try {
      const response = await postGraphQL(a.url, HEALTH, undefined, { 'x-request-id': 'e2e-prototypes-1' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('e2e-prototypes-1');
      expect(response.body.data.health.status).toBe('OK');
    } finally {
      a.server.httpServer.removeListener('request', observe);
    }
    expect(seen).toHaveLength(1);
    const [{ request, response }] = seen;
    // Express's request and response prototypes (the application's own sit between them and the objects).
    expect(Object.getPrototypeOf(request[0])).toBe(express.request);
    expect(Object.getPrototypeOf(response[0])).toBe(express.response);
    expect(request[1]).toBe(request[0]);
    expect(response[1]).toBe(response[0]);
  });

  it('serves a self-contained GraphiQL page to browsers, and JSON to API clients', async () => {
    const page = await fetch(a.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).toContain('"endpoint":"/graphql"');
    expect(html).toContain('"subscriptionsProtocol":"WS"');
    // The API key field runs before GraphiQL: it sends the key on HTTP and in connectionParams.
    expect(html.indexOf("id = 'mlplane-api-key'")).toBeGreaterThan(0);
    expect(html.indexOf("id = 'mlplane-api-key'")).toBeLessThan(html.indexOf('renderYogaGraphiQL'));
    expect(html).toContain("message.payload = Object.assign({}, message.payload, { authorization: 'Bearer ' + k })");
    // Nothing is fetched from elsewhere: no external script, stylesheet, image, worker or import.
    expect(html.match(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//gi)).toBeNull();
    expect(html.match(/url\(\s*["']?(?:https?:)?\/\//gi)).toBeNull();
    expect(html.match(/(?:@import|importScripts\(|import\()\s*["'`](?:https?:)?\/\//gi)).toBeNull();
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdnjs|esm\.sh|googleapis|apollographql\.com/);

    const api = await fetch(a.url, { headers: { accept: 'application/json' } });
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('maps domain errors to their codes with the location at fault', async () => {
    const notFound = await postGraphQL(a.url, '{ missingDataset }');
    expect(notFound.body.errors).toEqual([
      { message: 'dataset ds-404 not found', locations: [{ line: 1, column: 3 }], path: ['missingDataset'], extensions: { code: 'NOT_FOUND' } },
    ]);

    const badCell = await postGraphQL(a.url, '{ badCell }');
    expect(badCell.body.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      row: 3,
      column: 'age',
      errors: [{ message: 'value "abc" in column "age" is not a number', row: 3, column: 'age' }],
    });
    expect(badCell.body.errors?.[0].message).toBe('value "abc" in column "age" is not a number');
  });

  it('turns input validation failures into BAD_USER_INPUT naming the field', async () => {
    const query = 'query Sum($input: ProbeInput!) { sumItems(input: $input) }';
    const ok = await postGraphQL(a.url, query, { input: { items: [{ value: 1 }, { value: 10 }] } });
    expect(ok.body.data).toEqual({ sumItems: 11 });

    const tooBig = await postGraphQL(a.url, query, { input: { items: [{ value: 1 }, { value: 11 }] } });
    expect(tooBig.body.errors).toHaveLength(1);
    expect(tooBig.body.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.items[1].value',
      errors: [{ message: 'input.items[1].value must not be greater than 10', field: 'input.items[1].value' }],
    });
    expect(tooBig.body.errors?.[0].message).toBe('input.items[1].value must not be greater than 10');

    // Every violation is listed; the first stays the top-level field.
    const two = await postGraphQL(a.url, query, { input: { items: [{ value: 12 }, { value: 1 }, { value: 13 }] } });
    expect(two.body.errors).toHaveLength(1);
    expect(two.body.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.items[0].value',
      errors: [
        { message: 'input.items[0].value must not be greater than 10', field: 'input.items[0].value' },
        { message: 'input.items[2].value must not be greater than 10', field: 'input.items[2].value' },
      ],
    });
    expect(two.body.errors?.[0].message).toBe('input.items[0].value must not be greater than 10 (and 1 more problem: see extensions.errors)');
  });

  it('masks an unexpected error, naming the request id, and logs its stack under that id', async () => {
    const response = await postGraphQL(a.url, '{ broken }', undefined, { 'x-request-id': 'e2e-masked-1' });
    expect(response.body.errors).toEqual([
      {
        message: 'Internal server error (request id e2e-masked-1)',
        locations: [{ line: 1, column: 3 }],
        path: ['broken'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'e2e-masked-1' },
      },
    ]);
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
    const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unexpected error in a GraphQL operation');
    expect(logged).toMatchObject({ level: 50, requestId: 'e2e-masked-1', path: ['broken'] });
    expect(logged.err.stack).toContain('hunter2');
    expect(logged.err.stack).toContain('ProbeResolver.broken');
  });

  it('keeps GraphQL request errors and enforces the query limits', async () => {
    const parse = await postGraphQL(a.url, '{ health {');
    expect(parse.status).toBe(400);
    expect(firstCode(parse)).toBe('GRAPHQL_PARSE_FAILED');

    const tooLong = await postGraphQL(a.url, `{ ${'__typename '.repeat(2000)}}`);
    expect(tooLong.status).toBe(400);
    expect(firstCode(tooLong)).toBe('GRAPHQL_PARSE_FAILED');
    expect(tooLong.body.errors?.[0].message).toMatch(/2000 tokens/);

    const unknown = await postGraphQL(a.url, '{ nope }');
    expect(unknown.status).toBe(400);
    expect(firstCode(unknown)).toBe('GRAPHQL_VALIDATION_FAILED');

    const allowedDepth = await postGraphQL(a.url, treeQuery(12));
    expect(allowedDepth.body.errors).toBeUndefined();
    const tooDeep = await postGraphQL(a.url, treeQuery(13));
    expect(tooDeep.status).toBe(400);
    expect(firstCode(tooDeep)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tooDeep.body.errors?.[0].message).toMatch(/depth/i);

    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `h${i}: health { status }`).join(' ')} }`;
    expect((await postGraphQL(a.url, aliases(15))).body.errors).toBeUndefined();
    const tooManyAliases = await postGraphQL(a.url, aliases(16));
    expect(firstCode(tooManyAliases)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tooManyAliases.body.errors?.[0].message).toMatch(/aliases/i);
  });

  it("admits GraphiQL's full introspection query and answers malformed bodies in GraphQL's error shape", async () => {
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const schema = await postGraphQL(a.url, introspection);
    expect(schema.body.errors).toBeUndefined();
    expect(schema.body.data.__schema.queryType).toMatchObject({ name: 'Query' });

    const malformed = await fetch(a.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    const body = (await malformed.json()) as { errors: { extensions: { code: string; requestId: string } }[] };
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: malformed.headers.get('x-request-id') });
  });

  it('answers /healthz while alive and /readyz when the database is migrated', async () => {
    const health = await fetch(`${a.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'alive' });

    const ready = await fetch(`${a.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it('answers /readyz 503 with the reason while migrations are pending', async () => {
    const bare = await createTestDatabase({ migrated: false });
    // No tables, so no keys: this server runs open (loopback).
    const server = await startTestServer({ databaseUrl: bare.url, env: { MLPLANE_AUTH: 'disabled' } });
    try {
      const ready = await fetch(`${server.origin}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { ready: boolean; reason: string };
      expect(body.ready).toBe(false);
      expect(body.reason).toMatch(/^\d+ migrations pending$/);
    } finally {
      await server.close();
      await bare.drop();
    }
  });

  it('runs queries over graphql-ws with the same error mapping', async () => {
    const health = await wsA.execute(HEALTH);
    expect(health.data.health.status).toBe('OK');

    const notFound = await wsA.execute('{ missingDataset }');
    expect(notFound.errors?.[0].extensions).toEqual({ code: 'NOT_FOUND' });

    const broken = await wsA.execute('{ broken }');
    expect(broken.errors?.[0].message).toMatch(/^Internal server error \(request id [0-9a-f-]{36}\)$/);
    expect(JSON.stringify(broken)).not.toContain('hunter2');

    // Request errors come back as an error message and leave the socket open.
    await expect(wsA.subscribe('{ health {').next()).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }) }),
    ]);
    await expect(wsA.subscribe(treeQuery(13)).next()).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) }),
    ]);
    const sum = 'query Sum($input: ProbeInput!) { sumItems(input: $input) }';
    await expect(wsA.subscribe(sum, { input: { items: [{ value: 'x' }] } }).next()).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
    expect((await wsA.execute(HEALTH)).data.health.database).toBe('UP');
    expect(wsA.closeCodes).toEqual([]);
  });

  it('delivers over graphql-ws an event published through the pub/sub of another server instance', async () => {
    const subscription = wsA.subscribe('subscription { probeEvent { message } }');
    const first = subscription.next();
    await waitFor(() => a.pubSub.subscriberCount('probeEvent') === 1, 'the subscription to reach server A');

    await b.pubSub.publish('probeEvent', { message: 'from B' });
    expect(await first).toEqual({ data: { probeEvent: { message: 'from B' } } });

    // Exactly once: the next result is the next event, not a second copy of the first.
    await b.pubSub.publish('probeEvent', { message: 'second' });
    expect(await subscription.next()).toEqual({ data: { probeEvent: { message: 'second' } } });

    // An error while resolving one event is mapped like any other and the stream goes on.
    await b.pubSub.publish('probeEvent', { message: 'conflict' });
    const failed = await subscription.next();
    expect(failed?.errors?.[0]).toMatchObject({ message: 'probe conflict', extensions: { code: 'CONFLICT' } });
    await b.pubSub.publish('probeEvent', { message: 'after' });
    expect(await subscription.next()).toEqual({ data: { probeEvent: { message: 'after' } } });

    await subscription.stop();
    await waitFor(() => a.pubSub.subscriberCount('probeEvent') === 0, 'the subscription to end on server A');
  });

  it('refuses a subscription over HTTP (POST and GET) with BAD_REQUEST naming the graphql-ws URL, which then serves it', async () => {
    const wsUrl = a.url.replace(/^http/, 'ws');
    const query = 'subscription Over { probeEvent { message } }';
    const post = await postGraphQL(a.url, query);
    const get = await fetch(`${a.url}?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${a.adminKey!}`, 'apollo-require-preflight': '1' },
    });
    const getBody = (await get.json()) as HttpGraphQLResponse['body'];
    for (const [status, body] of [
      [post.status, post.body],
      [get.status, getBody],
    ] as const) {
      expect(status).toBe(400);
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0].extensions).toEqual({ code: 'BAD_REQUEST', graphqlWsUrl: wsUrl, protocol: 'graphql-transport-ws' });
      expect(body.errors![0].message).toBe(
        `Subscriptions are not served over HTTP: open a WebSocket to ${wsUrl} with the graphql-transport-ws protocol (graphql-ws)`,
      );
    }
    // Behind a TLS proxy the URL is wss://.
    const proxied = await postGraphQL(a.url, query, undefined, { 'x-forwarded-proto': 'https' });
    expect(proxied.body.errors![0].extensions).toMatchObject({ code: 'BAD_REQUEST', graphqlWsUrl: wsUrl.replace(/^ws/, 'wss') });

    // The URL the error names serves the subscription.
    const client = await connectWsClient(post.body.errors![0].extensions!.graphqlWsUrl as string);
    try {
      const subscription = client.subscribe(query);
      const first = subscription.next();
      await waitFor(() => a.pubSub.subscriberCount('probeEvent') === 1, 'the subscription to reach server A');
      await a.pubSub.publish('probeEvent', { message: 'over ws' });
      expect(await first).toEqual({ data: { probeEvent: { message: 'over ws' } } });
      await subscription.stop();
    } finally {
      await client.close();
    }
  });

  it('close() lets an in-flight request finish, refuses new connections and closes sockets with 1001', async () => {
    const server = await startTestServer({ databaseUrl: db.url, extraResolvers: [ProbeResolver], shutdownGraceMs: 10_000 });
    const ws = await connectWsClient(server.url);
    const gate = createGate('drain');
    const order: string[] = [];
    const response = postGraphQL(server.url, '{ held(key: "drain") }').then((result) => {
      order.push('response');
      return result;
    });
    await within(gate.entered, 5_000, 'the held request to start');

    const closing = server.server.close().then(() => order.push('closed'));
    await waitFor(() => !server.server.httpServer.listening, 'the listener to close');
    await expect(fetch(`${server.origin}/healthz`)).rejects.toThrow();
    await waitFor(() => ws.closeCodes.length > 0, 'the graphql-ws socket to close');
    expect(ws.closeCodes).toEqual([1001]);
    expect(order).toEqual([]);

    gate.release();
    expect((await response).body.data).toEqual({ held: 'done' });
    await closing;
    expect(order).toEqual(['response', 'closed']);
    await server.close();
    await ws.close();
  });

  it('close() cuts a request still running when the grace period ends', async () => {
    const server = await startTestServer({ databaseUrl: db.url, extraResolvers: [ProbeResolver], shutdownGraceMs: 300 });
    const gate = createGate('cut');
    const response = postGraphQL(server.url, '{ held(key: "cut") }');
    response.catch(() => undefined);
    await within(gate.entered, 5_000, 'the held request to start');

    await within(server.close(), 5_000, 'close()');
    expect(gate.isReleased).toBe(false);
    await expect(response).rejects.toThrow();
    gate.release();
  });
});
