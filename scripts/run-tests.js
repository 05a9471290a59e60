#!/usr/bin/env node
'use strict';
/**
 * Runs the jest suite against DATABASE_URL, or against an embedded PostgreSQL in a temporary
 * directory when it is unset. Expects `npm run build` to have run (it uses the compiled starter).
 * Extra arguments go to jest. Ends with a plain "N passed, N failed" line. `--forceExit`: a handle
 * some library leaves open must never keep a finished run from exiting (CI would wait for ever).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function runJest(env, args, reportFile) {
  const jest = require.resolve('jest/bin/jest', { paths: [root] });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jest, '--ci', '--forceExit', '--json', `--outputFile=${reportFile}`, ...args], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
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
  const code = await runJest(env, process.argv.slice(2), reportFile);
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
