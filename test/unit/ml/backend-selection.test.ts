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
    expect(selection).toEqual({ backend: 'cpu', stepEngine: 'EAGER', reason: 'CPU was requested', timings: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('honours TENSORFLOW when the native backend loaded, and refuses it otherwise', async () => {
    if (availableTestBackends().includes('tensorflow')) {
      const selection = await chooseBackend(options('TENSORFLOW'));
      expect(selection).toMatchObject({ backend: 'tensorflow', stepEngine: 'EAGER' });
      expect(tf.getBackend()).toBe('tensorflow');
    } else {
      await expect(chooseBackend(options('TENSORFLOW'))).rejects.toThrow(InvalidStateError);
    }
  });

  it('TENSORFLOW_COMPILED compiles the step when the graph addon builds the model', async () => {
    const selection = await chooseBackend(options('TENSORFLOW_COMPILED'));
    expect(selection).toEqual({ backend: 'tensorflow', stepEngine: 'COMPILED', reason: 'TENSORFLOW_COMPILED was requested', timings: [] });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('TENSORFLOW_COMPILED trains eagerly on tensorflow, with the reason, for a model it cannot build', async () => {
    const selection = await chooseBackend({
      ...options('TENSORFLOW_COMPILED'),
      buildModel: () => {
        const model = tf.sequential();
        model.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [8] }));
        model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', useBias: false }));
        return model;
      },
    });
    expect(selection.backend).toBe('tensorflow');
    expect(selection.stepEngine).toBe('EAGER');
    expect(selection.reason).toMatch(/^TENSORFLOW_COMPILED was requested; trained eagerly on tensorflow because layer \S+ has no bias$/);
  });

  it('AUTO times cpu, eager tensorflow and compiled tensorflow, keeps the fastest and leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const selection = await chooseBackend(options('AUTO'));
    expect(tf.getBackend()).toBe(selection.backend);
    expect(selection.timings.map((t) => `${t.backend} ${t.stepEngine}`).sort()).toEqual(['cpu EAGER', 'tensorflow COMPILED', 'tensorflow EAGER']);
    for (const timing of selection.timings) {
      expect(timing.steps).toBeGreaterThanOrEqual(3);
      expect(timing.msPerStep).toBeGreaterThan(0);
    }
    const fastest = selection.timings.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a));
    expect(selection).toMatchObject({ backend: fastest.backend, stepEngine: fastest.stepEngine });
    expect(selection.reason).toContain(`AUTO: ${fastest.backend} ${fastest.stepEngine.toLowerCase()} was fastest`);
    for (const timing of selection.timings)
      expect(selection.reason).toContain(`${timing.backend} ${timing.stepEngine.toLowerCase()} ${timing.msPerStep.toFixed(3)} ms/step`);
    await tf.setBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AUTO says why it did not time the compiled step', async () => {
    const selection = await chooseBackend({
      ...options('AUTO'),
      buildModel: () => {
        const model = tf.sequential();
        model.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [8] }));
        model.add(tf.layers.batchNormalization());
        model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
        return model;
      },
    });
    expect(selection.timings.map((t) => t.stepEngine)).toEqual(['EAGER', 'EAGER']);
    expect(selection.reason).toMatch(/; compiled not timed: layer \S+ is a BatchNormalization/);
  });
});
