import { InvalidStateError } from '../../../src/domain/errors';
import { chooseBackend, type ChooseBackendOptions } from '../../../src/ml/backend-selection';
import { buildModel } from '../../../src/ml/model-builder';
import type { Tf } from '../../../src/ml/tf-types';
import { availableTestBackends, loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

function options(requested: ChooseBackendOptions['requested']): ChooseBackendOptions {
  const rows = 32;
  return {
    tf,
    requested,
    task: 'BINARY_CLASSIFICATION',
    buildModel: () => buildModel({ tf, architecture: { layers: [{ units: 10, activation: 'relu' }] }, task: 'BINARY_CLASSIFICATION', inputWidth: 8, seed: 1 }),
    sampleBatch: {
      x: { data: new Float32Array(rows * 8).map((_, i) => Math.cos(i)), rows, cols: 8 },
      y: { data: new Float32Array(rows).map((_, i) => i % 2), rows, cols: 1 },
    },
    budgetMs: 50,
  };
}

describe('chooseBackend', () => {
  it('honours an explicit CPU request without timing', async () => {
    const selection = await chooseBackend(options('CPU'));
    expect(selection).toEqual({ backend: 'cpu', reason: 'CPU was requested', timings: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('honours TENSORFLOW when the native backend loaded, and refuses it otherwise', async () => {
    if (availableTestBackends().includes('tensorflow')) {
      const selection = await chooseBackend(options('TENSORFLOW'));
      expect(selection.backend).toBe('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
    } else {
      await expect(chooseBackend(options('TENSORFLOW'))).rejects.toThrow(InvalidStateError);
    }
  });

  it('AUTO times every available backend, keeps the fastest and leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const selection = await chooseBackend(options('AUTO'));
    const available = availableTestBackends();
    expect(tf.getBackend()).toBe(selection.backend);
    if (available.length === 1) {
      expect(selection).toEqual({ backend: 'cpu', reason: 'AUTO: cpu is the only available backend', timings: [] });
      return;
    }
    expect(selection.timings.map((t) => t.backend).sort()).toEqual([...available].sort());
    for (const timing of selection.timings) {
      expect(timing.steps).toBeGreaterThanOrEqual(3);
      expect(timing.msPerStep).toBeGreaterThan(0);
    }
    const fastest = selection.timings.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a));
    expect(selection.backend).toBe(fastest.backend);
    expect(selection.reason).toContain(`AUTO: ${fastest.backend} was fastest`);
    await tf.setBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
  });
});
