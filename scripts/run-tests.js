#!/usr/bin/env node
'use strict';
/**
 * Runs the jest suite against DATABASE_URL, or against an embedded PostgreSQL in a temporary
 * directory when it is unset. Expects `npm run build` to have run (it uses the compiled starter).
 * Extra arguments go to jest. Ends with a plain "N passed, N failed" line.
 *
 * jest runs without `--forceExit`: a test that leaves a handle open (a timer, a socket, a pool, a
 * child process) is a bug to fix, not to paper over. So that CI cannot wait for ever, two guards:
 * - once jest has written its report (every test finished), it must exit within
 *   MLPLANE_TEST_EXIT_GRACE_SECONDS (default 60), and no jest worker may have been force-exited
 *   for leaving something open;
 * - the whole run must end within MLPLANE_TEST_TIMEOUT_MINUTES (default 60).
 * When a guard trips, node writes a diagnostic report of jest's process (`--report-on-signal`), the
 * handles still open are printed, jest is killed and the run fails.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const REPORT_SIGNAL = 'SIGUSR2';
/** What jest prints when a worker kept a handle open and was killed (the run would otherwise pass). */
const WORKER_LEAK = /A worker process has failed to exit gracefully/;

function positiveNumber(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
}

/** The handles node's diagnostic report lists as keeping the event loop alive. */
function openHandles(reportDir) {
  const reports = fs.existsSync(reportDir) ? fs.readdirSync(reportDir).filter((name) => name.endsWith('.json')) : [];
  const lines = [];
  for (const name of reports) {
    const report = JSON.parse(fs.readFileSync(path.join(reportDir, name), 'utf8'));
    for (const handle of report.libuv ?? []) {
      if (!handle.is_active || !handle.is_referenced) continue;
      const where = [
        handle.localEndpoint && `local ${handle.localEndpoint.host}:${handle.localEndpoint.port}`,
        handle.remoteEndpoint && `remote ${handle.remoteEndpoint.host}:${handle.remoteEndpoint.port}`,
        handle.pid && `pid ${handle.pid}`,
        handle.filename,
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`  ${handle.type}${where ? ` (${where})` : ''}`);
    }
  }
  return lines;
}

function runJest(env, args, reportFile, scratch) {
  const jest = require.resolve('jest/bin/jest', { paths: [root] });
  const reportDir = path.join(scratch, 'node-reports');
  const exitGraceMs = positiveNumber('MLPLANE_TEST_EXIT_GRACE_SECONDS', 60) * 1000;
  const overallMs = positiveNumber('MLPLANE_TEST_TIMEOUT_MINUTES', 60) * 60_000;
  fs.mkdirSync(reportDir);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--report-on-signal',
        `--report-signal=${REPORT_SIGNAL}`,
        `--report-directory=${reportDir}`,
        jest,
        '--ci',
        '--json',
        `--outputFile=${reportFile}`,
        ...args,
      ],
      { cwd: root, env, stdio: ['inherit', 'inherit', 'pipe'] },
    );
    let workerLeak = false;
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      if (WORKER_LEAK.test(chunk.toString())) workerLeak = true;
    });
    let tripped;
    const trip = (reason) => {
      if (tripped) return;
      tripped = reason;
      child.kill(REPORT_SIGNAL);
      // Give node a moment to write the report, then stop jest for good.
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    };
    const overall = setTimeout(() => trip(`the run took longer than ${overallMs / 60_000} minutes`), overallMs);
    let finishedAt;
    const watcher = setInterval(() => {
      if (finishedAt === undefined && fs.existsSync(reportFile)) finishedAt = Date.now();
      if (finishedAt !== undefined && Date.now() - finishedAt > exitGraceMs) {
        trip(`jest finished its tests but had not exited ${exitGraceMs / 1000} s later`);
      }
    }, 1_000);
    child.on('exit', (code, signal) => {
      clearTimeout(overall);
      clearInterval(watcher);
      if (tripped) {
        const handles = openHandles(reportDir);
        process.stderr.write(`\nrun-tests: FAILED: ${tripped}. Handles jest's process still had open:\n${handles.join('\n') || '  (no report written)'}\n`);
        process.stderr.write('Find the test that leaves them with `npm test -- --runInBand --detectOpenHandles <paths>`.\n');
        resolve(1);
        return;
      }
      if (workerLeak) {
        process.stderr.write(
          '\nrun-tests: FAILED: a jest worker kept a handle open after its tests and was force-exited (see above); find it with `npm test -- --runInBand --detectOpenHandles <paths>`.\n',
        );
        resolve(1);
        return;
      }
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlplane-test-'));
  // As root the embedded cluster runs as the postgres user, who must be able to enter this directory.
  fs.chmodSync(scratch, 0o755);
  let embedded;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const { startEmbeddedPostgres } = require(path.join(root, 'dist/src/infra/db/embedded-postgres'));
    embedded = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), persistent: false, database: 'postgres' });
    databaseUrl = embedded.url;
    process.stdout.write(`tests use an embedded PostgreSQL in ${scratch}\n`);
  } else {
    process.stdout.write(`tests use DATABASE_URL (${new URL(databaseUrl).host})\n`);
  }
  const reportFile = path.join(scratch, 'jest-report.json');
  // jest hands tests a copy of process.env, so libtensorflow only sees these when set here.
  const env = { TF_ENABLE_ONEDNN_OPTS: '0', TF_CPP_MIN_LOG_LEVEL: '2', ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test' };
  const code = await runJest(env, process.argv.slice(2), reportFile, scratch);
  if (embedded) await embedded.stop();
  if (fs.existsSync(reportFile)) {
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    process.stdout.write(`\ntests: ${report.numPassedTests} passed, ${report.numFailedTests} failed\n`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
