import { createPrismaClient } from '../../src/infra/db/prisma-client';
import { fixtureCsv } from '../support/fixtures';
import { startFuzzTarget, type FuzzTarget } from '../support/fuzz';
import { defaultKeyOf, postGraphQL } from '../support/graphql-client';
import type { TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';

/** Counterexamples the fuzzers found, kept as plain tests once fixed. */
describe('inputs the fuzzers found', () => {
  let target: FuzzTarget;
  let server: TestServer;

  beforeAll(async () => {
    target = await startFuzzTarget();
    server = target.server;
  });
  afterAll(() => target.close());

  it('refuses a subscription over HTTP as a bad request naming graphql-ws (it ran the resolver without an event: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'subscription Fuzz { deploymentChanged { id a399: reason } }');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/graphql-ws/),
        extensions: expect.objectContaining({ code: 'BAD_REQUEST', protocol: 'graphql-transport-ws' }),
      }),
    ]);
  });

  it('lists no run for a filter on an id that is not a UUID (PostgreSQL refused the comparison: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'query($filter: RunFilter) { runs(filter: $filter) { totalCount pageInfo { hasNextPage } } }', {
      filter: { modelId: 'species' },
    });
    expect(response.body).toEqual({ data: { runs: { totalCount: 0, pageInfo: { hasNextPage: false } } } });
    // Studies list their trials through the same filter.
    expect(await server.services.training.listRuns({ parentRunId: 'not-a-uuid' }, { first: 5 })).toMatchObject({
      items: [],
      totalCount: 0,
      hasNextPage: false,
    });
  });

  it('refuses a deployment name with a NUL byte as bad input, over GraphQL and in a /v2 path (its audit row could not be stored: INTERNAL_SERVER_ERROR)', async () => {
    const graphql = await postGraphQL(server.url, 'mutation($input: PredictInput!) { predict(input: $input) { requestKey } }', {
      input: { deployment: 'a\u0000b', instances: [{ x: 1 }] },
    });
    expect(graphql.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.deployment' });
    const headers = { authorization: `Bearer ${defaultKeyOf(server.url)}`, 'content-type': 'application/json' };
    const v2 = await fetch(new URL('/v2/models/a%00b/infer', server.origin), { method: 'POST', headers, body: '{"inputs":[]}' });
    expect(v2.status).toBe(400);
    expect(await v2.json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'deployment' });
    expect((await fetch(new URL('/v2/models/a%00b', server.origin), { headers })).status).toBe(400);
  });

  it('answers a /v2 request whose id cannot be a header without echoing it in X-Request-Key (setting the header failed after the predictions were stored)', async () => {
    const prisma = createPrismaClient(target.db.url, 2);
    const trained = await trainVersions(prisma, server.services, {
      name: 'bc',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    await prisma.$disconnect();
    await server.services.deployments.deployModel({ name: 'echo', modelVersionId: trained.versionIds[0] }, 'test');
    const features = fixtureCsv('breast_cancer')
      .split(/\r?\n/)[0]
      .split(',')
      .filter((name) => name !== 'benign');
    const body = { id: 'm\u{10fffc}calle', inputs: [{ name: 'input-0', shape: [1, features.length], datatype: 'FP64', data: features.map(() => 1) }] };
    const response = await fetch(new URL('/v2/models/echo/infer', server.origin), {
      method: 'POST',
      headers: { authorization: `Bearer ${defaultKeyOf(server.url)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-key')).toBeNull();
    expect(await response.json()).toMatchObject({ id: body.id, parameters: { request_key: body.id } });
  }, 60_000);

  it('refuses a feature value whose standardized value overflows the float32 input of the model, naming the instance and column (it reached the model as Infinity: INTERNAL_SERVER_ERROR)', async () => {
    const prisma = createPrismaClient(target.db.url, 2);
    const trained = await trainVersions(prisma, server.services, {
      name: 'overflow',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    await prisma.$disconnect();
    await server.services.deployments.deployModel({ name: 'overflow', modelVersionId: trained.versionIds[0] }, 'test');
    const features = fixtureCsv('breast_cancer')
      .split(/\r?\n/)[0]
      .split(',')
      .filter((name) => name !== 'benign');
    const stored = async () => Number((await target.counter.query<{ n: string }>('SELECT count(*) AS n FROM predictions')).rows[0].n);
    const before = await stored();
    const ordinary = Object.fromEntries(features.map((name) => [name, 1]));
    for (const value of [1e308, -1e308, 1e41]) {
      const instance = { ...ordinary, [features[2]]: value };
      const graphql = await postGraphQL(server.url, 'mutation($input: PredictInput!) { predict(input: $input) { requestKey } }', {
        input: { deployment: 'overflow', instances: [ordinary, instance] },
      });
      expect({ value, body: graphql.body }).toEqual({
        value,
        body: {
          data: null,
          errors: [
            expect.objectContaining({
              message: expect.stringContaining(`feature "${features[2]}" of instance 1`),
              extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', index: 1, column: features[2] }),
            }),
          ],
        },
      });
      const v2 = await fetch(new URL('/v2/models/overflow/infer', server.origin), {
        method: 'POST',
        headers: { authorization: `Bearer ${defaultKeyOf(server.url)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, features.length], datatype: 'FP64', data: features.map((name) => instance[name]) }] }),
      });
      expect(v2.status).toBe(400);
      expect(await v2.json()).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect(await stored()).toBe(before);
  }, 60_000);

  it('refuses a mutation whose ids hold a NUL or a lone surrogate as a client fault, and audits it with the text escaped (the audit insert failed: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', {
      input: { datasetVersionId: '\uDBFF\u0000', modelId: 'm' },
    });
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    const rows = await target.counter.query<{ target_ids: string[] }>(
      "SELECT target_ids FROM audit_events WHERE operation = 'startTrainingRun' AND outcome = 'FAILED'",
    );
    expect(rows.rows.map((row) => row.target_ids)).toContainEqual(expect.arrayContaining(['\\uDBFF\\u0000']));
  });
});
