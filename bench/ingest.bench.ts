/**
 * Issue 9 point 3 figures: a ~100 MB CSV uploaded to a real `mlplane serve` process through
 * POST /datasets/{name}/versions while a separate load process (`support/probe-load.ts`) probes
 * `/healthz` and a 1-row `predict` every 20 ms. Three processes: the API, the load, and this one,
 * which streams the upload and reads the API's memory from /proc (its peak resident set, VmHWM,
 * reset before each measure, and VmRSS sampled every 20 ms).
 *
 * Each repetition starts a fresh API process, warms it up (2 s of probes), probes for 10 s with
 * nothing else running (the baseline), then probes during the upload until its answer. Then, on
 * another fresh API process (an ingest leaves freed memory that later requests reuse), it sends
 * uploads one byte over the limit and measures the RSS each costs: the first one (which also grows
 * V8's young generation to its maximum, as any busy request would), a second one, a chunked one,
 * and eight at once. Rate limits are off in the API (the probes alone send 100 requests a second).
 *
 * Measured through the harness (bench/support/harness.ts): one observation is one repetition as
 * above (`recordRoundRobin` with a single side), yielding every figure at once; each figure is
 * printed per repetition as it comes, then as its median with IQR, min-max and n over the
 * repetitions: the ingest time, probe latency p50/p99 with no ingest and during it, the p99 ratio
 * ingesting/baseline (ratio of the medians and spread of the per-repetition ratios, both measured
 * in the same repetition), the API's RSS growth during the ingest as a ratio to the file size, and
 * the RSS growth of the refused uploads.
 * Defaults: 3 repetitions and no warm-up repetition, FEWER than the harness's n >= 10: a repetition
 * of the 100 MB case takes about a minute and starts fresh API processes, each already warmed by
 * 2 s of probes. With n = 3 the IQR is that of three numbers; set BENCH_REPETITIONS=10 for a figure
 * to publish.
 *
 * Run: npm run bench:ingest. Environment: BENCH_INGEST_MB sets the file size (default 100, i.e.
 * 100,000,000 bytes, at most the 100 MiB upload limit), BENCH_INGEST_REPS the repetitions (default
 * 3), BENCH_REPETITIONS and BENCH_WARMUP override the repetitions and the warm-up repetitions
 * (default 0, discarded) as in every benchmark, DATABASE_URL (else an embedded PostgreSQL).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../src/config/paths';
import { logger } from '../src/infra/logger';
import { openBenchDatabase } from './support/bench-database';
import { openBenchServices } from './support/bench-services';
import { exampleCsv } from './support/example-data';
import { BenchReport, formatMeasured, formatRatio, measured, percentile as quantileOf, recordRoundRobin, runBenchmark, runOptions } from './support/harness';
import type { ProbeCommand, ProbeResults, ProbeSettings } from './support/probe-load';
import { trainModelVersion } from './support/trained-version';

const MB = 1024 * 1024;
const LIMIT = 100 * MB;
const BASELINE_MS = 10_000;

/** The `p` percentile (0-100) of probe latencies, NaN when there are none (no probe ended during a very short upload). */
function percentile(values: number[], p: number): number {
  return values.length === 0 ? NaN : quantileOf(values, p / 100);
}

/** A positive integer from the environment, else `fallback`. */
function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got "${text}"`);
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM (peak since the last reset) of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets a process's VmHWM to its current RSS (Linux, same user); false when the kernel refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Measures the API's peak RSS over `work`: VmHWM when it can be reset, and 20 ms samples of VmRSS in any case. */
async function peakDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; before: number; peak: number }> {
  const exact = resetPeak(pid);
  const before = memoryOf(pid).rss;
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, memoryOf(pid).rss)), 20);
  try {
    const result = await work();
    return { result, before, peak: Math.max(sampled, exact ? memoryOf(pid).peak : 0) };
  } finally {
    clearInterval(timer);
  }
}

/** A CSV of at most `bytes` bytes, whole rows: 8 numeric features (3 decimals), a categorical one and a binary label. */
function writeCsv(file: string, bytes: number): number {
  const fd = openSync(file, 'w');
  const cities = ['paris', 'lyon', 'nice', 'lille', 'metz'];
  let batch = ['f0,f1,f2,f3,f4,f5,f6,f7,city,label\n'];
  let written = batch[0].length;
  for (let row = 0; ; row++) {
    const values = Array.from({ length: 8 }, (_, j) => (((row * (j + 7)) % 1000) / 7).toFixed(3));
    const line = `${values.join(',')},${cities[row % 5]},${row % 2}\n`;
    const full = written + line.length > bytes;
    if (full || batch.length === 10_000) {
      writeSync(fd, batch.join(''));
      batch = [];
    }
    if (full) break;
    batch.push(line);
    written += line.length;
  }
  closeSync(fd);
  return written;
}

/**
 * Streams `file` (or `chunkedBytes` generated bytes without a Content-Length) to the upload endpoint;
 * resolves with the status once the exchange is over (0 when the connection closed before an answer).
 * The server may answer a refusal before the body is sent and then close: both are expected.
 */
function upload(origin: string, key: string, name: string, source: { file: string } | { chunkedBytes: number }): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'text/csv', authorization: `Bearer ${key}` };
    if ('file' in source) headers['content-length'] = String(statSync(source.file).size);
    const req = http.request(`${origin}/datasets/${name}/versions?labelColumn=label`, { method: 'POST', headers, agent: false });
    let status = 0;
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
    });
    req.on('error', () => undefined);
    req.on('close', () => resolve(status));
    if ('file' in source) return void createReadStream(source.file).pipe(req);
    const chunk = Buffer.alloc(64 * 1024, '1,2\n');
    let sent = 0;
    const next = (): void => {
      while (sent < source.chunkedBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', next);
      }
      req.end();
    };
    next();
  });
}

/** The load process: probes while told to, answers with its latencies. */
class ProbeLoad {
  private readonly child: ChildProcess = fork(path.join(__dirname, 'support', 'probe-load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  constructor(private readonly settings: ProbeSettings) {}

  start(): void {
    this.child.send({ kind: 'start', settings: this.settings } satisfies ProbeCommand);
  }

  stop(): Promise<ProbeResults> {
    return new Promise((resolve) => {
      this.child.once('message', (results: ProbeResults) => resolve(results));
      this.child.send({ kind: 'stop' } satisfies ProbeCommand);
    });
  }

  async probeFor(ms: number): Promise<ProbeResults> {
    this.start();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.stop();
  }

  close(): void {
    this.child.disconnect();
  }
}

async function startApi(databaseUrl: string, dataDir: string): Promise<{ child: ChildProcess; origin: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'main.js'), 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      MLPLANE_DATA_DIR: dataDir,
      PORT: String(port),
      // One API process, whose memory is read: it takes every request (serve's default is one per core).
      // It is the child of the process started here, the cluster's primary, which serves nothing.
      MLPLANE_API_PROCESSES: '1',
      MLPLANE_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MLPLANE_RATE_LIMIT_PER_MINUTE: '0',
      MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mlplane serve exited with ${child.exitCode}`);
    if (
      await fetch(`${origin}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, origin };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('mlplane serve did not become ready');
}

async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Repetition {
  baseline: ProbeResults;
  during: ProbeResults;
  ingestSeconds: number;
  rssBefore: number;
  growth: number;
  refusals: { label: string; status: number; growth: number }[];
}

/**
 * The process id of the API process a started `serve` forked (`serve` runs its API processes as
 * children of a supervising primary; with one process there is one child).
 */
function apiPidOf(primary: ChildProcess): number {
  if (primary.pid === undefined) throw new Error('mlplane serve did not start (it has no pid)');
  const children = readFileSync(`/proc/${primary.pid}/task/${primary.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`mlplane serve --processes 1 has ${children.length} child processes, expected its one API process`);
  return children[0];
}

/** A progress line on stderr (a repetition takes minutes). */
const progress = (text: string) => process.stderr.write(`[ingest bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const megabytes = positiveFromEnv('BENCH_INGEST_MB', 100);
  const repsFromEnv = positiveFromEnv('BENCH_INGEST_REPS', 3);
  if (!Number.isInteger(repsFromEnv)) throw new RangeError(`BENCH_INGEST_REPS must be an integer, got ${repsFromEnv}`);
  const options = runOptions({ repetitions: repsFromEnv, warmup: 0 });
  logger.level = 'warn';
  const db = await openBenchDatabase();
  const scratch = path.join(os.tmpdir(), `mlplane-ingest-bench-${process.pid}`);
  const file = `${scratch}.csv`;
  const oversize = `${scratch}-oversize.csv`;
  let api: ChildProcess | undefined;
  let load: ProbeLoad | undefined;
  try {
    // The deployed model is trained (by a `mlplane worker`) and given a key as a client would; these
    // services are closed before the measures so that their queue polls no database during them.
    progress('training the deployed model and writing the files');
    const bench = await openBenchServices(db.url, { prismaPoolSize: 2 });
    let key: string;
    try {
      const { services } = bench;
      const trained = await trainModelVersion(bench, db.url, {
        name: 'bench',
        csv: exampleCsv('breast_cancer'),
        labelColumn: 'benign',
        hyperparameters: { epochs: 2, batchSize: 32, seed: 1, backend: 'CPU' },
      });
      await services.deployments.deployModel({ name: 'bench', modelVersionId: trained.versionId }, 'bench');
      key = (await services.apiKeys.createKey({ name: 'bench', role: 'EDITOR' })).token;
    } finally {
      await bench.close();
    }
    const [header, line] = exampleCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instance = Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)] as const)
        .filter(([name]) => name !== 'benign'),
    );
    const size = writeCsv(file, Math.min(megabytes * 1_000_000, LIMIT));
    writeFileSync(oversize, Buffer.alloc(LIMIT + 1, '1,2\n'));

    let observed = 0;
    const repetition = async ({ warmup }: { warmup: boolean }): Promise<Repetition> => {
      const rep = ++observed;
      const label = `${warmup ? 'warm-up ' : ''}repetition ${rep}`;
      progress(`${label}: starting the API`);
      const ingestApi = await startApi(db.url, `${scratch}-data`);
      api = ingestApi.child;
      load = new ProbeLoad({ origin: ingestApi.origin, key, deployment: 'bench', instance });
      await load.probeFor(2_000);
      progress(`${label}: baseline (${BASELINE_MS / 1000} s of probes)`);
      const baseline = await load.probeFor(BASELINE_MS);
      progress(`${label}: uploading`);
      load.start();
      const t0 = performance.now();
      const ingest = await peakDuring(apiPidOf(api), () => upload(ingestApi.origin, key, `big-${rep}`, { file }));
      const ingestSeconds = (performance.now() - t0) / 1000;
      const during = await load.stop();
      if (ingest.result !== 201) throw new Error(`the upload answered ${ingest.result}`);
      load.close();
      load = undefined;
      await stopApi(api);

      progress(`${label}: refused uploads`);
      // Refusals on another fresh API process (an ingest leaves memory its later requests reuse).
      const refusalApi = await startApi(db.url, `${scratch}-data`);
      api = refusalApi.child;
      load = new ProbeLoad({ origin: refusalApi.origin, key, deployment: 'bench', instance });
      await load.probeFor(2_000);
      const refusalPid = apiPidOf(refusalApi.child);
      const refusals: Repetition['refusals'] = [];
      const refuse = async (what: string, count: number, source: { file: string } | { chunkedBytes: number }) => {
        const refused = await peakDuring(refusalPid, () => Promise.all(Array.from({ length: count }, () => upload(refusalApi.origin, key, 'too-big', source))));
        refusals.push({ label: what, status: Math.max(...refused.result), growth: refused.peak - refused.before });
      };
      await refuse('the first on a fresh process, declared Content-Length', 1, { file: oversize });
      await refuse('declared Content-Length', 1, { file: oversize });
      await refuse('chunked', 1, { chunkedBytes: LIMIT + 64 * 1024 });
      await refuse('eight at once, declared Content-Length', 8, { file: oversize });
      load.close();
      load = undefined;
      await stopApi(api);
      api = undefined;
      const r: Repetition = { baseline, during, ingestSeconds, rssBefore: ingest.before, growth: ingest.peak - ingest.before, refusals };
      process.stdout.write(
        [
          `${label}: ingest ${r.ingestSeconds.toFixed(1)} s; API RSS ${(r.rssBefore / MB).toFixed(0)} MB before, +${(r.growth / MB).toFixed(0)} MB at peak = ${(r.growth / size).toFixed(2)}x the file`,
          `  baseline  /healthz p50 ${ms(percentile(r.baseline.healthz, 50))} p99 ${ms(percentile(r.baseline.healthz, 99))}  predict p50 ${ms(percentile(r.baseline.predict, 50))} p99 ${ms(percentile(r.baseline.predict, 99))}  (${r.baseline.healthz.length}+${r.baseline.predict.length} probes, ${r.baseline.failures} failed)`,
          `  ingesting /healthz p50 ${ms(percentile(r.during.healthz, 50))} p99 ${ms(percentile(r.during.healthz, 99))}  predict p50 ${ms(percentile(r.during.predict, 50))} p99 ${ms(percentile(r.during.predict, 99))}  (${r.during.healthz.length}+${r.during.predict.length} probes, ${r.during.failures} failed)`,
          ...r.refusals.map(
            (refusal) => `  refused oversize upload (${refusal.label}): status ${refusal.status}, API RSS +${(refusal.growth / MB).toFixed(1)} MB`,
          ),
          '',
        ].join('\n'),
      );
      return r;
    };
    const [runs] = await recordRoundRobin([{ name: 'ingest', observe: repetition }], options);

    const of = (name: string, unit: string, pick: (run: Repetition) => number) => measured(name, unit, runs.map(pick));
    const report = new BenchReport(
      `ingest benchmark (${db.where}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}): ${(size / 1e6).toFixed(1)} MB CSV uploaded to a fresh mlplane serve, ` +
        `${options.repetitions} repetition(s) after ${options.warmup} warm-up repetition(s), median (IQR, min-max, n)`,
    );
    const baselineHealthz99 = of('baseline  /healthz p99', 'ms', (r) => percentile(r.baseline.healthz, 99));
    const baselinePredict99 = of('baseline  predict  p99', 'ms', (r) => percentile(r.baseline.predict, 99));
    const duringHealthz99 = of('ingesting /healthz p99', 'ms', (r) => percentile(r.during.healthz, 99));
    const duringPredict99 = of('ingesting predict  p99', 'ms', (r) => percentile(r.during.predict, 99));
    for (const line of [
      formatMeasured(of('ingest time', 's', (r) => r.ingestSeconds)),
      formatMeasured(of('baseline  /healthz p50', 'ms', (r) => percentile(r.baseline.healthz, 50))),
      formatMeasured(baselineHealthz99),
      formatMeasured(of('baseline  predict  p50', 'ms', (r) => percentile(r.baseline.predict, 50))),
      formatMeasured(baselinePredict99),
      formatMeasured(of('ingesting /healthz p50', 'ms', (r) => percentile(r.during.healthz, 50))),
      `${formatMeasured(duringHealthz99)}   (target p99 < 100 ms)`,
      formatMeasured(of('ingesting predict  p50', 'ms', (r) => percentile(r.during.predict, 50))),
      `${formatMeasured(duringPredict99)}   (target p99 < 100 ms)`,
      formatRatio(duringHealthz99, baselineHealthz99, 'p99 ratio ingesting/baseline, /healthz'),
      formatRatio(duringPredict99, baselinePredict99, 'p99 ratio ingesting/baseline, predict'),
      `${formatMeasured(of('API RSS growth / file size', 'x', (r) => r.growth / size))}   (target < 3x)`,
      ...runs[0].refusals.map(
        (refusal, i) =>
          `${formatMeasured(of(`refused oversize (${refusal.label}): API RSS growth`, 'MB', (r) => r.refusals[i].growth / MB))}   (target < 10 MB)`,
      ),
    ])
      report.print(`  ${line}`);
  } finally {
    load?.close();
    if (api) await stopApi(api);
    rmSync(file, { force: true });
    rmSync(oversize, { force: true });
    rmSync(`${scratch}-data`, { recursive: true, force: true });
    await db.close();
  }
}

runBenchmark(main);
