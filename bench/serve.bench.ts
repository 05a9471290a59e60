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
 * MLPLANE_BENCH_SECONDS (10), MLPLANE_BENCH_PROCESSES (cores), MLPLANE_BENCH_TARGETS (parts of names to run,
 * '|'-separated), MLPLANE_BENCH_NODE_ARGS (node arguments of the server, e.g. `--cpu-prof`).
 * Run: npm run bench:serve
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { projectRoot } from '../src/config/paths';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { logger } from '../src/infra/logger';
import { predict } from '../src/ml/predictor';
import { encodeInstances } from '../src/ml/serving/prediction-request';
import { tf } from '../src/ml/tf-backend';
import { createDomainServices } from '../src/services/services';
import { fixtureCsv } from '../test/support/fixtures';
import { RecordingPublisher } from '../test/support/run-fixtures';
import { trainVersions } from '../test/support/trained-version';
import { openBenchDatabase } from './support/bench-database';
import { NO_RUN_QUEUE } from './support/bench-services';

const CONNECTIONS = 16;
const SECONDS = Number(process.env.MLPLANE_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.MLPLANE_BENCH_RUNS ?? 1);
const PROCESSES = Number(process.env.MLPLANE_BENCH_PROCESSES ?? os.availableParallelism());
/** Only the targets whose name contains one of these ('|'-separated), e.g. `v2 infer, 1 row|Keras+FastAPI, 1 row`; all by default. */
const ONLY = (process.env.MLPLANE_BENCH_TARGETS ?? '').split('|').filter(Boolean);
/** Extra node arguments of the mlplane server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const NODE_ARGS = (process.env.MLPLANE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const VENV = path.join(projectRoot, 'bench', '.venv');
const PYTHON_PACKAGES = ['tensorflow-cpu==2.21.0', 'keras', 'fastapi', 'uvicorn', 'numpy'];

interface LoadFigures {
  /** CPU seconds the server's processes used during the run, per 1,000 requests (and the database's, when it is the embedded one). */
  cpuMsPerRequest?: number;
  dbCpuMsPerRequest?: number;
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
  /** `Authorization` header value, if the server wants one. */
  authorization?: string;
  /** The server's process (its CPU is measured with its descendants'). */
  serverPid?: number;
  rows: number;
  /** Whether its answers are logged by mlplane (counted in the database afterwards). */
  logged: boolean;
}

interface ProcessTicks {
  pid: number;
  ppid: number;
  name: string;
  ticks: number;
}

/** user + system CPU ticks of every process (/proc), to charge each server the CPU it used. */
function processTicks(): ProcessTicks[] {
  const rows: ProcessTicks[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      rows.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process ended while being read.
    }
  }
  return rows;
}

/** CPU seconds used so far by `root` and its descendants whose name passes `keep`. */
function treeCpuSeconds(rows: ProcessTicks[], root: number, keep: (name: string) => boolean = () => true): number {
  const children = new Map<number, ProcessTicks[]>();
  for (const row of rows) children.set(row.ppid, [...(children.get(row.ppid) ?? []), row]);
  let ticks = 0;
  const visit = (row: ProcessTicks) => {
    if (keep(row.name)) ticks += row.ticks;
    for (const child of children.get(row.pid) ?? []) visit(child);
  };
  const self = rows.find((row) => row.pid === root);
  if (self) visit(self);
  return ticks / 100;
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
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function toMs(value: string, unit: string): number {
  const x = Number(value);
  return unit === 'us' ? x / 1000 : unit === 's' ? x * 1000 : x;
}

/** One wrk run against `target` in its own process, with the CPU its server (and the embedded database) used. */
function wrk(target: Target, seconds: number, dir: string): LoadFigures {
  const before = processTicks();
  const figures = wrkRun(target, seconds, dir);
  const after = processTicks();
  const { serverPid } = target;
  if (serverPid !== undefined && figures.requests > 0) {
    const used = (rows: ProcessTicks[]) => treeCpuSeconds(rows, serverPid);
    figures.cpuMsPerRequest = (1000 * (used(after) - used(before))) / figures.requests;
    const database = (rows: ProcessTicks[]) => treeCpuSeconds(rows, process.pid, (name) => name.startsWith('postgres'));
    if (!process.env.DATABASE_URL) figures.dbCpuMsPerRequest = (1000 * (database(after) - database(before))) / figures.requests;
  }
  return figures;
}

function wrkRun(target: Target, seconds: number, dir: string): LoadFigures {
  const bodyFile = path.join(dir, `${target.name.replace(/\W+/g, '-')}.json`);
  const script = path.join(dir, `${target.name.replace(/\W+/g, '-')}.lua`);
  writeFileSync(bodyFile, target.body);
  writeFileSync(
    script,
    [
      `wrk.method = "POST"`,
      `wrk.headers["Content-Type"] = "application/json"`,
      ...(target.authorization ? [`wrk.headers["Authorization"] = ${JSON.stringify(target.authorization)}`] : []),
      `local f = io.open(${JSON.stringify(bodyFile)}, "r")`,
      `wrk.body = f:read("*a")`,
      `f:close()`,
    ].join('\n'),
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
  const installed = spawnSync(path.join(VENV, 'bin', 'pip'), ['install', '-q', '--retries', '0', ...PYTHON_PACKAGES], {
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (installed.status !== 0 || !check())
    // Without output (null) when pip could not be started at all.
    return {
      python: null,
      note: `pip could not install the Keras/FastAPI baseline: ${installed.error ? installed.error.message : installed.stderr.slice(-500)}`,
    };
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

/** Means of the server's own serving histograms over the whole run (group commits, model calls), from `/metrics`. */
async function servingInternals(url: string, key: string): Promise<string> {
  const text = await (await fetch(url, { headers: { authorization: `Bearer ${key}` } })).text();
  const total = (name: string, labels = '') => {
    const match = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} ([\\d.e+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  };
  const commits = total('mlplane_prediction_log_commit_seconds_count', 'result="ok"');
  const commitMs = (1000 * total('mlplane_prediction_log_commit_seconds_sum', 'result="ok"')) / commits;
  const commitRows = total('mlplane_prediction_log_commit_rows_sum') / commits;
  const calls = total('mlplane_inference_batch_rows_count');
  return `server internals over the run: ${commits} log commits, mean ${commitMs.toFixed(1)} ms, ${commitRows.toFixed(1)} rows each; ${calls} model calls, mean ${(total('mlplane_inference_batch_requests_sum') / calls).toFixed(2)} requests and ${(total('mlplane_inference_batch_rows_sum') / calls).toFixed(1)} rows each, ${((1000 * total('mlplane_inference_seconds_sum')) / calls).toFixed(2)} ms each`;
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 2);
  logger.level = 'warn';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-serve-bench-'));
  const children: ChildProcess[] = [];
  try {
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: NO_RUN_QUEUE, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, {
      name: 'bench',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 5,
      hiddenUnits: 10,
    });
    const { deployment } = await services.deployments.deployModel({ name: 'bench', modelVersionId: trained.versionIds[0] }, 'bench');
    // Serving as a client would: a PREDICTOR key for the deployment (keys exist, so serve makes no ADMIN key).
    const { token } = await services.apiKeys.createKey({ name: 'bench', role: 'PREDICTOR', deployments: ['bench'] });
    const { token: viewer } = await services.apiKeys.createKey({ name: 'bench-metrics', role: 'VIEWER' });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const features = names.filter((name) => name !== 'benign');
    const rows = lines.map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)] as const)
          .filter(([name]) => name !== 'benign'),
      ),
    );
    const one = rows.slice(0, 1);
    const hundred = rows.slice(0, 100);

    const loaded = await services.modelVersions.loadModel(trained.versionIds[0]);
    const bare = (instances: Record<string, number>[]) => predict(tf(), loaded.model, loaded.preprocessing, encodeInstances(loaded.preprocessing, instances));
    const bare1 = bareRate(() => bare(one), 1);
    const bare100 = bareRate(() => bare(hundred), 100);
    loaded.model.dispose();

    const port = await freePort();
    const mlplane = spawn(process.execPath, [...NODE_ARGS, path.join(projectRoot, 'dist', 'src', 'main.js'), 'serve', '--processes', String(PROCESSES)], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(mlplane);
    const { python, note } = kerasPython();
    let kerasPort: number | null = null;
    let kerasPid: number | undefined;
    if (python) {
      kerasPort = await freePort();
      const keras = spawn(
        python,
        [
          path.join(projectRoot, 'bench', 'baselines', 'keras_fastapi.py'),
          path.join(projectRoot, 'test', 'fixtures', 'breast_cancer.csv'),
          'benign',
          String(kerasPort),
        ],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, CUDA_VISIBLE_DEVICES: '' },
        },
      );
      children.push(keras);
      kerasPid = keras.pid;
      await waitForHttp(`http://127.0.0.1:${kerasPort}/docs`, keras, 'Keras/FastAPI');
    }
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, mlplane, 'mlplane serve');

    const graphql = (instances: Record<string, number>[]) =>
      JSON.stringify({
        query: 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id label probabilities { label probability } } } }',
        variables: { input: { deployment: 'bench', instances } },
      });
    const tensor = (instances: Record<string, number>[]) =>
      JSON.stringify({
        inputs: [{ name: 'input-0', shape: [instances.length, features.length], datatype: 'FP64', data: instances.map((row) => features.map((f) => row[f])) }],
      });
    const targets: Target[] = [];
    for (const [size, instances] of [
      [1, one],
      [100, hundred],
    ] as const) {
      const authorization = `Bearer ${token}`;
      targets.push({
        name: `mlplane GraphQL predict, ${size} row(s)`,
        url: `http://127.0.0.1:${port}/graphql`,
        body: graphql(instances),
        authorization,
        serverPid: mlplane.pid,
        rows: size,
        logged: true,
      });
      targets.push({
        name: `mlplane /v2 infer, ${size} row(s)`,
        url: `http://127.0.0.1:${port}/v2/models/bench/infer`,
        body: tensor(instances),
        authorization,
        serverPid: mlplane.pid,
        rows: size,
        logged: true,
      });
      if (kerasPort !== null)
        targets.push({
          name: `Keras+FastAPI, ${size} row(s)`,
          url: `http://127.0.0.1:${kerasPort}/predict`,
          body: JSON.stringify({ instances }),
          serverPid: kerasPid,
          rows: size,
          logged: false,
        });
    }
    if (ONLY.length > 0) targets.splice(0, targets.length, ...targets.filter((t) => ONLY.some((part) => t.name.includes(part))));
    const measured = targets.map((target) => ({ target, runs: [] as LoadFigures[] }));
    for (const target of targets) wrk(target, 2, dir);
    for (let run = 0; run < RUNS; run++) {
      for (const { target, runs } of measured) runs.push(wrk(target, SECONDS, dir));
    }

    const answered = measured
      .filter(({ target }) => target.logged)
      .reduce((sum, { target, runs }) => sum + runs.reduce((s, f) => s + (f.requests - f.failed) * target.rows, 0), 0);
    const warmup = targets.filter((t) => t.logged).length;
    const stored = await prisma.prediction.count({ where: { deploymentId: deployment.id } });
    const failed = measured.reduce((sum, { runs }) => sum + runs.reduce((s, f) => s + f.failed, 0), 0);

    const out: string[] = [
      `serving benchmark (${db.where}, mlplane serve --processes ${PROCESSES}, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s x ${RUNS} run(s), load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}):`,
      `  Keras/FastAPI baseline: ${python ? note : `NOT RUN: ${note}`}`,
      `  bare tfjs model (encode + predict, no HTTP): 1 row ${Math.round(bare1)} predictions/s, 100 rows ${Math.round(bare100)} predictions/s`,
    ];
    for (const size of [1, 100]) {
      const keras = measured.find(({ target }) => target.name === `Keras+FastAPI, ${size} row(s)`)?.runs;
      const kerasRate = keras ? median(keras.map((f) => f.requestsPerSecond)) : NaN;
      const kerasP99 = keras ? median(keras.map((f) => f.p99Ms)) : NaN;
      for (const { target, runs: f } of measured.filter(({ target }) => target.rows === size)) {
        const rate = f.map((x) => x.requestsPerSecond);
        const ratio =
          target.logged && keras
            ? `  ratio to Keras/FastAPI ${(median(rate) / kerasRate).toFixed(2)} (p99 ${(median(f.map((x) => x.p99Ms)) / kerasP99).toFixed(2)})`
            : '';
        const bareRatio = `  ratio to bare ${((median(rate) * size) / (size === 1 ? bare1 : bare100)).toFixed(3)}`;
        const cpuMs = f.flatMap((x) => (x.cpuMsPerRequest === undefined ? [] : [x.cpuMsPerRequest]));
        const dbCpuMs = f.flatMap((x) => (x.dbCpuMsPerRequest === undefined ? [] : [x.dbCpuMsPerRequest]));
        const cpu =
          cpuMs.length === f.length
            ? `  CPU ${summary(cpuMs, 2)} ms/request${dbCpuMs.length === f.length && target.logged ? ` + database ${summary(dbCpuMs, 2)}` : ''}`
            : '';
        out.push(
          `  ${target.name.padEnd(36)} ${summary(rate)} req/s = ${summary(rate.map((r) => r * size))} predictions/s, p50 ${summary(
            f.map((x) => x.p50Ms),
            1,
          )} ms, p99 ${summary(
            f.map((x) => x.p99Ms),
            1,
          )} ms${ratio}${bareRatio}${cpu}`,
        );
      }
    }
    out.push(`  non-2xx answers: ${failed}`);
    out.push(`  ${await servingInternals(`http://127.0.0.1:${port}/metrics`, viewer)}`);
    out.push(
      `  answered predictions found in the database: ${stored >= answered ? 'all' : 'NOT all'} (${stored} stored incl. warm-up and in-flight at the end, ${answered} answered in the measured runs; ${warmup} warm-up targets)`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
    if (stored < answered || failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.filter((child) => child.exitCode === null).map((child) => new Promise((resolve) => child.once('exit', resolve))));
    rmSync(dir, { recursive: true, force: true });
    await prisma.$disconnect();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
