'use strict';
/**
 * Builds mlplane's graph addon (native/train-step: compiled training steps) against the
 * libtensorflow that scripts/install-tfjs-node.js laid out for tfjs-node
 * (node_modules/@tensorflow/tfjs-node/deps/{lib,include}), with the node-gyp npm ships and Node's
 * installed headers: offline, about 10 s. It then loads the addon next to tfjs-node in a child
 * process and runs a one-op graph. It prints one line, records { ok, detail, at } in
 * node_modules/.mlplane/train-step-install.json and always exits 0: without the addon, runs that
 * would compile their steps train eagerly and say why (src/ml/compiled/graph-addon.ts).
 *
 * Plain CommonJS with Node built-ins only, like install-tfjs-node.js (whose helpers it uses).
 */
const fs = require('fs');
const path = require('path');
const { run, failure, seconds, findNodeGyp, findNodeDir, lifecycleEnv, TF_ENV, DEPS_DIR, ROOT } = require('./install-tfjs-node');

const ADDON_DIR = path.join(ROOT, 'native', 'train-step');
const ADDON = path.join(ADDON_DIR, 'build', 'Release', 'mlplane_train_step.node');
const RECORD_FILE = path.join(ROOT, 'node_modules', '.mlplane', 'train-step-install.json');
const BUILD_TIMEOUT_MS = 300_000;
const LOAD_TIMEOUT_MS = 60_000;

function say(message) {
  process.stdout.write(`[train-step addon] ${message}\n`);
}

/** Loads tfjs-node, then the addon, and runs 2 + 3 as a graph. */
async function checkAddonRuns() {
  const probe = [
    "require('@tensorflow/tfjs-node');",
    `const addon = require(${JSON.stringify(ADDON)});`,
    'const g = addon.newGraph();',
    "const c = (v) => addon.addOperation(g, 'Const', 'c' + v, [], [['dtype', 'type', 1], ['value', 'tensor', [Float32Array.of(v), []]]], []);",
    "const sum = addon.addOperation(g, 'AddV2', 'sum', [[c(2), 0], [c(3), 0]], [], []);",
    'const session = addon.newSession(g, 1, 1);',
    'const [out] = addon.run(addon.prepare(session, [], [[sum, 0]], []), [], []);',
    'addon.closeSession(session);',
    'console.log(JSON.stringify({ sum: out[0], version: addon.version() }));',
  ].join('\n');
  const result = await run(process.execPath, ['-e', probe], { env: { ...process.env, ...TF_ENV }, timeoutMs: LOAD_TIMEOUT_MS });
  if (result.code !== 0) return { ok: false, detail: `addon does not run: ${failure(result)}` };
  try {
    const report = JSON.parse(result.stdout.trim().split('\n').pop());
    return report.sum === 5 ? { ok: true, detail: `libtensorflow ${report.version}` } : { ok: false, detail: `2 + 3 gave ${report.sum}` };
  } catch {
    return { ok: false, detail: `unexpected probe output: ${result.stdout.slice(0, 200)}` };
  }
}

async function install() {
  if (!fs.existsSync(path.join(DEPS_DIR, 'include', 'tensorflow', 'c', 'c_api.h'))) {
    return { ok: false, detail: `no libtensorflow headers under ${path.relative(ROOT, DEPS_DIR)} (the native backend is not installed)` };
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return { ok: false, detail: "npm's node-gyp not found" };
  const args = [nodeGyp, 'rebuild'];
  const nodeDir = findNodeDir();
  if (nodeDir) args.push(`--nodedir=${nodeDir}`);
  const build = await run(process.execPath, args, { cwd: ADDON_DIR, env: lifecycleEnv(nodeGyp), timeoutMs: BUILD_TIMEOUT_MS });
  if (build.code !== 0) return { ok: false, detail: `node-gyp rebuild failed: ${failure(build)}` };
  const check = await checkAddonRuns();
  return { ...check, detail: `node-gyp ${seconds(build.ms)}; ${check.detail}` };
}

async function main() {
  let outcome;
  try {
    outcome = await install();
  } catch (err) {
    outcome = { ok: false, detail: `installer error: ${err && err.stack ? err.stack.split('\n')[0] : String(err)}` };
  }
  if (!outcome.ok) fs.rmSync(ADDON, { force: true });
  const record = { ...outcome, at: new Date().toISOString() };
  try {
    fs.mkdirSync(path.dirname(RECORD_FILE), { recursive: true });
    fs.writeFileSync(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
  } catch (err) {
    say(`could not write ${RECORD_FILE}: ${err.message}`);
  }
  say(record.ok ? `compiled training steps ready (${record.detail})` : `not built, native runs will train eagerly (${record.detail})`);
}

main().finally(() => {
  process.exitCode = 0;
});
