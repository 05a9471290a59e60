/**
 * Issue 4 serving figures: `predict` through a real API process (HTTP, GraphQL, deployment lookup,
 * input checks, model, group-committed prediction log) against the bare model's `predict()` on the
 * same rows in the same run.
 * - latency p50/p99 of 1-row requests at concurrency 1 and 16;
 * - predictions per second for 1-row and 100-row requests at concurrency 16.
 * Every answered prediction is then counted in the database.
 * Run: npm run bench:serve
 */
import { performance } from 'node:perf_hooks';
import { startApiProcess } from '../src/app/api-process';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { logger } from '../src/infra/logger';
import type { JobQueue } from '../src/infra/queue/job-queue';
import { predict } from '../src/ml/predictor';
import { encodeInstances } from '../src/ml/serving/prediction-request';
import { tf } from '../src/ml/tf-backend';
import { createDomainServices } from '../src/services/services';
import { fixtureCsv } from '../test/support/fixtures';
import { RecordingPublisher } from '../test/support/run-fixtures';
import { trainVersions } from '../test/support/trained-version';
import { openBenchDatabase } from './support/bench-database';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id label } } }';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface LoadResult {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  ids: string[];
}

/** `concurrency` clients each sending `perClient` requests back to back, authenticated with `key`. */
async function load(url: string, key: string, instances: Record<string, number>[], concurrency: number, perClient: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const ids: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perClient; i++) {
        const t0 = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: PREDICT, variables: { input: { deployment: 'bench', instances } } }),
        });
        const body = (await response.json()) as { data?: { predict: { predictions: { id: string }[] } }; errors?: unknown };
        if (!body.data) throw new Error(`predict failed: ${JSON.stringify(body.errors)}`);
        latencies.push(performance.now() - t0);
        ids.push(...body.data.predict.predictions.map((p) => p.id));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), requestsPerSecond: latencies.length / seconds, ids };
}

/** The bare model on pre-parsed rows: encode + predict, `runs` times; per-call latencies sorted. */
function bareLatencies(run: () => unknown, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 2);
  logger.level = 'warn';
  // The request rate limit is off: this measures what the server can serve, not what one client may ask for.
  const api = await startApiProcess(loadConfig({ ...process.env, PORT: '0', MLPLANE_RATE_LIMIT_PER_MINUTE: '0' }), db.url, logger);
  try {
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, { name: 'bench', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 5 });
    await services.deployments.deployModel({ name: 'bench', modelVersionId: trained.versionIds[0] }, 'bench');
    // A serving client's key: PREDICTOR on this deployment, as production clients would use.
    const key = (await services.apiKeys.createKey({ name: 'bench-client', role: 'PREDICTOR', deployments: ['bench'] })).token;
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], Number(cell)]).filter(([name]) => name !== 'benign')));
    const one = rows.slice(0, 1);
    const hundred = rows.slice(0, 100);

    const loaded = await services.modelVersions.loadModel(trained.versionIds[0]);
    const bare = (instances: Record<string, number>[]) => predict(tf(), loaded.model, loaded.preprocessing, encodeInstances(loaded.preprocessing, instances));
    bareLatencies(() => bare(one), 200);
    const bare1 = bareLatencies(() => bare(one), 2_000);
    const bare100 = bareLatencies(() => bare(hundred), 500);
    const bare1PerSecond = 1000 / (bare1.reduce((a, b) => a + b, 0) / bare1.length);
    const bare100PerSecond = (100 * 1000) / (bare100.reduce((a, b) => a + b, 0) / bare100.length);
    loaded.model.dispose();

    await load(api.url, key, one, 4, 50);
    const c1 = await load(api.url, key, one, 1, 500);
    const c16 = await load(api.url, key, one, 16, 100);
    const c16x100 = await load(api.url, key, hundred, 16, 20);
    const answered = [...c1.ids, ...c16.ids, ...c16x100.ids];
    let stored = 0;
    for (let start = 0; start < answered.length; start += 10_000) {
      stored += await prisma.prediction.count({ where: { id: { in: answered.slice(start, start + 10_000) } } });
    }

    const ms = (value: number) => `${value.toFixed(2)} ms`;
    const b1p50 = percentile(bare1, 50);
    const b1p99 = percentile(bare1, 99);
    process.stdout.write(
      [
        `serving benchmark (${db.where}, backend ${tf().getBackend()}): breast_cancer MLP 30-8-1, predict over HTTP/GraphQL with the prediction log`,
        `  bare model encode+predict, 1 row:         p50 ${ms(b1p50)}  p99 ${ms(b1p99)}  (${Math.round(bare1PerSecond)} predictions/s)`,
        `  bare model encode+predict, 100 rows:      p50 ${ms(percentile(bare100, 50))}  (${Math.round(bare100PerSecond)} predictions/s)`,
        `  predict 1 row, concurrency 1:             p50 ${ms(c1.p50)}  p99 ${ms(c1.p99)}  ratio to bare p50 ${(c1.p50 / b1p50).toFixed(1)}, p99 ${(c1.p99 / b1p99).toFixed(1)}`,
        `  predict 1 row, concurrency 16:            p50 ${ms(c16.p50)}  p99 ${ms(c16.p99)}  ratio to bare p50 ${(c16.p50 / b1p50).toFixed(1)}, p99 ${(c16.p99 / b1p99).toFixed(1)}`,
        `  predictions/s, 1-row requests, conc. 16:   ${Math.round(c16.requestsPerSecond)}  ratio to bare ${(c16.requestsPerSecond / bare1PerSecond).toFixed(3)}`,
        `  predictions/s, 100-row requests, conc. 16: ${Math.round(c16x100.requestsPerSecond * 100)}  ratio to bare ${((c16x100.requestsPerSecond * 100) / bare100PerSecond).toFixed(3)}`,
        `  answered predictions found in the database: ${stored} of ${answered.length}`,
        '',
      ].join('\n'),
    );
    if (stored !== answered.length) process.exitCode = 1;
  } finally {
    await api.close();
    await prisma.$disconnect();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
