/**
 * Parity of the compiled training step with the eager one: the same model from the same initial
 * weights, trained on the same rows in the same seeded order, on both engines; the loss of every
 * epoch and the final test metrics are compared.
 *
 * Tolerance (without dropout): per-epoch training and validation loss within 0.1% relative (plus
 * 1e-5 absolute), test accuracy within 1 point and test loss within 1%. Both engines run the same
 * float32 math, but TensorFlow's C++ gradient functions order sums and products differently from
 * TensorFlow.js' eager gradients, so the weights drift apart by rounding; over every configuration
 * here (up to a few hundred steps) the per-epoch losses agreed to within 1.5e-5 relative, so the
 * tolerance leaves about 70x that for other CPUs and thread counts while still catching a wrong
 * formula (a missing L2 term, class weight or bias correction moves the loss by percents).
 * With dropout the masks come from a different generator (stateless, seeded per batch), so only the
 * learning is compared: final loss within 10% and test accuracy within 5 points, and the compiled
 * run repeats exactly for the same seed.
 */
import { defaultLoss, type LossName, type TrainingHyperparameters } from '../../../src/ml/hyperparameters';
import { ACTIVATIONS, buildModel, type Architecture } from '../../../src/ml/model-builder';
import { predictOutputs } from '../../../src/ml/predictor';
import { graphAddon } from '../../../src/ml/compiled/graph-addon';
import type { Matrix, ModelTask, Tf } from '../../../src/ml/tf-types';
import { trainModel, type StepEngine, type TrainingSummary } from '../../../src/ml/trainer';
import { kerasMeanLoss } from '../../support/keras-losses';
import { type PreparedFixture, prepareFixture } from '../../support/ml-data';
import { availableTestBackends, loadTf } from '../../support/tf';

const native = availableTestBackends().includes('tensorflow');
let tf: Tf;
beforeAll(async () => {
  tf = await loadTf(native ? 'tensorflow' : 'cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const LOSS_RELATIVE = 1e-3;
const LOSS_ABSOLUTE = 1e-5;

interface Outcome {
  summary: TrainingSummary;
  testLoss: number;
  testAccuracy?: number;
}

const fixtures: Record<string, () => PreparedFixture> = {
  breast_cancer: () => prepareFixture('breast_cancer.csv', 'benign', 'BINARY_CLASSIFICATION'),
  iris: () => prepareFixture('iris.csv', 'species', 'MULTICLASS_CLASSIFICATION'),
  diabetes: () => prepareFixture('diabetes.csv', 'progression', 'REGRESSION'),
};
const cache = new Map<string, PreparedFixture>();
function fixture(name: keyof typeof fixtures): PreparedFixture {
  if (!cache.has(name)) cache.set(name, fixtures[name]());
  return cache.get(name)!;
}

/** Mean loss of the model on a split, by Keras' formula of the run's loss (no class weights, no L2). */
function testLoss(loss: LossName, output: Float32Array, y: Matrix): number {
  return kerasMeanLoss(loss, y.data, output, y.cols);
}

function testAccuracy(task: ModelTask, output: Float32Array, y: Matrix): number | undefined {
  if (task === 'REGRESSION') return undefined;
  let right = 0;
  for (let r = 0; r < y.rows; r++) {
    const row = (m: ArrayLike<number>) => Array.from({ length: y.cols }, (_, c) => m[r * y.cols + c]);
    const predicted = task === 'BINARY_CLASSIFICATION' ? Number(output[r] >= 0.5) : argMax(row(output));
    const actual = task === 'BINARY_CLASSIFICATION' ? y.data[r] : argMax(row(y.data));
    right += predicted === actual ? 1 : 0;
  }
  return right / y.rows;
}

function argMax(values: number[]): number {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}

async function train(
  name: keyof typeof fixtures,
  architecture: Architecture,
  hyperparameters: TrainingHyperparameters,
  stepEngine: StepEngine,
  classWeights?: number[],
): Promise<Outcome> {
  const data = fixture(name);
  const { spec } = data;
  const classCount = spec.label.kind === 'CLASSES' ? spec.label.classes.length : undefined;
  const model = buildModel({ tf, architecture, task: spec.task, inputWidth: spec.inputWidth, classCount, seed: 3 });
  try {
    const summary = await trainModel({
      tf,
      model,
      task: spec.task,
      x: data.train.x,
      y: data.train.labels!.targets,
      validation: { x: data.validation.x, y: data.validation.labels!.targets },
      hyperparameters,
      seed: 11,
      classWeights,
      stepEngine,
    });
    const output = predictOutputs(tf, model, data.test.x);
    const y = data.test.labels!.targets;
    return { summary, testLoss: testLoss(hyperparameters.loss ?? defaultLoss(spec.task), output, y), testAccuracy: testAccuracy(spec.task, output, y) };
  } finally {
    model.dispose();
  }
}

function expectLossesClose(compiled: TrainingSummary, eager: TrainingSummary): void {
  expect(compiled.stepEngine).toBe('COMPILED');
  expect(eager.stepEngine).toBe('EAGER');
  expect(compiled.history).toHaveLength(eager.history.length);
  compiled.history.forEach((epoch, i) => {
    const reference = eager.history[i].train.loss;
    expect(Math.abs(epoch.train.loss - reference)).toBeLessThanOrEqual(LOSS_RELATIVE * Math.abs(reference) + LOSS_ABSOLUTE);
    const validation = eager.history[i].validation!.loss;
    expect(Math.abs(epoch.validation!.loss - validation)).toBeLessThanOrEqual(LOSS_RELATIVE * Math.abs(validation) + LOSS_ABSOLUTE);
  });
}

async function expectParity(
  name: keyof typeof fixtures,
  architecture: Architecture,
  hyperparameters: TrainingHyperparameters,
  classWeights?: number[],
): Promise<{ eager: Outcome; compiled: Outcome }> {
  const eager = await train(name, architecture, hyperparameters, 'EAGER', classWeights);
  const compiled = await train(name, architecture, hyperparameters, 'COMPILED', classWeights);
  expectLossesClose(compiled.summary, eager.summary);
  expect(Math.abs(compiled.testLoss - eager.testLoss)).toBeLessThanOrEqual(0.01 * eager.testLoss + LOSS_ABSOLUTE);
  if (eager.testAccuracy !== undefined) expect(Math.abs(compiled.testAccuracy! - eager.testAccuracy)).toBeLessThanOrEqual(0.01 + 1e-9);
  return { eager, compiled };
}

const adam = (epochs: number, batchSize = 32): TrainingHyperparameters => ({ epochs, batchSize, optimizer: 'ADAM' });

describe('compiled training step, parity with the eager step', () => {
  it('has the native backend and the graph addon (npm ci builds both)', () => {
    expect(native).toBe(true);
    expect(graphAddon()).toMatchObject({ available: true });
  });

  it('binary cross-entropy, relu then sigmoid, adam: same losses and test metrics', async () => {
    const { compiled } = await expectParity('breast_cancer', { layers: [{ units: 16, activation: 'relu' }] }, { ...adam(10), learningRate: 0.01 });
    expect(compiled.testAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('categorical cross-entropy with a softmax output (iris)', async () => {
    await expectParity('iris', { layers: [{ units: 12, activation: 'tanh' }] }, adam(6, 16));
  });

  it('mean squared error with a linear output, metrics in label units (diabetes)', async () => {
    const { eager, compiled } = await expectParity('diabetes', { layers: [{ units: 16, activation: 'relu' }] }, adam(5));
    const last = (o: Outcome) => o.summary.history[o.summary.history.length - 1].train;
    expect(last(compiled).mae!).toBeCloseTo(last(eager).mae!, 0);
    expect(Math.abs(last(compiled).rmse! - last(eager).rmse!)).toBeLessThanOrEqual(LOSS_RELATIVE * last(eager).rmse!);
  });

  it.each(['MEAN_ABSOLUTE_ERROR', 'HUBER'] as const)('%s with a linear output (diabetes): the loss each engine reports is that loss', async (loss) => {
    const { eager, compiled } = await expectParity('diabetes', { layers: [{ units: 16, activation: 'relu' }] }, { ...adam(5), loss });
    // Both engines' epoch losses agree (above), the eager one's is Keras' formula (losses.test.ts), and so is each test loss here.
    expect([eager.summary.loss, compiled.summary.loss]).toEqual([loss, loss]);
    expect(compiled.testLoss).toBeGreaterThan(0);
  });

  it.each(ACTIVATIONS.filter((activation) => activation !== 'softmax'))('hidden activation %s', async (activation) => {
    await expectParity(
      'breast_cancer',
      {
        layers: [
          { units: 8, activation },
          { units: 6, activation },
        ],
      },
      adam(3, 64),
    );
  });

  it('a softmax hidden layer', async () => {
    await expectParity('breast_cancer', { layers: [{ units: 5, activation: 'softmax' }] }, adam(3, 64));
  });

  it.each(['SGD', 'MOMENTUM', 'RMSPROP', 'ADAGRAD', 'ADAM'] as const)('optimizer %s', async (optimizer) => {
    await expectParity('breast_cancer', { layers: [{ units: 10, activation: 'relu' }] }, { epochs: 4, batchSize: 32, optimizer });
  });

  it('L2 penalties and class weights', async () => {
    await expectParity(
      'breast_cancer',
      {
        layers: [
          { units: 12, activation: 'relu', l2: 0.01 },
          { units: 6, activation: 'elu', l2: 0.001 },
        ],
      },
      adam(4),
      [2.5, 0.7],
    );
  });

  it('full batch (no batchSize) and a last batch shorter than the others', async () => {
    await expectParity('breast_cancer', { layers: [{ units: 8, activation: 'relu' }] }, { epochs: 5, optimizer: 'ADAM', learningRate: 0.01 });
    await expectParity('iris', { layers: [{ units: 8, activation: 'relu' }] }, adam(3, 37));
  });

  it('dropout: learns like the eager step and repeats exactly for a seed', async () => {
    const architecture: Architecture = {
      layers: [
        { units: 32, activation: 'relu', dropout: 0.3 },
        { units: 16, activation: 'relu', dropout: 0.2 },
      ],
    };
    const eager = await train('breast_cancer', architecture, adam(8), 'EAGER');
    const compiled = await train('breast_cancer', architecture, adam(8), 'COMPILED');
    const again = await train('breast_cancer', architecture, adam(8), 'COMPILED');
    expect(compiled.summary.stepEngine).toBe('COMPILED');
    expect(again.summary.history.map((e) => e.train.loss)).toEqual(compiled.summary.history.map((e) => e.train.loss));
    const lastLoss = (o: Outcome) => o.summary.history[o.summary.history.length - 1].train.loss;
    expect(Math.abs(lastLoss(compiled) - lastLoss(eager))).toBeLessThanOrEqual(0.1 * lastLoss(eager));
    expect(Math.abs(compiled.testAccuracy! - eager.testAccuracy!)).toBeLessThanOrEqual(0.05);
    // Dropout is active while training: the first epoch's loss differs from a run without it.
    const plain = await train(
      'breast_cancer',
      {
        layers: [
          { units: 32, activation: 'relu' },
          { units: 16, activation: 'relu' },
        ],
      },
      adam(8),
      'COMPILED',
    );
    expect(compiled.summary.history[0].train.loss).not.toBeCloseTo(plain.summary.history[0].train.loss, 4);
  });

  it('early stopping restores the best epoch from the compiled weights', async () => {
    const hyperparameters: TrainingHyperparameters = {
      epochs: 40,
      batchSize: 16,
      optimizer: 'ADAM',
      learningRate: 0.05,
      earlyStopping: { monitor: 'val_loss', patience: 2 },
    };
    const architecture: Architecture = { layers: [{ units: 64, activation: 'relu' }] };
    const eager = await train('breast_cancer', architecture, hyperparameters, 'EAGER');
    const compiled = await train('breast_cancer', architecture, hyperparameters, 'COMPILED');
    expect(compiled.summary.stopReason).toBe('EARLY_STOPPING');
    expect(compiled.summary.bestEpoch).toBe(eager.summary.bestEpoch);
    expect(compiled.summary.restoredBestWeights).toBe(eager.summary.restoredBestWeights);
    expect(Math.abs(compiled.testLoss - eager.testLoss)).toBeLessThanOrEqual(0.01 * eager.testLoss);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await train('iris', { layers: [{ units: 8, activation: 'relu', dropout: 0.1 }] }, adam(2), 'COMPILED');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('compiled training step fallback', () => {
  it('trains eagerly and says why when the model has a layer the compiled step does not build', async () => {
    const data = fixture('breast_cancer');
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [data.spec.inputWidth] }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    try {
      const summary = await trainModel({
        tf,
        model,
        task: 'BINARY_CLASSIFICATION',
        x: data.train.x,
        y: data.train.labels!.targets,
        hyperparameters: adam(1),
        seed: 1,
        stepEngine: 'COMPILED',
      });
      expect(summary.stepEngine).toBe('EAGER');
      expect(summary.compiledFallbackReason).toMatch(native && graphAddon().available ? /is a BatchNormalization/ : /not loaded|did not load/);
      expect(Number.isFinite(summary.history[0].train.loss)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
