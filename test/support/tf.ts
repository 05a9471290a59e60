/** The TensorFlow.js handle for ML tests, loaded through src/ml/tf-backend.ts like the product does. */
import { availableBackends, type BackendName, tf, useBackend } from '../../src/ml/tf-backend';
import type { Tf } from '../../src/ml/tf-types';

/** Loads TensorFlow.js and activates `backend`. */
export async function loadTf(backend: BackendName = 'cpu'): Promise<Tf> {
  const handle = tf();
  await useBackend(backend);
  return handle;
}

/** The backends available in this process (tests run per backend with `it.each`). */
export function availableTestBackends(): BackendName[] {
  return availableBackends();
}
