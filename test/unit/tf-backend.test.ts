import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { availableBackends, backendInfo, tf, tfNode, useBackend } from '../../src/ml/tf-backend';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * relu(x·W + b) summed, worked by hand:
 *   x = [[1, -2], [3, 4]], W = [[1, 2], [3, -4]], b = [1, 1]
 *   x·W = [[1 - 6, 2 + 8], [3 + 12, 6 - 16]] = [[-5, 10], [15, -10]]
 *   + b = [[-4, 11], [16, -9]]; relu = [[0, 11], [16, 0]]; sum = 27
 * softmax([1, 2, 3]) = e^i / (e + e^2 + e^3) = [0.0900306, 0.2447285, 0.6652410]
 */
function tinyComputation(): { dense: number[]; sum: number; softmax: number[] } {
  const t = tf();
  return t.tidy(() => {
    const dense = t.relu(
      t
        .matMul(
          t.tensor2d([
            [1, -2],
            [3, 4],
          ]),
          t.tensor2d([
            [1, 2],
            [3, -4],
          ]),
        )
        .add(t.tensor1d([1, 1])),
    );
    return {
      dense: Array.from(dense.dataSync()),
      sum: dense.sum().dataSync()[0] ?? NaN,
      softmax: Array.from(t.softmax(t.tensor1d([1, 2, 3])).dataSync()),
    };
  });
}

describe('tf-backend on this machine', () => {
  afterAll(async () => {
    await useBackend('tensorflow');
  });

  it('loads the native backend and makes it active by default', () => {
    expect(availableBackends()).toEqual(['tensorflow', 'cpu']);
    expect(tf().getBackend()).toBe('tensorflow');
    expect(tfNode()?.node.tensorBoard).toBeInstanceOf(Function);
    const info = backendInfo();
    expect(info).toMatchObject({ active: 'tensorflow', nativeAvailable: true, tfjsVersion: '4.22.0' });
    expect(info.reason).toBeUndefined();
    expect(info.libtensorflowVersion).toMatch(/^2\.\d+\.\d+/);
    expect(['tfjs-node-download', 'local-wheel', 'already-installed']).toContain(info.installRoute);
  });

  it('switches to cpu and back in one process with identical results', async () => {
    await useBackend('cpu');
    expect(tf().getBackend()).toBe('cpu');
    expect(backendInfo().active).toBe('cpu');
    const onCpu = tinyComputation();

    await useBackend('tensorflow');
    expect(tf().getBackend()).toBe('tensorflow');
    expect(backendInfo().active).toBe('tensorflow');
    const onNative = tinyComputation();

    for (const result of [onCpu, onNative]) {
      expect(result.dense).toEqual([0, 11, 16, 0]);
      expect(result.sum).toBe(27);
      [0.0900306, 0.2447285, 0.665241].forEach((p, i) => expect(result.softmax[i]).toBeCloseTo(p, 6));
    }
    onCpu.softmax.forEach((p, i) => expect(onNative.softmax[i]).toBeCloseTo(p, 6));
  });
});

/**
 * A separate Node process (the native addon cannot be unloaded from this one) in which
 * requiring tfjs-node throws, as it does when the addon is missing; TypeScript is transpiled on load.
 */
const FALLBACK_PROBE = `
const fs = require('fs');
const Module = require('module');
const ts = require('typescript');
require.extensions['.ts'] = (mod, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  mod._compile(ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText, filename);
};
const originalLoad = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@tensorflow/tfjs-node') throw new Error('simulated: tfjs_binding.node can not be found');
  return originalLoad.call(this, request, ...rest);
};
const backend = require(process.argv[1]);
const loadedEarly = Object.keys(require.cache).some((file) => file.includes('@tensorflow'));
const tfLoadedEarly = backend.isTfLoaded();
const info = backend.backendInfo();
const tfEnv = { oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS, logLevel: process.env.TF_CPP_MIN_LOG_LEVEL };
const sum = backend.tf().tensor1d([1, 2, 3]).sum().dataSync()[0];
backend.useBackend('tensorflow').then(
  () => ({ name: 'none' }),
  (err) => ({ name: err.name, message: err.message }),
).then((useNative) => {
  process.stdout.write('RESULT ' + JSON.stringify({ loadedEarly, tfLoadedEarly, tfEnv, info, available: backend.availableBackends(), sum, useNative }) + '\\n');
});
`;

describe('tf-backend without the native addon', () => {
  it('stays lazy, sets the libtensorflow env, falls back to cpu and says why', () => {
    const { TF_ENABLE_ONEDNN_OPTS: _oneDnn, TF_CPP_MIN_LOG_LEVEL: _logLevel, ...env } = process.env;
    const output = execFileSync(process.execPath, ['-e', FALLBACK_PROBE, path.join(ROOT, 'src/ml/tf-backend.ts')], {
      cwd: ROOT,
      env: { ...env, NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    const lines = output.trim().split('\n');
    const result = JSON.parse(lines.find((line) => line.startsWith('RESULT '))!.slice('RESULT '.length));
    expect(result.loadedEarly).toBe(false);
    expect(result.tfLoadedEarly).toBe(false);
    expect(result.tfEnv).toEqual({ oneDnn: '0', logLevel: '2' });
    expect(result.available).toEqual(['cpu']);
    expect(result.sum).toBe(6);
    expect(result.info).toMatchObject({ active: 'cpu', nativeAvailable: false, tfjsVersion: '4.22.0' });
    expect(result.info.reason).toContain('simulated: tfjs_binding.node can not be found');
    expect(result.useNative).toEqual({ name: 'InvalidStateError', message: expect.stringContaining('"tensorflow" is not available') });

    const warning = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((entry) => entry.level === 40);
    expect(warning).toMatchObject({ backend: 'cpu', msg: expect.stringContaining('pure-JS cpu backend') });
    expect(warning.reason).toContain('simulated');
  });
});
