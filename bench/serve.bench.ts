/**
 * Issue 11 serving figures, side by side in one run, the load generator (`wrk`, 16 connections,
 * 10 s) in its own process:
 * - mlplane `serve --processes N` (default: the number of cores) through GraphQL `predict` and
 *   through the Open Inference Protocol (`/v2/models/bench/infer`, one FP64 [n, 30] tensor), with
 *   the durable prediction log;
 * - the same 30-10-1 model shape served by Keras behind FastAPI/uvicorn (bench/baselines/,
 *   one process, no log), from a virtualenv under bench/.venv that the bench creates from the
 *   machine's pip index when missing;
 * - the bare tfjs model (encode + predict in this process, no HTTP).
 * For 1-row and 100-row requests: requests/s, predictions/s, p50 and p99, and each mlplane figure's
 * ratio to Keras/FastAPI. Every answered prediction is then looked for in the database.
 * Options (environment): MLPLANE_BENCH_RUNS (default 1; medians and spreads over runs),
 * MLPLANE_BENCH_SECONDS (10), MLPLANE_BENCH_PROCESSES (cores).
 * Run: npm run bench:serve
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { projectRoot } from '../src/config/paths';
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

const CONNECTIONS = 16;
const SECONDS = Number(process.env.MLPLANE_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.MLPLANE_BENCH_RUNS ?? 1);
const PROCESSES = Number(process.env.MLPLANE_BENCH_PROCESSES ?? os.availableParallelism());
const VENV = path.join(projectRoot, 'bench', '.venv');
const PYTHON_PACKAGES = ['tensorflow-cpu==2.21.0', 'keras', 'fastapi', 'uvicorn', 'numpy'];

interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
}

interface Target {
  name: string;
  url: string;
  body: string;
  rows: number;
  /** Whether its answers are logged by mlplane (counted in the database afterwards). */
  logged: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function toMs(value: string, unit: string): number {
  const x = Number(value);
  return unit === 'us' ? x / 1000 : unit === 's' ? x * 1000 : x;
}

/** One wrk run against `target` in its own process. */
function wrk(target: Target, seconds: number, dir: string): LoadFigures {
  const bodyFile = path.join(dir, `${target.name.replace(/\W+/g, '-')}.json`);
  const script = path.join(dir, `${target.name.replace(/\W+/g, '-')}.lua`);
  writeFileSync(bodyFile, target.body);
  writeFileSync(
    script,
    [`wrk.method = "POST"`, `wrk.headers["Content-Type"] = "application/json"`, `local f = io.open(${JSON.stringify(bodyFile)}, "r")`, `wrk.body = f:read("*a")`, `f:close()`].join('\n'),
  );
  const run = spawnSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, target.url], { encoding: 'utf8' });
  if (run.error) throw new Error(`wrk is needed as the load generator (apt-get install -y wrk): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const out = run.stdout;
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    return match ? toMs(match[1], match[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50Ms: percentile('50'), p99Ms: percentile('99'), requests, failed };
}

/** The virtualenv's python with the Keras/FastAPI packages, or null (and why) when it cannot be made. */
function kerasPython(): { python: string | null; note: string } {
  const python = path.join(VENV, 'bin', 'python');
  const check = () => spawnSync(python, ['-c', 'import keras, fastapi, uvicorn, numpy'], { encoding: 'utf8' }).status === 0;
  if (existsSync(python) && check()) return { python, note: `existing virtualenv ${VENV}` };
  process.stdout.write(`installing ${PYTHON_PACKAGES.join(' ')} into ${VENV} from the local pip index...\n`);
  const created = existsSync(python) ? { status: 0, stderr: '' } : spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (created.status !== 0) return { python: null, note: `cannot create a virtualenv: ${created.stderr}` };
  const installed = spawnSync(path.join(VENV, 'bin', 'pip'), ['install', '-q', '--retries', '0', ...PYTHON_PACKAGES], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (installed.status !== 0 || !check()) return { python: null, note: `pip could not install the Keras/FastAPI baseline: ${String(installed.stderr).slice(-500)}` };
  return { python, note: `virtualenv created at ${VENV}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summary(values: number[], digits = 0): string {
  const m = median(values).toFixed(digits);
  return values.length > 1 ? `${m} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})` : m;
}

function bareRate(run: () => unknown, rows: number, seconds = 2): number {
  for (let i = 0; i < 50; i++) run();
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    run();
    calls++;
  }
  return (calls * rows * 1000) / (performance.now() - started);
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 2);
  logger.level = 'warn';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-serve-bench-'));
  const children: ChildProcess[] = [];
  try {
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, { name: 'bench', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 5, hiddenUnits: 10 });
    const { deployment } = await services.deployments.deployModel({ name: 'bench', modelVersionId: trained.versionIds[0] }, 'bench');
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const features = names.filter((name) => name !== 'benign');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], Number(cell)]).filter(([name]) => name !== 'benign')));
    const one = rows.slice(0, 1);
    const hundred = rows.slice(0, 100);

    const loaded = await services.modelVersions.loadModel(trained.versionIds[0]);
    const bare = (instances: Record<string, number>[]) => predict(tf(), loaded.model, loaded.preprocessing, encodeInstances(loaded.preprocessing, instances));
    const bare1 = bareRate(() => bare(one), 1);
    const bare100 = bareRate(() => bare(hundred), 100);
    loaded.model.dispose();

    const port = await freePort();
    const mlplane = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'main.js'), 'serve', '--processes', String(PROCESSES)], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(mlplane);
    const { python, note } = kerasPython();
    let kerasPort: number | null = null;
    if (python) {
      kerasPort = await freePort();
      const keras = spawn(python, [path.join(projectRoot, 'bench', 'baselines', 'keras_fastapi.py'), path.join(projectRoot, 'test', 'fixtures', 'breast_cancer.csv'), 'benign', String(kerasPort)], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, CUDA_VISIBLE_DEVICES: '' },
      });
      children.push(keras);
      await waitForHttp(`http://127.0.0.1:${kerasPort}/docs`, keras, 'Keras/FastAPI');
    }
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, mlplane, 'mlplane serve');

    const graphql = (instances: Record<string, number>[]) =>
      JSON.stringify({ query: 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id label probabilities { label probability } } } }', variables: { input: { deployment: 'bench', instances } } });
    const tensor = (instances: Record<string, number>[]) =>
      JSON.stringify({ inputs: [{ name: 'input-0', shape: [instances.length, features.length], datatype: 'FP64', data: instances.map((row) => features.map((f) => row[f])) }] });
    const targets: Target[] = [];
    for (const [size, instances] of [[1, one], [100, hundred]] as const) {
      targets.push({ name: `mlplane GraphQL predict, ${size} row(s)`, url: `http://127.0.0.1:${port}/graphql`, body: graphql(instances), rows: size, logged: true });
      targets.push({ name: `mlplane /v2 infer, ${size} row(s)`, url: `http://127.0.0.1:${port}/v2/models/bench/infer`, body: tensor(instances), rows: size, logged: true });
      if (kerasPort !== null) targets.push({ name: `Keras+FastAPI, ${size} row(s)`, url: `http://127.0.0.1:${kerasPort}/predict`, body: JSON.stringify({ instances }), rows: size, logged: false });
    }
    const figures = new Map<string, LoadFigures[]>(targets.map((t) => [t.name, []]));
    for (const target of targets) wrk(target, 2, dir);
    for (let run = 0; run < RUNS; run++) {
      for (const target of targets) figures.get(target.name)!.push(wrk(target, SECONDS, dir));
    }

    const answered = targets.filter((t) => t.logged).reduce((sum, t) => sum + figures.get(t.name)!.reduce((s, f) => s + (f.requests - f.failed) * t.rows, 0), 0);
    const warmup = targets.filter((t) => t.logged).length;
    const stored = await prisma.prediction.count({ where: { deploymentId: deployment.id } });
    const failed = targets.reduce((sum, t) => sum + figures.get(t.name)!.reduce((s, f) => s + f.failed, 0), 0);

    const out: string[] = [
      `serving benchmark (${db.where}, mlplane serve --processes ${PROCESSES}, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s x ${RUNS} run(s), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}):`,
      `  Keras/FastAPI baseline: ${python ? note : `NOT RUN: ${note}`}`,
      `  bare tfjs model (encode + predict, no HTTP): 1 row ${Math.round(bare1)} predictions/s, 100 rows ${Math.round(bare100)} predictions/s`,
    ];
    for (const size of [1, 100]) {
      const keras = figures.get(`Keras+FastAPI, ${size} row(s)`);
      const kerasRate = keras ? median(keras.map((f) => f.requestsPerSecond)) : NaN;
      const kerasP99 = keras ? median(keras.map((f) => f.p99Ms)) : NaN;
      for (const target of targets.filter((t) => t.rows === size)) {
        const f = figures.get(target.name)!;
        const rate = f.map((x) => x.requestsPerSecond);
        const ratio = target.logged && keras ? `  ratio to Keras/FastAPI ${(median(rate) / kerasRate).toFixed(2)} (p99 ${(median(f.map((x) => x.p99Ms)) / kerasP99).toFixed(2)})` : '';
        const bareRatio = `  ratio to bare ${((median(rate) * size) / (size === 1 ? bare1 : bare100)).toFixed(3)}`;
        out.push(
          `  ${target.name.padEnd(36)} ${summary(rate)} req/s = ${summary(rate.map((r) => r * size))} predictions/s, p50 ${summary(f.map((x) => x.p50Ms), 1)} ms, p99 ${summary(f.map((x) => x.p99Ms), 1)} ms${ratio}${bareRatio}`,
        );
      }
    }
    out.push(`  non-2xx answers: ${failed}`);
    out.push(`  answered predictions found in the database: ${stored >= answered ? 'all' : 'NOT all'} (${stored} stored incl. warm-up and in-flight at the end, ${answered} answered in the measured runs; ${warmup} warm-up targets)`);
    process.stdout.write(`${out.join('\n')}\n`);
    if (stored < answered || failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
    await prisma.$disconnect();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
