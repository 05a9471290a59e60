/**
 * The Python that benchmarks time Keras with: BENCH_PYTHON when set, otherwise a virtualenv in
 * ~/.cache/mlplane/keras-venv with tensorflow-cpu 2.21 (the libtensorflow mlplane uses) and keras
 * from pip's configured index, created on first use. Null when neither can import keras.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VENV = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mlplane', 'keras-venv');

function importsKeras(python: string): boolean {
  return spawnSync(python, ['-c', 'import keras, tensorflow'], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } }).status === 0;
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
