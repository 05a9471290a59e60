/**
 * The served forward pass: compiled (one TF_SessionRun) when the model allows it, and then equal
 * to TensorFlow.js' eager `model.predict` bit for bit, for every activation it takes, every task's
 * output layer, dropout (the identity at inference) and batches of 1 to a few hundred rows. Models
 * it does not take run eagerly and say why.
 */
import { ACTIVATIONS, buildModel, type Architecture } from '../../../src/ml/model-builder';
import { prepareModelForward } from '../../../src/ml/model-forward';
import { outputsInChunks, PREDICT_CHUNK_ROWS, predictOutputs } from '../../../src/ml/predictor';
import type { LayersModel, Matrix, ModelTask, Tf } from '../../../src/ml/tf-types';
import { availableTestBackends, loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('tensorflow');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function rows(count: number, cols: number, seed: number): Matrix {
  const next = random(seed);
  return { rows: count, cols, data: Float32Array.from({ length: count * cols }, () => next() * 6 - 3) };
}

/** Non-zero biases, so a bias that is dropped or misplaced shows. */
function randomizeBiases(model: LayersModel, seed: number): void {
  const next = random(seed);
  model.setWeights(
    model.getWeights().map((weight) => (weight.shape.length === 1 ? tf.tensor1d(Array.from({ length: weight.shape[0] }, () => next() - 0.5)) : weight)),
  );
}

function model(architecture: Architecture, task: ModelTask, classCount?: number): LayersModel {
  const built = buildModel({ tf, architecture, task, inputWidth: 30, classCount, seed: 11 });
  randomizeBiases(built, 5);
  return built;
}

function expectBitwiseEqual(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const differing = expected.findIndex((value, i) => !Object.is(value, actual[i]));
  expect(differing === -1 ? 'all equal' : `index ${differing}: ${actual[differing]} != ${expected[differing]}`).toBe('all equal');
}

describe('served forward pass', () => {
  it('has the native backend and the graph addon (npm ci builds both)', () => {
    expect(availableTestBackends()).toContain('tensorflow');
    const forward = prepareModelForward(tf, model({ layers: [{ units: 10, activation: 'relu' }] }, 'BINARY_CLASSIFICATION'));
    expect(forward.engine).toBe('compiled');
    forward.dispose();
  });

  const compiledActivations = ACTIVATIONS.filter((activation) => activation !== 'gelu');
  it.each(compiledActivations)('compiled %s layers answer what model.predict answers, bit for bit', (activation) => {
    const served = model(
      {
        layers: [
          { units: 10, activation, dropout: 0.3 },
          { units: 7, activation, l2: 0.01 },
        ],
      },
      'MULTICLASS_CLASSIFICATION',
      3,
    );
    const forward = prepareModelForward(tf, served);
    expect(forward.engine).toBe('compiled');
    for (const [count, seed] of [
      [1, 1],
      [4, 2],
      [301, 3],
    ]) {
      const x = rows(count, 30, seed);
      expectBitwiseEqual(forward.outputs(x), predictOutputs(tf, served, x));
    }
    forward.dispose();
  });

  it.each<[ModelTask, number | undefined]>([
    ['BINARY_CLASSIFICATION', undefined],
    ['REGRESSION', undefined],
  ])('compiled %s output layers answer what model.predict answers', (task, classCount) => {
    const served = model({ layers: [{ units: 16, activation: 'tanh' }] }, task, classCount);
    const forward = prepareModelForward(tf, served);
    const x = rows(57, 30, 9);
    expectBitwiseEqual(forward.outputs(x), predictOutputs(tf, served, x));
    forward.dispose();
  });

  it('reads only the matrix rows it is given (a view into a larger buffer)', () => {
    const served = model({ layers: [{ units: 8, activation: 'relu' }] }, 'BINARY_CLASSIFICATION');
    const forward = prepareModelForward(tf, served);
    const whole = rows(10, 30, 4);
    const view: Matrix = { rows: 3, cols: 30, data: whole.data.subarray(60, 150) };
    expectBitwiseEqual(forward.outputs(view), predictOutputs(tf, served, view));
    forward.dispose();
  });

  it('serves gelu models eagerly, and says why', () => {
    const served = model({ layers: [{ units: 10, activation: 'gelu' }] }, 'BINARY_CLASSIFICATION');
    const forward = prepareModelForward(tf, served);
    expect(forward.engine).toBe('eager');
    expect(forward.reason).toMatch(/gelu/);
    const x = rows(5, 30, 6);
    expectBitwiseEqual(forward.outputs(x), predictOutputs(tf, served, x));
  });

  it('serves a model with a layer it does not build eagerly, and says why', () => {
    const served = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [30], activation: 'relu' }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const forward = prepareModelForward(tf, served);
    expect(forward.engine).toBe('eager');
    expect(forward.reason).toMatch(/BatchNormalization/);
  });

  it('refuses to run once disposed', () => {
    const forward = prepareModelForward(tf, model({ layers: [] }, 'REGRESSION'));
    forward.dispose();
    expect(() => forward.outputs(rows(1, 30, 1))).toThrow(/disposed/);
  });

  it('runs a matrix over the chunk size in chunks, each row once and in order', () => {
    const rows = PREDICT_CHUNK_ROWS + 3;
    const x: Matrix = { rows, cols: 2, data: Float32Array.from({ length: rows * 2 }, (_, i) => i) };
    const counts: number[] = [];
    // Each row's output: the sum of its two values.
    const outputs = outputsInChunks(x, 1, (values, count) => {
      counts.push(count);
      return Float32Array.from({ length: count }, (_, r) => values[2 * r] + values[2 * r + 1]);
    });
    expect(counts).toEqual([PREDICT_CHUNK_ROWS, 3]);
    expect(outputs[0]).toBe(1);
    expect(outputs[rows - 1]).toBe(Math.fround(2 * rows - 2 + 2 * rows - 1));
    expect(outputs.length).toBe(rows);
  });
});
