import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { apiProcessExecArgv } from '../../../src/app/api-heap-flags';
import { loadConfig } from '../../../src/config/config';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('apiProcessExecArgv', () => {
  it("adds the semi-space size to this process's flags", () => {
    expect(apiProcessExecArgv(['-r', 'ts-register.js'], undefined, 32)).toEqual(['-r', 'ts-register.js', '--max-semi-space-size=32']);
  });

  it("keeps a semi-space size of the user's, from the flags or NODE_OPTIONS, in either spelling", () => {
    expect(apiProcessExecArgv(['--max-semi-space-size=8'], undefined, 32)).toEqual(['--max-semi-space-size=8']);
    expect(apiProcessExecArgv(['--max_semi_space_size=8'], undefined, 32)).toEqual(['--max_semi_space_size=8']);
    expect(apiProcessExecArgv([], '--enable-source-maps  --max-semi-space-size=64', 32)).toEqual([]);
  });

  it("adds nothing for 0 (V8's default)", () => {
    expect(apiProcessExecArgv(['--enable-source-maps'], '', 0)).toEqual(['--enable-source-maps']);
  });
});

describe('MLPLANE_API_SEMI_SPACE_MB', () => {
  it('defaults to 32 MB and takes 0 to 256', () => {
    expect(loadConfig({}).apiSemiSpaceMb).toBe(32);
    expect(loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '0' }).apiSemiSpaceMb).toBe(0);
    expect(loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '256' }).apiSemiSpaceMb).toBe(256);
  });

  it('refuses a value over 256 or not a non-negative integer, naming the variable', () => {
    expect(() => loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '257' })).toThrow('MLPLANE_API_SEMI_SPACE_MB must be at most 256, got "257"');
    expect(() => loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '1.5' })).toThrow('MLPLANE_API_SEMI_SPACE_MB must be a non-negative integer, got "1.5"');
  });
});

describe('confineSemiSpaceToMainThread', () => {
  /** Runs node with a 32 MB semi-space; reports the new space that churning grows, on the main thread and in a worker started after `confine`. */
  const newSpaces = (confine: boolean): { main: number; worker: number } => {
    const script = `
      const v8 = require('node:v8');
      const { Worker } = require('node:worker_threads');
      const churn = \`let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 200000) keep = []; }
        v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576\`;
      const main = eval(churn);
      if (${String(confine)}) require(${JSON.stringify(path.join(ROOT, 'src/app/api-heap-flags.ts'))}).confineSemiSpaceToMainThread();
      const worker = new Worker(\`const v8 = require('node:v8'); require('node:worker_threads').parentPort.postMessage(eval(\${JSON.stringify(churn)}))\`, { eval: true });
      worker.once('message', (size) => { process.stdout.write(JSON.stringify({ main, worker: size })); worker.terminate(); });`;
    const result = spawnSync(process.execPath, ['--max-semi-space-size=32', '-r', path.join(ROOT, 'test/support/ts-register.js'), '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout) as { main: number; worker: number };
  };

  it("gives worker threads started afterwards V8's default young generation, the main thread keeping its own", () => {
    // Without it, the flag applies to every isolate: a worker's new space grows to 2 x 32 MB too.
    expect(newSpaces(false)).toEqual({ main: 64, worker: 64 });
    expect(newSpaces(true)).toEqual({ main: 64, worker: 32 });
  });
});
