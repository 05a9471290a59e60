/**
 * The Python that benchmarks time Keras with: BENCH_PYTHON when set, otherwise a virtualenv in
 * ~/.cache/mlplane/keras-venv with tensorflow-cpu 2.21 (the libtensorflow mlplane uses) and keras
 * from pip's configured index, created on first use. Null when neither can import keras.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mlplane', 'keras-venv');

function importsKeras(python: string): boolean {
  return spawnSync(python, ['-c', 'import keras, tensorflow'], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } }).status === 0;
}

/**
 * Runs a Keras timing script on the benchmark's rows (float32 files `x.bin` and `y.bin` in `dir`)
 * and returns the numbers of the last line it prints (comma-separated). The script starts with `x`,
 * `y` loaded and a function `build()` returning the compiled Keras model: Dense(relu) layers of
 * `units`, a sigmoid output, Adam 0.001, binary cross-entropy and accuracy, as mlplane's benchmark models.
 */
export function runKerasScriptValues(python: string, dir: string, features: number, units: readonly number[], body: string): number[] {
  const script = path.join(dir, 'keras_timing.py');
  writeFileSync(
    script,
    `import os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np, keras
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, ${features}); y = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, 1)
def build():
    model = keras.Sequential([keras.Input((${features},))] + [keras.layers.Dense(u, activation="relu") for u in [${units.join(',')}]] + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    return model
${body}
`,
  );
  const result = spawnSync(python, [script, path.join(dir, 'x.bin'), path.join(dir, 'y.bin')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`keras script failed: ${result.stderr}`);
  return (result.stdout.trim().split('\n').pop() ?? '').split(',').map(Number);
}

/** runKerasScriptValues for a script whose last line is one number. */
export function runKerasScript(python: string, dir: string, features: number, units: readonly number[], body: string): number {
  const [value] = runKerasScriptValues(python, dir, features, units, body);
  return value;
}

export function kerasPython(say: (line: string) => void): string | null {
  if (process.env.BENCH_PYTHON) return importsKeras(process.env.BENCH_PYTHON) ? process.env.BENCH_PYTHON : null;
  const python = path.join(VENV, 'bin', 'python');
  if (existsSync(python) && importsKeras(python)) return python;
  say(`creating ${VENV} with tensorflow-cpu==2.21.0 and keras (pip, a few minutes)`);
  mkdirSync(path.dirname(VENV), { recursive: true });
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', VENV]],
    [python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', 'tensorflow-cpu==2.21.0', 'keras']],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) return null;
  }
  return importsKeras(python) ? python : null;
}
