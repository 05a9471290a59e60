import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import type { BatchInferred, PredictionsServed } from '../../src/services/serving/serving-events';
import { postGraphQL, useApiKey, withDefaultKey, type GraphQLResponseBody } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';
import { waitFor } from '../support/wait-for';

const ROOT = path.resolve(__dirname, '..', '..');
const PREDICT =
  'mutation($input: PredictInput!) { predict(input: $input) { modelVersionId canary requestKey predictions { id label probabilities { label probability } } } }';

/** Starts `mlplane serve`'s composition root in its own process; resolves with its GraphQL URL. */
function startChildApi(databaseUrl: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'test/support/api-server-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)\n/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`API process exited with ${code} before it listened`)));
  });
  return { child, url };
}

/** The serving pipeline through both entry points, across two API processes on one database. */
describe('serving: one pipeline for GraphQL and the Open Inference Protocol', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let a: TestServer;
  let child: ChildProcess | undefined;
  let bUrl: string;
  let trained: TrainedVersions;
  let features: string[];
  let instances: Record<string, number>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    const started = startChildApi(db.url);
    child = started.child;
    [a, bUrl] = await Promise.all([startTestServer({ databaseUrl: db.url }), started.url]);
    // Both processes share the database, so the key server A created works on B too.
    useApiKey(bUrl, a.adminKey!);
    trained = await trainVersions(prisma, a.services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 3 });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    features = header.split(',').filter((name) => name !== 'benign');
    const names = header.split(',');
    instances = lines.slice(0, 20).map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      ),
    );
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await a.close();
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (url: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(url, query, variables)).body;
  const predictOn = async (url: string, deployment: string, rows = instances.slice(0, 1), requestKey?: string) => {
    const body = await gql(url, PREDICT, { input: { deployment, instances: rows, requestKey } });
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return body.data.predict as {
      modelVersionId: string;
      canary: boolean;
      requestKey: string;
      predictions: { id: string; label: string; probabilities: { label: string; probability: number }[] }[];
    };
  };
  const v2 = (url: string, route: string, init: RequestInit = {}) =>
    fetch(new URL(route, url), { ...init, headers: withDefaultKey(url, { ...((init.headers as Record<string, string> | undefined) ?? {}) }) });
  const infer = (url: string, deployment: string, body: unknown, headers: Record<string, string> = {}) =>
    v2(url, `/v2/models/${deployment}/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('a version switch or rollback made through one API process is served by the other within 1 s', async () => {
    const [v1, v2Id] = trained.versionIds;
    await a.services.deployments.deployModel({ name: 'switch', modelVersionId: v1 }, 'test');
    expect((await predictOn(bUrl, 'switch')).modelVersionId).toBe(v1);
    // The other process serves from its cache: repeated requests read no deployment row (checked in-process below).
    for (const [change, expected] of [
      [() => gql(a.url, `mutation { updateDeployment(input: { deployment: "switch", modelVersionId: "${v2Id}" }) { event { kind } } }`), v2Id],
      [() => gql(a.url, 'mutation { rollbackDeployment(input: { deployment: "switch", reason: "test" }) { event { kind } } }'), v1],
    ] as const) {
      const answered = await change();
      expect(answered.errors).toBeUndefined();
      const changedAt = Date.now();
      await waitFor(async () => (await predictOn(bUrl, 'switch')).modelVersionId === expected, 1_000, 5);
      expect(Date.now() - changedAt).toBeLessThan(1_000);
    }
  }, 60_000);

  it('caches deployment lookups between requests and drops them on a change from another process', async () => {
    const [v1, v2Id] = trained.versionIds;
    // Creating it invalidates 'cached' twice in this process: at once, and when its own NOTIFY comes back.
    // Until the echo has arrived it could drop the entry being measured, so wait for both first.
    let invalidations = 0;
    const off = a.services.servingEvents.on('deploymentInvalidated', ({ name }) => {
      if (name === 'cached') invalidations++;
    });
    await a.services.deployments.deployModel({ name: 'cached', modelVersionId: v1 }, 'test');
    await waitFor(() => invalidations >= 2);
    off();
    await predictOn(a.url, 'cached');
    const loads = a.services.deploymentCache.loads;
    for (let i = 0; i < 5; i++) await predictOn(a.url, 'cached');
    expect(a.services.deploymentCache.loads).toBe(loads);
    const body = await gql(bUrl, `mutation { updateDeployment(input: { deployment: "cached", modelVersionId: "${v2Id}" }) { event { kind } } }`);
    expect(body.errors).toBeUndefined();
    await waitFor(async () => (await predictOn(a.url, 'cached')).modelVersionId === v2Id, 1_000, 5);
  }, 60_000);

  it('combines concurrent requests to one version into fewer model calls, each answered and logged on its own', async () => {
    await a.services.deployments.deployModel({ name: 'batched', modelVersionId: trained.versionIds[0] }, 'test');
    const alone = await Promise.all(instances.slice(0, 16).map((row) => predictOn(a.url, 'batched', [row])));
    const batches: BatchInferred[] = [];
    const served: PredictionsServed[] = [];
    const offBatch = a.services.servingEvents.on('batchInferred', (batch) => batches.push(batch));
    const offServed = a.services.servingEvents.on('predictionsServed', (event) => served.push(event));
    try {
      const together = await Promise.all(instances.slice(0, 16).map((row, i) => predictOn(a.url, 'batched', [row], `together-${i}`)));
      // Same labels, same probabilities up to float32 rounding: a matrix product's summation order
      // depends on the batch's row count (for model.predict as for the compiled pass), so a row's
      // last bit can move with the requests it was batched with, as in TF Serving. One ulp of the
      // logit z moves p = sigmoid(z) by p (1 - p) |z| 2^-23 <= 2.7e-8: 1e-6 allows dozens of them.
      expect(together.map((r) => r.predictions[0].label)).toEqual(alone.map((r) => r.predictions[0].label));
      together.forEach((answer, i) =>
        answer.predictions[0].probabilities.forEach((entry, j) => {
          expect(entry.label).toBe(alone[i].predictions[0].probabilities[j].label);
          expect(Math.abs(entry.probability - alone[i].predictions[0].probabilities[j].probability)).toBeLessThanOrEqual(1e-6);
        }),
      );
      expect(served.filter((event) => event.deploymentName === 'batched')).toHaveLength(16);
      const rows = batches.reduce((sum, batch) => sum + batch.rows, 0);
      expect(rows).toBe(16);
      expect(batches.length).toBeLessThan(16);
      expect(Math.max(...batches.map((batch) => batch.requests))).toBeGreaterThan(1);
      const ids = together.map((r) => r.predictions[0].id);
      expect(await prisma.prediction.count({ where: { id: { in: ids } } })).toBe(16);
    } finally {
      offBatch();
      offServed();
    }
  }, 60_000);

  it('honours maxBatchSize from setDeploymentBatching on every process', async () => {
    await a.services.deployments.deployModel({ name: 'small-batches', modelVersionId: trained.versionIds[0] }, 'test');
    const set = await gql(
      bUrl,
      'mutation { setDeploymentBatching(input: { deployment: "small-batches", maxBatchSize: 2, maxDelayMs: 5 }) { batching { maxBatchSize maxDelayMs } } }',
    );
    expect(set.data!.setDeploymentBatching.batching).toEqual({ maxBatchSize: 2, maxDelayMs: 5 });
    const bad = await gql(a.url, 'mutation { setDeploymentBatching(input: { deployment: "small-batches", maxDelayMs: 1000 }) { name } }');
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.maxDelayMs' });
    const batches: BatchInferred[] = [];
    const off = a.services.servingEvents.on('batchInferred', (batch) => batches.push(batch));
    try {
      await waitFor(
        async () => {
          batches.length = 0;
          await Promise.all(instances.slice(0, 8).map((row) => predictOn(a.url, 'small-batches', [row])));
          return batches.every((batch) => batch.rows <= 2);
        },
        1_000,
        5,
      );
    } finally {
      off();
    }
  }, 60_000);

  it('serves the Open Inference Protocol: health, metadata, readiness, and inference from named inputs or one [n, features] tensor', async () => {
    const [v1] = trained.versionIds;
    await a.services.deployments.deployModel({ name: 'oip', modelVersionId: v1 }, 'test');
    expect((await v2(a.url, '/v2/health/live')).status).toBe(200);
    expect((await v2(a.url, '/v2/health/ready')).status).toBe(200);
    expect((await v2(bUrl, '/v2/models/oip/ready')).status).toBe(200);
    const metadata = (await (await v2(a.url, '/v2/models/oip')).json()) as {
      name: string;
      versions: string[];
      inputs: { name: string; datatype: string }[];
      outputs: { name: string }[];
    };
    expect(metadata).toMatchObject({ name: 'oip', versions: [v1] });
    expect(metadata.inputs.map((input) => input.name)).toEqual(features);
    expect(metadata.outputs.map((output) => output.name)).toEqual(['label', 'probabilities', 'prediction_id']);

    const rows = instances.slice(0, 3);
    const tensor = {
      id: 'req-tensor',
      inputs: [{ name: 'input-0', shape: [3, features.length], datatype: 'FP64', data: rows.map((row) => features.map((f) => row[f])) }],
    };
    const response = await infer(a.url, 'oip', tensor);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      model_name: string;
      model_version: string;
      id: string;
      outputs: { name: string; shape: number[]; data: (string | number)[] }[];
    };
    expect(answer).toMatchObject({ model_name: 'oip', model_version: v1, id: 'req-tensor' });
    const graphql = await predictOn(a.url, 'oip', rows);
    const probabilities = answer.outputs.find((o) => o.name === 'probabilities')!;
    expect(probabilities.shape).toEqual([3, 2]);
    expect(probabilities.data).toEqual(graphql.predictions.flatMap((p) => p.probabilities.map((c) => c.probability)));
    expect(answer.outputs.find((o) => o.name === 'label')!.data).toEqual(graphql.predictions.map((p) => p.label));
    const ids = answer.outputs.find((o) => o.name === 'prediction_id')!.data as string[];
    expect(await prisma.prediction.count({ where: { id: { in: ids }, requestKey: 'req-tensor' } })).toBe(3);

    const named = {
      inputs: features.map((name) => ({ name, shape: [3], datatype: 'FP64', data: rows.map((row) => row[name]) })),
      outputs: [{ name: 'label' }],
    };
    const namedAnswer = (await (await infer(bUrl, 'oip', named, { 'x-request-key': 'named-1' })).json()) as {
      outputs: { name: string; data: unknown[] }[];
      parameters: { request_key: string };
    };
    expect(namedAnswer.parameters.request_key).toBe('named-1');
    expect(namedAnswer.outputs).toEqual([{ name: 'label', shape: [3], datatype: 'BYTES', data: graphql.predictions.map((p) => p.label) }]);
  }, 60_000);

  it('routes a canary by X-Request-Key as GraphQL predict routes it by requestKey', async () => {
    const [v1, v2Id] = trained.versionIds;
    await a.services.deployments.deployModel({ name: 'oip-canary', modelVersionId: v1 }, 'test');
    await a.services.deployments.startCanary({ deployment: 'oip-canary', modelVersionId: v2Id, percent: 50 }, 'test');
    const tensor = { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: features.map((f) => instances[0][f]) }] };
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const key = `canary-key-${i}`;
      const answer = (await (await infer(a.url, 'oip-canary', tensor, { 'x-request-key': key })).json()) as {
        model_version: string;
        parameters: { canary: boolean };
      };
      const viaGraphQL = await predictOn(bUrl, 'oip-canary', instances.slice(0, 1), key);
      expect(answer.model_version).toBe(viaGraphQL.modelVersionId);
      expect(answer.parameters.canary).toBe(viaGraphQL.canary);
      seen.add(answer.model_version);
    }
    expect(seen).toEqual(new Set([v1, v2Id]));
  }, 60_000);

  it('refuses bad protocol requests with { error } and the right status, storing nothing', async () => {
    await a.services.deployments.deployModel({ name: 'oip-errors', modelVersionId: trained.versionIds[0] }, 'test');
    const before = await prisma.prediction.count();
    const cases: [string, unknown, number, string][] = [
      ['missing', { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: features.map(() => 1) }] }, 404, 'deployment'],
      ['oip-errors', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }] }, 400, 'inputs[0].shape'],
      ['oip-errors', { inputs: [{ name: 'x', shape: [2, features.length], datatype: 'FP64', data: features.map(() => 1) }] }, 400, 'inputs[0].data'],
      ['oip-errors', { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'BYTES', data: features.map(() => 'a') }] }, 400, 'inputs[0].datatype'],
      [
        'oip-errors',
        { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: [...features.slice(1).map(() => 1), 'NaN'] }] },
        400,
        `inputs.row[0].${features[features.length - 1]}`,
      ],
      ['oip-errors', { inputs: features.slice(1).map((name) => ({ name, shape: [1], datatype: 'FP64', data: [1] })) }, 400, 'inputs'],
      ['oip-errors', { nothing: true }, 400, 'inputs'],
      [
        'oip-errors',
        { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: features.map(() => 1) }], outputs: [{ name: 'logits' }] },
        400,
        'outputs[0].name',
      ],
    ];
    for (const [deployment, body, status, field] of cases) {
      const response = await infer(a.url, deployment, body);
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ error: expect.any(String), field });
    }
    const malformed = await v2(a.url, '/v2/models/oip-errors/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: expect.any(String) });
    expect((await v2(a.url, '/v2/models/missing')).status).toBe(404);
    expect((await v2(a.url, '/v2/models/missing/ready')).status).toBe(404);
    expect(await prisma.prediction.count()).toBe(before);
  }, 60_000);

  it('exposes Prometheus metrics for requests, batches, the log commit and queues', async () => {
    await a.services.deployments.deployModel({ name: 'metered', modelVersionId: trained.versionIds[0] }, 'test');
    await predictOn(a.url, 'metered');
    await infer(a.url, 'metered', { inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: features.map((f) => instances[0][f]) }] });
    await infer(a.url, 'metered', { inputs: [] });
    const response = await v2(a.url, '/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('mlplane_predict_requests_total{deployment="metered",route="graphql",outcome="ok"} 1');
    expect(text).toContain('mlplane_predict_requests_total{deployment="metered",route="v2",outcome="ok"} 1');
    expect(text).toContain('mlplane_predict_requests_total{deployment="metered",route="v2",outcome="client_error"} 1');
    expect(text).toMatch(/mlplane_predict_request_duration_seconds_count\{deployment="metered",route="v2"\} 1/);
    // The served versions (Dense layers, relu and sigmoid) run the compiled forward pass.
    const compiled = /^mlplane_served_model_versions\{engine="compiled"\} (\d+)$/m.exec(text);
    expect(Number(compiled?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toContain('mlplane_served_model_versions{engine="eager"} 0');
    for (const name of [
      'mlplane_inference_batch_rows_bucket',
      'mlplane_prediction_log_commit_seconds_bucket',
      'mlplane_serving_queue_rows{queue="log"}',
      '# TYPE mlplane_runs gauge',
      '# TYPE mlplane_open_alerts gauge',
    ]) {
      expect(text).toContain(name);
    }
  }, 60_000);
});
