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
 * For 1-row and 100-row requests: requests/s, predictions/s, p50 and p99, the CPU per request of
 * the server's processes and of the (embedded) database, and each mlplane figure's ratio to
 * Keras/FastAPI. Every answered prediction is then looked for in the database.
 *
 * Measured through the harness (bench/support/harness.ts): one observation is one wrk run of one
 * target (its requests/s, p50, p99 and CPU per request); the targets are run round-robin
 * (`recordRoundRobin`), one warm-up run of each (2 s, discarded) and then rounds of one run of
 * each, so a change of the machine's load weighs on every target alike. Each figure is printed as
 * its median with IQR, min-max and n over the rounds, and each ratio to Keras/FastAPI as the ratio
 * of the medians with the spread of the per-round ratios. The bare tfjs rates are measured apart
 * (before the servers start, 1 s of calls per observation, the harness's default of 1 warm-up and
 * 10 repetitions), so their ratio to mlplane is a ratio of medians only.
 * Default: 3 rounds, i.e. n = 3 per figure, FEWER than the harness's n >= 10: one round of all
 * six targets is a minute of load (10 s each), so 10 rounds would take over ten minutes. With n = 3
 * the IQR is that of three numbers; set BENCH_REPETITIONS=10 (or MLPLANE_BENCH_RUNS=10) for a
 * figure to publish.
 * Options (environment): BENCH_REPETITIONS (rounds of every measurement, overrides the defaults
 * above), MLPLANE_BENCH_RUNS (rounds of wrk runs when BENCH_REPETITIONS is not set, default 3),
 * BENCH_WARMUP (warm-up runs per target and bare-model warm-up calls, default 1),
 * MLPLANE_BENCH_SECONDS (length of a measured wrk run, default 10), MLPLANE_BENCH_PROCESSES
 * (cores), MLPLANE_BENCH_TARGETS (parts of target names to run, '|'-separated),
 * MLPLANE_BENCH_NODE_ARGS (node arguments of the server, e.g. `--cpu-prof`), MLPLANE_API_SEMI_SPACE_MB
 * (the server's young generation, mlplane's default 32; 0 for V8's default), DATABASE_URL (else an
 * embedded PostgreSQL, whose CPU is then measured too).
 * Run: npm run bench:serve
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_API_SEMI_SPACE_MB } from '../src/config/config';
import { projectRoot } from '../src/config/paths';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { logger } from '../src/infra/logger';
import { predict } from '../src/ml/predictor';
import { encodeInstances } from '../src/ml/serving/prediction-request';
import { tf } from '../src/ml/tf-backend';
import { openBenchDatabase } from './support/bench-database';
import { openBenchServices } from './support/bench-services';
import { exampleCsv, exampleCsvPath } from './support/example-data';
import {
  BenchReport,
  formatMeasured,
  formatNumber,
  formatRatio,
  measured,
  measureRoundRobin,
  recordRoundRobin,
  runBenchmark,
  runOptions,
  type Measured,
} from './support/harness';
import { trainModelVersion } from './support/trained-version';

const CONNECTIONS = 16;

/** A positive integer from the environment, else `fallback`. */
function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got "${text}"`);
  return value;
}

const SECONDS = positiveFromEnv('MLPLANE_BENCH_SECONDS', 10);
/** Length of a warm-up wrk run (discarded). */
const WARMUP_SECONDS = Math.min(2, SECONDS);
/** Rounds of wrk runs when BENCH_REPETITIONS is not set: 3, fewer than the harness's 10, see the doc comment. */
const RUNS = positiveFromEnv('MLPLANE_BENCH_RUNS', 3);
/** Length of one observation of the bare model's rate. */
const BARE_SECONDS = 1;
const PROCESSES = positiveFromEnv('MLPLANE_BENCH_PROCESSES', os.availableParallelism());
/** Only the targets whose name contains one of these ('|'-separated), e.g. `v2 infer, 1 row|Keras+FastAPI, 1 row`; all by default. */
const ONLY = (process.env.MLPLANE_BENCH_TARGETS ?? '').split('|').filter(Boolean);
/** Extra node arguments of the mlplane server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const NODE_ARGS = (process.env.MLPLANE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** The server's V8 semi-space (`MLPLANE_API_SEMI_SPACE_MB`), mlplane's default unless set: printed with the figures. */
const SEMI_SPACE_MB = process.env.MLPLANE_API_SEMI_SPACE_MB || String(DEFAULT_API_SEMI_SPACE_MB);
const VENV = path.join(projectRoot, 'bench', '.venv');
const PYTHON_PACKAGES = ['tensorflow-cpu==2.21.0', 'keras', 'fastapi', 'uvicorn', 'numpy'];

interface LoadFigures {
  /** CPU milliseconds per request the server's processes used during the run (and the database's, when it is the embedded one). */
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

/**
 * user + system CPU ticks of every process (/proc), with those of the children it has reaped
 * (cutime, cstime), to charge each server the CPU it used: a PostgreSQL backend that exits between
 * two readings stays counted, through its postmaster (summing live processes only once gave a
 * negative figure).
 */
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
        ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
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

/** Predictions per second of `run` (a call predicting `rows` rows) called back to back for `seconds`. */
function bareRate(run: () => unknown, rows: number, seconds: number): number {
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    run();
    calls++;
  }
  return (calls * rows * 1000) / (performance.now() - started);
}

/**
 * One audited mutation through the API before the measured runs (a VIEWER key created), as any
 * server in use has run: audited mutations other than `predict` run in an AsyncLocalStorage scope,
 * whose promise hook would tax every later request while it stays enabled.
 */
async function auditedMutation(url: string, adminKey: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ query: 'mutation { createApiKey(input: { name: "bench-audited", role: VIEWER }) { apiKey { id } } }' }),
  });
  const answer = (await response.json()) as { errors?: { message: string }[] };
  if (!response.ok || answer.errors) throw new Error(`the audited mutation before the runs failed: ${JSON.stringify(answer.errors ?? response.status)}`);
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
  const logged = total('mlplane_prediction_log_commit_rows_sum');
  const commitRows = logged / commits;
  const calls = total('mlplane_inference_batch_rows_count');
  const commitP99 = histogramBound(text, 'mlplane_prediction_log_commit_seconds', 'result="ok"', 0.99);
  const driftReports = [...text.matchAll(/^mlplane_drift_reports_total\{[^}]*\} ([\d.e+-]+)$/gm)].reduce((sum, [, value]) => sum + Number(value), 0);
  const gcSeconds = [...text.matchAll(/^mlplane_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([\d.e+-]+)$/gm)].map(
    ([, kind, value]) => `${kind} ${Number(value).toFixed(1)} s`,
  );
  return (
    `server internals over the run: ${commits} log commits, mean ${commitMs.toFixed(1)} ms, 99% within ${commitP99}, ${commitRows.toFixed(1)} rows each; ` +
    `${calls} model calls, mean ${(total('mlplane_inference_batch_requests_sum') / calls).toFixed(2)} requests and ${(total('mlplane_inference_batch_rows_sum') / calls).toFixed(1)} rows each, ${((1000 * total('mlplane_inference_seconds_sum')) / calls).toFixed(2)} ms each; ` +
    `event-loop delay p99 ${(1000 * total('mlplane_nodejs_eventloop_lag_p99_seconds')).toFixed(1)} ms, max ${(1000 * total('mlplane_nodejs_eventloop_lag_max_seconds')).toFixed(1)} ms; garbage collection ${gcSeconds.join(', ')}; ` +
    `${driftReports} drift reports (one per ${Math.round(logged / driftReports)} logged predictions); ` +
    `versions served by the compiled forward pass ${total('mlplane_served_model_versions', 'engine="compiled"')}, eagerly ${total('mlplane_served_model_versions', 'engine="eager"')}`
  );
}

/** The smallest bucket bound of a Prometheus histogram holding `share` of its observations (e.g. "<= 25 ms"). */
function histogramBound(text: string, name: string, labels: string, share: number): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",${labels}\\} (\\d+)$`, 'gm'))].map(([, le, count]) => ({
    le,
    count: Number(count),
  }));
  const all = buckets.at(-1)?.count ?? 0;
  const bucket = buckets.find(({ count }) => count >= share * all);
  return bucket === undefined || all === 0 ? 'n/a' : bucket.le === '+Inf' ? 'over the last bucket' : `<= ${1000 * Number(bucket.le)} ms`;
}

/** One figure of every round of a target, e.g. its p99s. */
function figure(records: readonly LoadFigures[], name: string, unit: string, pick: (figures: LoadFigures) => number): Measured {
  return measured(name, unit, records.map(pick));
}

/** The CPU figure of every round of a target, or null when some round has none (no server pid, no request, an external database). */
function cpuFigure(records: readonly LoadFigures[], name: string, pick: (figures: LoadFigures) => number | undefined): Measured | null {
  const values = records.map(pick);
  return values.every((value): value is number => value !== undefined) ? measured(name, 'ms', values) : null;
}

async function main(): Promise<void> {
  const wrkOptions = runOptions({ repetitions: RUNS });
  const bareOptions = runOptions();
  logger.level = 'warn';
  const db = await openBenchDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-serve-bench-'));
  const children: ChildProcess[] = [];
  try {
    // The model is trained, deployed and given keys as a client would (a `mlplane worker` trains
    // it); these services are closed before the load so that their queue polls no database during it.
    const bench = await openBenchServices(db.url, { prismaPoolSize: 2 });
    const { services } = bench;
    let trainedVersionId: string;
    let deploymentId: string;
    let token: string;
    let viewer: string;
    let admin: string;
    let bare1: Measured;
    let bare100: Measured;
    const [header, ...lines] = exampleCsv('breast_cancer').trim().split(/\r?\n/);
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
    try {
      const trained = await trainModelVersion(bench, db.url, {
        name: 'bench',
        csv: exampleCsv('breast_cancer'),
        labelColumn: 'benign',
        hyperparameters: { epochs: 5, batchSize: 32, seed: 1, backend: 'CPU' },
        hiddenUnits: 10,
      });
      trainedVersionId = trained.versionId;
      deploymentId = (await services.deployments.deployModel({ name: 'bench', modelVersionId: trainedVersionId }, 'bench')).deployment.id;
      // Serving as a client would: a PREDICTOR key for the deployment (keys exist, so serve makes no ADMIN key).
      token = (await services.apiKeys.createKey({ name: 'bench', role: 'PREDICTOR', deployments: ['bench'] })).token;
      viewer = (await services.apiKeys.createKey({ name: 'bench-metrics', role: 'VIEWER' })).token;
      admin = (await services.apiKeys.createKey({ name: 'bench-admin', role: 'ADMIN' })).token;

      const loaded = await services.modelVersions.loadModel(trainedVersionId);
      const bare = (instances: Record<string, number>[]) => predict(tf(), loaded.model, loaded.preprocessing, encodeInstances(loaded.preprocessing, instances));
      [bare1, bare100] = await measureRoundRobin(
        [
          { name: 'bare tfjs model, 1 row', unit: 'predictions/s', observe: () => bareRate(() => bare(one), 1, BARE_SECONDS) },
          { name: 'bare tfjs model, 100 rows', unit: 'predictions/s', observe: () => bareRate(() => bare(hundred), 100, BARE_SECONDS) },
        ],
        bareOptions,
      );
      loaded.model.dispose();
    } finally {
      await bench.close();
    }

    const port = await freePort();
    const mlplane = spawn(process.execPath, [...NODE_ARGS, path.join(projectRoot, 'dist', 'src', 'main.js'), 'serve', '--processes', String(PROCESSES)], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'warn', MLPLANE_API_SEMI_SPACE_MB: SEMI_SPACE_MB },
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
        [path.join(projectRoot, 'bench', 'baselines', 'keras_fastapi.py'), exampleCsvPath('breast_cancer'), 'benign', String(kerasPort)],
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
    await auditedMutation(`http://127.0.0.1:${port}/graphql`, admin);

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
    const report = new BenchReport(
      `serving benchmark (${db.where}, mlplane serve --processes ${PROCESSES} with MLPLANE_API_SEMI_SPACE_MB=${SEMI_SPACE_MB}, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, ` +
        `${wrkOptions.repetitions} round(s) of one run per target after ${wrkOptions.warmup} warm-up run(s) of ${WARMUP_SECONDS} s, load average at start ${loadAverage()}):`,
    );
    report.print(`  Keras/FastAPI baseline: ${python ? note : `NOT RUN: ${note}`}`);
    report.print(`  ${formatMeasured(bare1)}`);
    report.print(`  ${formatMeasured(bare100)}`);
    const records = await recordRoundRobin(
      targets.map((target) => ({ name: target.name, observe: ({ warmup }: { warmup: boolean }) => wrk(target, warmup ? WARMUP_SECONDS : SECONDS, dir) })),
      wrkOptions,
    );
    const measuredTargets = targets.map((target, index) => ({ target, runs: records[index] }));

    const answered = measuredTargets
      .filter(({ target }) => target.logged)
      .reduce((sum, { target, runs }) => sum + runs.reduce((s, f) => s + (f.requests - f.failed) * target.rows, 0), 0);
    const failed = measuredTargets.reduce((sum, { runs }) => sum + runs.reduce((s, f) => s + f.failed, 0), 0);
    const prisma = createPrismaClient(db.url, 1);
    const stored = await prisma.prediction.count({ where: { deploymentId } }).finally(() => prisma.$disconnect());

    for (const size of [1, 100]) {
      const keras = measuredTargets.find(({ target }) => target.name === `Keras+FastAPI, ${size} row(s)`)?.runs;
      const kerasRate = keras && figure(keras, 'Keras+FastAPI', 'req/s', (f) => f.requestsPerSecond);
      const kerasP99 = keras && figure(keras, 'Keras+FastAPI p99', 'ms', (f) => f.p99Ms);
      const bareRateMedian = (size === 1 ? bare1 : bare100).summary.median;
      for (const { target, runs } of measuredTargets.filter(({ target }) => target.rows === size)) {
        const rate = figure(runs, 'requests', 'req/s', (f) => f.requestsPerSecond);
        const predictions = figure(runs, 'predictions', 'predictions/s', (f) => f.requestsPerSecond * size);
        const p50 = figure(runs, 'p50', 'ms', (f) => f.p50Ms);
        const p99 = figure(runs, 'p99', 'ms', (f) => f.p99Ms);
        report.print(`  ${target.name}:`);
        for (const line of [rate, predictions, p50, p99]) report.print(`    ${formatMeasured(line)}`);
        const cpu = cpuFigure(runs, 'CPU per request, server processes', (f) => f.cpuMsPerRequest);
        if (cpu) report.print(`    ${formatMeasured(cpu)}`);
        const dbCpu = target.logged ? cpuFigure(runs, 'CPU per request, database', (f) => f.dbCpuMsPerRequest) : null;
        if (dbCpu) report.print(`    ${formatMeasured(dbCpu)}`);
        if (target.logged && kerasRate && kerasP99) {
          report.print(`    ${formatRatio(rate, kerasRate, 'req/s ratio to Keras/FastAPI')}`);
          report.print(`    ${formatRatio(p99, kerasP99, 'p99 ratio to Keras/FastAPI')}`);
        }
        report.print(
          `    predictions/s ratio to the bare model: ${formatNumber(predictions.summary.median / bareRateMedian)} (ratio of medians; the bare model is measured apart, not in the same rounds)`,
        );
      }
    }
    report.print(`  non-2xx answers in the measured runs: ${failed}`);
    report.print(`  ${await servingInternals(`http://127.0.0.1:${port}/metrics`, viewer)}`);
    report.print(
      `  answered predictions found in the database: ${stored >= answered ? 'all' : 'NOT all'} (${stored} stored incl. warm-up and in-flight at the end, ${answered} answered in the measured runs; ${targets.filter((t) => t.logged).length} logged targets warmed up)`,
    );
    report.print(`  load average at end: ${loadAverage()}`);
    if (stored < answered || failed > 0) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.filter((child) => child.exitCode === null).map((child) => new Promise((resolve) => child.once('exit', resolve))));
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

runBenchmark(main);
