import { startFuzzTarget, type FuzzTarget } from '../support/fuzz';
import { postGraphQL } from '../support/graphql-client';
import type { TestServer } from '../support/test-server';

/** Counterexamples the fuzzers found, kept as plain tests once fixed. */
describe('inputs the fuzzers found', () => {
  let target: FuzzTarget;
  let server: TestServer;

  beforeAll(async () => {
    target = await startFuzzTarget();
    server = target.server;
  });
  afterAll(() => target.close());

  it('refuses a subscription over HTTP as a validation error (it ran the resolver without an event: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'subscription Fuzz { deploymentChanged { id a399: reason } }');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/graphql-ws/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
  });

  it('lists no run for a filter on an id that is not a UUID (PostgreSQL refused the comparison: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'query($filter: RunFilter) { runs(filter: $filter) { totalCount pageInfo { hasNextPage } } }', { filter: { modelId: 'species' } });
    expect(response.body).toEqual({ data: { runs: { totalCount: 0, pageInfo: { hasNextPage: false } } } });
    // Studies list their trials through the same filter.
    expect(await server.services.training.listRuns({ parentRunId: 'not-a-uuid' }, { first: 5 })).toMatchObject({ items: [], totalCount: 0, hasNextPage: false });
  });

  it('refuses a mutation whose ids hold a NUL or a lone surrogate as a client fault, and audits it with the text escaped (the audit insert failed: INTERNAL_SERVER_ERROR)', async () => {
    const response = await postGraphQL(server.url, 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', { input: { datasetVersionId: '\uDBFF\u0000', modelId: 'm' } });
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    const rows = await target.counter.query<{ target_ids: string[] }>("SELECT target_ids FROM audit_events WHERE operation = 'startTrainingRun' AND outcome = 'FAILED'");
    expect(rows.rows.map((row) => row.target_ids)).toContainEqual(expect.arrayContaining(['\\uDBFF\\u0000']));
  });
});

