/**
 * The TensorFlow.js handle for ML tests and benchmarks: the one place that decides which build
 * is loaded (tfjs-node when its native addon loads, else pure-JS tfjs).
 */
import type { Tf } from '../../src/ml/tf-types';

export type TestBackend = 'cpu' | 'tensorflow';

let loaded: Tf | undefined;

function requireTf(): Tf {
  if (loaded) return loaded;
  try {
    loaded = require('@tensorflow/tfjs-node') as Tf;
  } catch {
    loaded = require('@tensorflow/tfjs') as Tf;
  }
  return loaded;
}

/** Loads TensorFlow.js and activates `backend`. */
export async function loadTf(backend: TestBackend = 'cpu'): Promise<Tf> {
  const tf = requireTf();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  return tf;
}

/** The backends registered in this process. */
export function availableTestBackends(): TestBackend[] {
  const names = requireTf().engine().backendNames();
  return (['cpu', 'tensorflow'] as const).filter((name) => names.includes(name));
}
