#!/usr/bin/env node
'use strict';
/**
 * After `npm install`/`npm ci`: give tfjs-node a native backend (scripts/install-tfjs-node.js),
 * build the graph addon for compiled training steps (scripts/install-train-step.js), then
 * generate the Prisma client, then build the web dashboard (web/ into web/dist, served at `/`)
 * when its toolchain (a dev dependency) is installed. `prisma generate` never runs the schema engine, but the CLI
 * downloads one unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file; offline there is no
 * download, so any existing file stands in for it.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(args, env) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

const tfjsInstaller = path.join(__dirname, 'install-tfjs-node.js');
if (fs.existsSync(tfjsInstaller)) run([tfjsInstaller]);
// The graph addon for compiled training steps, against the libtensorflow just laid out for tfjs-node.
const trainStepInstaller = path.join(__dirname, 'install-train-step.js');
if (fs.existsSync(trainStepInstaller)) run([trainStepInstaller]);

const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
const engineEnv = engine && fs.existsSync(engine) ? {} : { PRISMA_SCHEMA_ENGINE_BINARY: process.execPath };
const prismaCli = require.resolve('prisma/build/index.js', { paths: [root] });
const status = run([prismaCli, 'generate'], engineEnv);
if (status !== 0) {
  process.stderr.write('mlplane: prisma generate failed\n');
  process.exit(status);
}

const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (!fs.existsSync(path.join(root, 'web', 'index.html'))) {
  process.stdout.write('mlplane: no web/ sources here (an image build copies them later): the dashboard is not built now\n');
} else if (fs.existsSync(vite)) {
  const webStatus = run([vite, 'build', '--config', path.join('web', 'vite.config.mts'), '--logLevel', 'warn']);
  if (webStatus !== 0) {
    process.stderr.write('mlplane: building the web dashboard failed\n');
    process.exit(webStatus);
  }
  process.stdout.write('mlplane: web dashboard built into web/dist\n');
} else {
  process.stdout.write('mlplane: vite is not installed (production install): the dashboard is not built; `npm run build:web` builds it\n');
}
