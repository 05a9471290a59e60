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
 * and eight at once. Printed per repetition and as median [min-max] over the repetitions: probe
 * latency p50/p99 with no ingest and during it, the API's RSS growth during the ingest as a ratio
 * to the file size, and the RSS growth of the refused uploads. Rate limits are off in the API (the
 * probes alone send 100 requests a second).
 *
 * Run: npm run bench:ingest. BENCH_INGEST_MB sets the file size (default 100, i.e. 100,000,000
 * bytes), BENCH_INGEST_REPS the repetitions (default 3).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { projectRoot } from '../src/config/paths';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { logger } from '../src/infra/logger';
import { createDomainServices } from '../src/services/services';
import { fixtureCsv } from '../test/support/fixtures';
import { RecordingPublisher } from '../test/support/run-fixtures';
import { trainVersions } from '../test/support/trained-version';
import { openBenchDatabase } from './support/bench-database';
import { NO_RUN_QUEUE } from './support/bench-services';
import type { ProbeCommand, ProbeResults, ProbeSettings } from './support/probe-load';

const MB = 1024 * 1024;
const LIMIT = 100 * MB;
const BASELINE_MS = 10_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: number[]): number {
  return percentile(values, 50);
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

/** A progress line on stderr (a repetition takes minutes). */
/** The process id of a started API process. */
function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('the API process did not start (it has no pid)');
  return child.pid;
}

const progress = (text: string) => process.stderr.write(`[ingest bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

const ms = (value: number) => `${value.toFixed(1)} ms`;
const spread = (values: number[], format: (value: number) => string) =>
  `${format(median(values))} [${format(Math.min(...values))}-${format(Math.max(...values))}]`;

async function main(): Promise<void> {
  const megabytes = Number(process.env.BENCH_INGEST_MB ?? 100);
  const repetitions = Number(process.env.BENCH_INGEST_REPS ?? 3);
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 2);
  logger.level = 'warn';
  const scratch = path.join(os.tmpdir(), `mlplane-ingest-bench-${process.pid}`);
  const file = `${scratch}.csv`;
  const oversize = `${scratch}-oversize.csv`;
  let api: ChildProcess | undefined;
  let load: ProbeLoad | undefined;
  try {
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: NO_RUN_QUEUE, config: loadConfig({}) });
    progress('training the deployed model and writing the files');
    const trained = await trainVersions(prisma, services, { name: 'bench', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 2 });
    await services.deployments.deployModel({ name: 'bench', modelVersionId: trained.versionIds[0] }, 'bench');
    const key = (await services.apiKeys.createKey({ name: 'bench', role: 'EDITOR' })).token;
    const [header, line] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instance = Object.fromEntries(
      line
        .split(',')
        .map((cell, i) => [names[i], Number(cell)] as const)
        .filter(([name]) => name !== 'benign'),
    );
    const size = writeCsv(file, Math.min(megabytes * 1_000_000, LIMIT));
    writeFileSync(oversize, Buffer.alloc(LIMIT + 1, '1,2\n'));

    const runs: Repetition[] = [];
    for (let rep = 1; rep <= repetitions; rep++) {
      progress(`repetition ${rep}: starting the API`);
      const ingestApi = await startApi(db.url, `${scratch}-data`);
      api = ingestApi.child;
      load = new ProbeLoad({ origin: ingestApi.origin, key, deployment: 'bench', instance });
      await load.probeFor(2_000);
      progress(`repetition ${rep}: baseline (${BASELINE_MS / 1000} s of probes)`);
      const baseline = await load.probeFor(BASELINE_MS);
      progress(`repetition ${rep}: uploading`);
      load.start();
      const t0 = performance.now();
      const ingest = await peakDuring(pidOf(api), () => upload(ingestApi.origin, key, `big-${rep}`, { file }));
      const ingestSeconds = (performance.now() - t0) / 1000;
      const during = await load.stop();
      if (ingest.result !== 201) throw new Error(`the upload answered ${ingest.result}`);
      load.close();
      load = undefined;
      await stopApi(api);

      progress(`repetition ${rep}: refused uploads`);
      // Refusals on another fresh API process (an ingest leaves memory its later requests reuse).
      const refusalApi = await startApi(db.url, `${scratch}-data`);
      api = refusalApi.child;
      load = new ProbeLoad({ origin: refusalApi.origin, key, deployment: 'bench', instance });
      await load.probeFor(2_000);
      const refusalPid = pidOf(refusalApi.child);
      const refusals: Repetition['refusals'] = [];
      const refuse = async (label: string, count: number, source: { file: string } | { chunkedBytes: number }) => {
        const refused = await peakDuring(refusalPid, () => Promise.all(Array.from({ length: count }, () => upload(refusalApi.origin, key, 'too-big', source))));
        refusals.push({ label, status: Math.max(...refused.result), growth: refused.peak - refused.before });
      };
      await refuse('the first on a fresh process, declared Content-Length', 1, { file: oversize });
      await refuse('declared Content-Length', 1, { file: oversize });
      await refuse('chunked', 1, { chunkedBytes: LIMIT + 64 * 1024 });
      await refuse('eight at once, declared Content-Length', 8, { file: oversize });
      load.close();
      load = undefined;
      await stopApi(api);
      api = undefined;
      runs.push({ baseline, during, ingestSeconds, rssBefore: ingest.before, growth: ingest.peak - ingest.before, refusals });

      const r = runs[runs.length - 1];
      process.stdout.write(
        [
          `repetition ${rep}: ingest ${r.ingestSeconds.toFixed(1)} s; API RSS ${(r.rssBefore / MB).toFixed(0)} MB before, +${(r.growth / MB).toFixed(0)} MB at peak = ${(r.growth / size).toFixed(2)}x the file`,
          `  baseline  /healthz p50 ${ms(percentile(r.baseline.healthz, 50))} p99 ${ms(percentile(r.baseline.healthz, 99))}  predict p50 ${ms(percentile(r.baseline.predict, 50))} p99 ${ms(percentile(r.baseline.predict, 99))}  (${r.baseline.healthz.length}+${r.baseline.predict.length} probes, ${r.baseline.failures} failed)`,
          `  ingesting /healthz p50 ${ms(percentile(r.during.healthz, 50))} p99 ${ms(percentile(r.during.healthz, 99))}  predict p50 ${ms(percentile(r.during.predict, 50))} p99 ${ms(percentile(r.during.predict, 99))}  (${r.during.healthz.length}+${r.during.predict.length} probes, ${r.during.failures} failed)`,
          ...r.refusals.map(
            (refusal) => `  refused oversize upload (${refusal.label}): status ${refusal.status}, API RSS +${(refusal.growth / MB).toFixed(1)} MB`,
          ),
          '',
        ].join('\n'),
      );
    }

    const of = (pick: (run: Repetition) => number) => runs.map(pick);
    process.stdout.write(
      [
        `ingest benchmark (${db.where}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}): ${(size / 1e6).toFixed(1)} MB CSV uploaded to a fresh mlplane serve, ${repetitions} repetitions, median [min-max]`,
        `  ingest time                  ${spread(
          of((r) => r.ingestSeconds),
          (v) => `${v.toFixed(1)} s`,
        )}`,
        `  baseline  /healthz p50       ${spread(
          of((r) => percentile(r.baseline.healthz, 50)),
          ms,
        )}   p99 ${spread(
          of((r) => percentile(r.baseline.healthz, 99)),
          ms,
        )}`,
        `  baseline  predict  p50       ${spread(
          of((r) => percentile(r.baseline.predict, 50)),
          ms,
        )}   p99 ${spread(
          of((r) => percentile(r.baseline.predict, 99)),
          ms,
        )}`,
        `  ingesting /healthz p50       ${spread(
          of((r) => percentile(r.during.healthz, 50)),
          ms,
        )}   p99 ${spread(
          of((r) => percentile(r.during.healthz, 99)),
          ms,
        )}   (target p99 < 100 ms)`,
        `  ingesting predict  p50       ${spread(
          of((r) => percentile(r.during.predict, 50)),
          ms,
        )}   p99 ${spread(
          of((r) => percentile(r.during.predict, 99)),
          ms,
        )}   (target p99 < 100 ms)`,
        `  p99 ratio ingesting/baseline /healthz ${spread(
          of((r) => percentile(r.during.healthz, 99) / percentile(r.baseline.healthz, 99)),
          (v) => v.toFixed(1),
        )}, predict ${spread(
          of((r) => percentile(r.during.predict, 99) / percentile(r.baseline.predict, 99)),
          (v) => v.toFixed(1),
        )}`,
        `  API RSS growth / file size   ${spread(
          of((r) => r.growth / size),
          (v) => `${v.toFixed(2)}x`,
        )}   (target < 3x)`,
        ...runs[0].refusals.map(
          (refusal, i) =>
            `  refused oversize (${refusal.label}): API RSS +${spread(
              of((r) => r.refusals[i].growth / MB),
              (v) => `${v.toFixed(1)} MB`,
            )}   (target < 10 MB)`,
        ),
        '',
      ].join('\n'),
    );
  } finally {
    load?.close();
    if (api) await stopApi(api);
    rmSync(file, { force: true });
    rmSync(oversize, { force: true });
    rmSync(`${scratch}-data`, { recursive: true, force: true });
    await prisma.$disconnect();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
