/**
 * `npm run demo`: the seed's story against a running mlplane, through its public GraphQL API only.
 * Loads examples/data/breast_cancer.csv, trains the seed model (Dense(10, relu) -> Dense(1, sigmoid),
 * adam, binary cross-entropy, 10 epochs, batch 32), promotes and deploys it, sends normal then
 * drifted traffic, and leaves an open DATA_DRIFT alert, printing each step with its dashboard link.
 *
 * MLPLANE_URL (default http://127.0.0.1:4000) chooses the server; the key is MLPLANE_API_KEY, else the
 * ADMIN key a first start wrote to `<MLPLANE_DATA_DIR or .mlplane>/admin-key` (the demo says which).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { projectRoot } from '../config/paths';
import { demoApiKey } from './api-key';
import { graphqlHttp, type GraphQLRequest } from './graphql-http';

const DATASET = 'breast_cancer';
const MODEL = 'seed';
const DEPLOYMENT = 'breast-cancer';
const LABEL = 'benign';
const WINDOW = 200;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function readRows(file: string): { csv: string; header: string[]; rows: number[][] } {
  const csv = readFileSync(file, 'utf8');
  const [headerLine, ...lines] = csv.trim().split(/\r?\n/);
  return { csv, header: headerLine.split(','), rows: lines.map((line) => line.split(',').map(Number)) };
}

/** A seeded generator, so the demo's traffic is the same every time. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function ensureDataset(gql: GraphQLRequest, csv: string): Promise<{ datasetId: string; versionId: string }> {
  const found = await gql<{ dataset: { id: string } | null }>('query($name: String!) { dataset(name: $name) { id } }', { name: DATASET });
  if (found.dataset) {
    const added = await gql<{ createDatasetVersion: { created: boolean; version: { id: string; version: number } } }>(
      'mutation($input: CreateDatasetVersionInput!) { createDatasetVersion(input: $input) { created version { id version } } }',
      { input: { datasetId: found.dataset.id, csv } },
    );
    return { datasetId: found.dataset.id, versionId: added.createDatasetVersion.version.id };
  }
  const created = await gql<{ createDataset: { dataset: { id: string }; version: { id: string } } }>(
    'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { dataset { id } version { id } } }',
    { input: { name: DATASET, description: 'Wisconsin Diagnostic Breast Cancer (examples/data)', csv, labelColumn: LABEL } },
  );
  return { datasetId: created.createDataset.dataset.id, versionId: created.createDataset.version.id };
}

async function ensureModel(gql: GraphQLRequest, datasetId: string): Promise<string> {
  const found = await gql<{ model: { id: string } | null }>('query($name: String!) { model(name: $name) { id } }', { name: MODEL });
  if (found.model) return found.model.id;
  const created = await gql<{ createModel: { id: string } }>('mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
    input: { name: MODEL, datasetId, layers: [{ units: 10, activation: 'RELU' }] },
  });
  return created.createModel.id;
}

async function train(gql: GraphQLRequest, wsUrl: string, apiKey: string | undefined, modelId: string, versionId: string, link: (p: string) => string) {
  const run = await gql<{ startTrainingRun: { id: string } }>(`mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }`, {
    input: { modelId, datasetVersionId: versionId, hyperparameters: { epochs: 10, batchSize: 32, optimizer: 'ADAM', learningRate: 0.001, seed: 42 } },
  });
  const runId = run.startTrainingRun.id;
  say(`2. training run ${runId} queued: ${link(`/runs/${runId}`)}`);
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  try {
    const status = await new Promise<string>((resolve, reject) => {
      let last = 'QUEUED';
      client.subscribe<{
        runProgress: {
          type: string;
          status: string;
          epoch: { epoch: number; train: { loss: number; accuracy: number }; validation: { loss: number; accuracy: number } | null } | null;
        };
      }>(
        {
          query: 'subscription($id: ID!) { runProgress(runId: $id) { type status epoch { epoch train { loss accuracy } validation { loss accuracy } } } }',
          variables: { id: runId },
        },
        {
          next: ({ data }) => {
            const p = data?.runProgress;
            if (!p) return;
            last = p.status;
            if (p.epoch) {
              const e = p.epoch;
              say(
                `   epoch ${String(e.epoch).padStart(2)}  loss ${e.train.loss.toFixed(4)}  val_loss ${e.validation?.loss.toFixed(4) ?? '-'}  val_accuracy ${e.validation?.accuracy.toFixed(3) ?? '-'}`,
              );
            }
          },
          error: (error) => reject(new Error(`runProgress failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`)),
          complete: () => resolve(last),
        },
      );
    });
    if (status !== 'SUCCEEDED') {
      const detail = await gql<{ run: { error: string | null } }>('query($id: ID!) { run(id: $id) { error } }', { id: runId });
      throw new Error(`run ${runId} ended ${status}: ${detail.run.error ?? 'no error recorded'}`);
    }
  } finally {
    await client.dispose();
  }
  const done = await gql<{
    run: { backend: string; modelVersion: { id: string; version: number; evaluations: { edges: { node: { accuracy: number; rocAuc: number } }[] } } };
  }>('query($id: ID!) { run(id: $id) { backend modelVersion { id version evaluations(first: 1) { edges { node { accuracy rocAuc } } } } } }', { id: runId });
  return done.run;
}

async function sendTraffic(
  gql: GraphQLRequest,
  header: string[],
  rows: number[][],
  shift: ((feature: string, value: number) => number) | null,
  count: number,
  seed: number,
): Promise<number> {
  const random = mulberry32(seed);
  const features = header.filter((h) => h !== LABEL);
  let sent = 0;
  while (sent < count) {
    const batch = Math.min(50, count - sent);
    const instances = Array.from({ length: batch }, () => {
      const row = rows[Math.floor(random() * rows.length)];
      const values = features.map((feature) => {
        const value = row[header.indexOf(feature)];
        return { feature, number: shift ? shift(feature, value) : value };
      });
      return { values };
    });
    await gql('mutation($input: PredictInput!) { predict(input: $input) { requestKey } }', { input: { deployment: DEPLOYMENT, features: instances } });
    sent += batch;
  }
  return sent;
}

async function main(): Promise<void> {
  const base = (process.env.MLPLANE_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const { key: apiKey, source: keySource } = demoApiKey(process.env);
  const url = `${base}/graphql`;
  const wsUrl = url.replace(/^http/, 'ws');
  const link = (p: string) => `${base}/#${p}`;
  const gql = graphqlHttp({ url, apiKey, keySource });
  say(apiKey ? `API key from ${keySource}` : `API key: ${keySource}`);

  const health = await gql<{ health: { status: string; version: string; backend: string } }>('{ health { status version backend } }');
  say(`mlplane ${health.health.version} at ${base} (${health.health.status}, backend ${health.health.backend}); dashboard: ${base}/`);

  const file = path.join(projectRoot, 'examples', 'data', 'breast_cancer.csv');
  const { csv, header, rows } = readRows(file);
  const { datasetId, versionId } = await ensureDataset(gql, csv);
  say(`1. dataset ${DATASET}: ${rows.length} rows x ${header.length - 1} features from examples/data/breast_cancer.csv: ${link(`/datasets/${datasetId}`)}`);

  const modelId = await ensureModel(gql, datasetId);
  const run = await train(gql, wsUrl, apiKey, modelId, versionId, link);
  const version = run.modelVersion;
  const test = version.evaluations.edges[0].node;
  say(
    `3. model ${MODEL} v${version.version} registered (backend ${run.backend}; test accuracy ${test.accuracy.toFixed(3)}, ROC AUC ${test.rocAuc.toFixed(3)}): ${link(`/versions/${version.id}`)}`,
  );

  await gql('mutation($input: SetModelVersionAliasInput!) { setModelVersionAlias(input: $input) { alias } }', {
    input: { modelVersionId: version.id, alias: 'production' },
  });
  const existing = await gql<{ deployment: { id: string; modelVersionId: string } | null }>(
    'query($name: String!) { deployment(name: $name) { id modelVersionId } }',
    { name: DEPLOYMENT },
  );
  if (!existing.deployment) {
    await gql('mutation($input: DeployModelInput!) { deployModel(input: $input) { event { kind } } }', {
      input: { name: DEPLOYMENT, model: MODEL, alias: 'production', monitoring: { drift: { windowSize: WINDOW, periodSeconds: 5 } } },
    });
  } else if (existing.deployment.modelVersionId !== version.id) {
    // A deployment made by alias followed the alias move already; one pinned to a version follows it from now on.
    await gql('mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { event { kind } } }', {
      input: { deployment: DEPLOYMENT, alias: 'production', reason: 'npm run demo retrained' },
    });
  }
  say(`4. v${version.version} is production, deployed as ${DEPLOYMENT}: ${link(`/deployments/${DEPLOYMENT}`)}`);

  const reportsBefore = await reportCount(gql);
  const normal = await sendTraffic(gql, header, rows, null, WINDOW, 1);
  const clean = await waitFor('a drift report of the normal traffic', async () => (await latestReport(gql, reportsBefore)) ?? undefined, 60_000);
  say(
    `5. sent ${normal} predictions of normal traffic; drift report: ${clean.drifted ? 'drifted' : 'no drift'} (${Math.round(clean.driftShare * 100)}% of features)`,
  );

  // Drifted traffic: tumours read as larger and more irregular than in training.
  const drifted = await sendTraffic(
    gql,
    header,
    rows,
    (feature, value) => (feature.startsWith('mean_') || feature.startsWith('worst_') ? value * 1.6 : value),
    WINDOW,
    2,
  );
  const report = await waitFor('a drift report of the drifted traffic', async () => (await latestReport(gql, reportsBefore + 1)) ?? undefined, 60_000);
  say(
    `6. sent ${drifted} predictions of drifted traffic; drift report: ${report.drifted ? 'DRIFTED' : 'no drift'} (${Math.round(report.driftShare * 100)}% of features): ${link(`/deployments/${DEPLOYMENT}`)}`,
  );

  const alert = await waitFor(
    'an open DATA_DRIFT alert',
    async () => {
      const open = await gql<{ alerts: { edges: { node: { id: string; title: string; status: string } }[] } }>(
        'query($filter: AlertFilter) { alerts(first: 1, filter: $filter) { edges { node { id title status } } } }',
        { filter: { deployment: DEPLOYMENT, kind: 'DATA_DRIFT', status: 'OPEN' } },
      );
      return open.alerts.edges[0]?.node;
    },
    30_000,
  );
  say(`7. alert open: "${alert.title}"; acknowledge or resolve it on ${link('/alerts')}`);
}

async function reportCount(gql: GraphQLRequest): Promise<number> {
  const r = await gql<{ driftReports: { totalCount: number } }>('query($d: String!) { driftReports(deployment: $d, first: 1) { totalCount } }', {
    d: DEPLOYMENT,
  });
  return r.driftReports.totalCount;
}

async function latestReport(gql: GraphQLRequest, moreThan: number): Promise<{ drifted: boolean; driftShare: number } | null> {
  const r = await gql<{ driftReports: { totalCount: number; edges: { node: { drifted: boolean; driftShare: number } }[] } }>(
    'query($d: String!) { driftReports(deployment: $d, first: 1) { totalCount edges { node { drifted driftShare } } } }',
    { d: DEPLOYMENT },
  );
  return r.driftReports.totalCount > moreThan ? r.driftReports.edges[0].node : null;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
