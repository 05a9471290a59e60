import { ValidationError } from '../../../src/domain/errors';
import type { TrainingHyperparameters } from '../../../src/ml/hyperparameters';
import { buildModel, type Architecture } from '../../../src/ml/model-builder';
import { predict, predictOutputs } from '../../../src/ml/predictor';
import type { Matrix, ModelTask, Tf } from '../../../src/ml/tf-types';
import { type EpochMetrics, trainModel, type TrainModelOptions } from '../../../src/ml/trainer';
import { type PreparedFixture, prepareFixture } from '../../support/ml-data';
import { availableTestBackends, loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('cpu');
});
afterEach(async () => {
  await tf.setBackend('cpu');
});

const matrix = (rows: number[][]): Matrix => ({ data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length });

function fixtureOptions(fixture: PreparedFixture, architecture: Architecture, hyperparameters: TrainingHyperparameters, seed = 1): TrainModelOptions {
  const { spec, train, validation } = fixture;
  const classCount = spec.label.kind === 'CLASSES' ? spec.label.classes.length : undefined;
  return {
    tf,
    model: buildModel({ tf, architecture, task: spec.task, inputWidth: spec.inputWidth, classCount, seed }),
    task: spec.task,
    x: train.x,
    y: train.labels!.targets,
    validation: { x: validation.x, y: validation.labels!.targets },
    hyperparameters,
    seed,
    targetScale: spec.label.kind === 'TARGET' ? spec.label.scale : 1,
  };
}

function accuracy(predicted: Int32Array, actual: Int32Array): number {
  let right = 0;
  predicted.forEach((value, i) => (right += value === actual[i] ? 1 : 0));
  return right / actual.length;
}

function r2(predicted: Float64Array, actual: Float64Array): number {
  const mean = actual.reduce((sum, v) => sum + v, 0) / actual.length;
  let residual = 0;
  let total = 0;
  actual.forEach((v, i) => {
    residual += (v - predicted[i]) ** 2;
    total += (v - mean) ** 2;
  });
  return 1 - residual / total;
}

/** Binary cross-entropy of probabilities against 0/1 targets, with Keras' clipping. */
function binaryCrossEntropy(p: Float32Array, y: Float32Array): number {
  let sum = 0;
  p.forEach((value, i) => {
    const q = Math.min(Math.max(value, 1e-7), 1 - 1e-7);
    sum -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  });
  return sum / p.length;
}

describe('trainModel: losses and metrics, worked by hand', () => {
  // Weights set to zero make every prediction sigmoid(0) = 0.5 (or 0 for regression). With one
  // full batch, epoch 1's training figures are measured at these weights.
  const zeroModel = (task: ModelTask, width: number) => {
    const model = buildModel({ tf, architecture: { layers: [] }, task, inputWidth: width, seed: 1 });
    model.setWeights([tf.zeros([width, 1]), tf.zeros([1])]);
    return model;
  };
  const once: TrainingHyperparameters = { epochs: 1, optimizer: 'SGD', learningRate: 0.1 };

  it('weights the binary cross-entropy by class', async () => {
    const summary = await trainModel({
      tf,
      model: zeroModel('BINARY_CLASSIFICATION', 2),
      task: 'BINARY_CLASSIFICATION',
      x: matrix([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]),
      y: matrix([[0], [0], [1], [1]]),
      classWeights: [1, 3],
      hyperparameters: once,
      seed: 1,
    });
    // Per row ln 2; weights 1, 1, 3, 3 -> mean 2 ln 2. p = 0.5 >= 0.5 predicts 1 everywhere: 2 of 4 right.
    expect(summary.history[0].train.loss).toBeCloseTo(2 * Math.LN2, 6);
    expect(summary.history[0].train.accuracy).toBe(0.5);
    expect(summary.batchesPerEpoch).toBe(1);
  });

  it('adds the L2 penalty of hidden layers to the loss', async () => {
    const model = buildModel({
      tf,
      architecture: { layers: [{ units: 1, activation: 'linear', l2: 0.5 }] },
      task: 'BINARY_CLASSIFICATION',
      inputWidth: 2,
      seed: 1,
    });
    model.setWeights([tf.ones([2, 1]), tf.zeros([1]), tf.zeros([1, 1]), tf.zeros([1])]);
    const summary = await trainModel({
      tf,
      model,
      task: 'BINARY_CLASSIFICATION',
      x: matrix([
        [1, 0],
        [0, 1],
      ]),
      y: matrix([[0], [1]]),
      hyperparameters: once,
      seed: 1,
    });
    // ln 2 from the output, plus 0.5 * (1^2 + 1^2) from the hidden kernel.
    expect(summary.history[0].train.loss).toBeCloseTo(Math.LN2 + 1, 6);
  });

  it('reports regression errors in label units', async () => {
    const summary = await trainModel({
      tf,
      model: zeroModel('REGRESSION', 1),
      task: 'REGRESSION',
      x: matrix([[1], [2], [3]]),
      y: matrix([[1], [-2], [3]]),
      targetScale: 2,
      hyperparameters: once,
      seed: 1,
    });
    // Output 0: MSE (1 + 4 + 9) / 3; MAE (1 + 2 + 3) / 3 = 2, times the scale 2; RMSE sqrt(14/3) * 2.
    const { train } = summary.history[0];
    expect(train.loss).toBeCloseTo(14 / 3, 5);
    expect(train.mae).toBeCloseTo(4, 5);
    expect(train.rmse).toBeCloseTo(Math.sqrt(14 / 3) * 2, 5);
  });
});

describe('trainModel dropout', () => {
  it('drops units while training only, with a new mask per batch', async () => {
    const rows = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i), i / 16]);
    const data = matrix(rows);
    const targets = matrix(rows.map((_, i) => [i % 2]));
    const model = buildModel({
      tf,
      architecture: { layers: [{ units: 32, activation: 'relu', dropout: 0.5 }] },
      task: 'BINARY_CLASSIFICATION',
      inputWidth: 3,
      seed: 1,
    });
    // A vanishing learning rate keeps the weights (almost) fixed across the two epochs.
    const summary = await trainModel({
      tf,
      model,
      task: 'BINARY_CLASSIFICATION',
      x: data,
      y: targets,
      validation: { x: data, y: targets },
      hyperparameters: { epochs: 2, optimizer: 'SGD', learningRate: 1e-9 },
      seed: 1,
    });
    const [first, second] = summary.history;
    expect(Math.abs(first.train.loss - second.train.loss)).toBeGreaterThan(1e-4);
    expect(second.validation!.loss).toBeCloseTo(first.validation!.loss, 6);
    expect(Math.abs(first.train.loss - first.validation!.loss)).toBeGreaterThan(1e-4);
  });
});

describe('trainModel on the fixtures', () => {
  it('reaches test accuracy >= 0.93 on breast_cancer.csv', async () => {
    const fixture = prepareFixture('breast_cancer.csv', 'benign', 'BINARY_CLASSIFICATION');
    const options = fixtureOptions(
      fixture,
      { layers: [{ units: 16, activation: 'relu', dropout: 0.1 }] },
      {
        epochs: 30,
        batchSize: 32,
        optimizer: 'ADAM',
        learningRate: 0.005,
      },
    );
    const before = tf.memory().numTensors;
    const epochs: EpochMetrics[] = [];
    const summary = await trainModel({ ...options, onEpochEnd: (m) => void epochs.push(m) });
    expect(tf.memory().numTensors).toBe(before);
    expect(summary).toMatchObject({ epochsRun: 30, stopReason: 'COMPLETED', cancelled: false, stoppedEarly: false, batchSize: 32 });
    expect(epochs.map((m) => m.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const last = epochs[29];
    expect(last.samplesPerSecond).toBeGreaterThan(0);
    // elapsedMs runs from the start of training, epochMs is each epoch alone: elapsed is at least the sum so far, and grows.
    let epochsSoFar = 0;
    for (const [i, m] of epochs.entries()) {
      epochsSoFar += m.epochMs;
      expect(m.epochMs).toBeGreaterThan(0);
      expect(m.elapsedMs).toBeGreaterThanOrEqual(epochsSoFar - 1e-6);
      if (i > 0) expect(m.elapsedMs - epochs[i - 1].elapsedMs).toBeGreaterThanOrEqual(m.epochMs - 1e-6);
    }
    // The reported validation figures are those of the final model.
    const valPredictions = predict(tf, options.model, fixture.spec, fixture.validation.x);
    const valClasses = (fixture.validation.labels as { classIndex: Int32Array }).classIndex;
    expect(last.validation!.accuracy).toBeCloseTo(accuracy((valPredictions as { classIndex: Int32Array }).classIndex, valClasses), 10);
    const valOutputs = predictOutputs(tf, options.model, fixture.validation.x);
    expect(last.validation!.loss).toBeCloseTo(binaryCrossEntropy(valOutputs, fixture.validation.labels!.targets.data), 4);

    const test = predict(tf, options.model, fixture.spec, fixture.test.x);
    const testAccuracy = accuracy((test as { classIndex: Int32Array }).classIndex, (fixture.test.labels as { classIndex: Int32Array }).classIndex);
    expect(testAccuracy).toBeGreaterThanOrEqual(0.93);
  });

  it('reaches test accuracy >= 0.90 on iris.csv', async () => {
    const fixture = prepareFixture('iris.csv', 'species', 'MULTICLASS_CLASSIFICATION');
    const options = fixtureOptions(
      fixture,
      { layers: [{ units: 16, activation: 'relu' }] },
      {
        epochs: 60,
        batchSize: 16,
        optimizer: 'ADAM',
        learningRate: 0.01,
      },
    );
    await trainModel(options);
    const test = predict(tf, options.model, fixture.spec, fixture.test.x);
    expect(test.kind).toBe('CLASSES');
    const testAccuracy = accuracy((test as { classIndex: Int32Array }).classIndex, (fixture.test.labels as { classIndex: Int32Array }).classIndex);
    expect(testAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('reaches test R2 >= 0.3 on diabetes.csv', async () => {
    const fixture = prepareFixture('diabetes.csv', 'progression', 'REGRESSION');
    const options = fixtureOptions(
      fixture,
      { layers: [{ units: 16, activation: 'relu' }] },
      {
        epochs: 100,
        batchSize: 32,
        optimizer: 'ADAM',
        learningRate: 0.01,
        earlyStopping: { monitor: 'val_loss', patience: 10 },
      },
    );
    const summary = await trainModel(options);
    const test = predict(tf, options.model, fixture.spec, fixture.test.x);
    expect(test.kind).toBe('VALUES');
    const testR2 = r2((test as { values: Float64Array }).values, (fixture.test.labels as { values: Float64Array }).values);
    expect(testR2).toBeGreaterThanOrEqual(0.3);
    expect(summary.history[0].train.mae).toBeGreaterThan(0);
  });
});

describe('trainModel reproducibility', () => {
  const fixture = prepareFixture('breast_cancer.csv', 'benign', 'BINARY_CLASSIFICATION');
  const run = async (seed: number) => {
    const options = fixtureOptions(
      fixture,
      { layers: [{ units: 8, activation: 'relu', dropout: 0.3 }] },
      { epochs: 4, batchSize: 16, optimizer: 'ADAM', learningRate: 0.01 },
      seed,
    );
    const summary = await trainModel(options);
    options.model.dispose();
    return summary.history[summary.history.length - 1];
  };

  it.each(availableTestBackends())('gives the same final loss for the same seed on the %s backend', async (backend) => {
    await tf.setBackend(backend);
    const first = await run(5);
    const second = await run(5);
    expect(Math.abs(first.train.loss - second.train.loss)).toBeLessThan(1e-4);
    expect(Math.abs(first.validation!.loss - second.validation!.loss)).toBeLessThan(1e-4);
    const other = await run(6);
    expect(Math.abs(other.train.loss - first.train.loss)).toBeGreaterThan(1e-4);
  });
});

describe('trainModel stopping', () => {
  it('stops early on val_loss and restores the best epoch', async () => {
    const fixture = prepareFixture('breast_cancer.csv', 'benign', 'BINARY_CLASSIFICATION');
    // A wide network and a high learning rate overfit these 398 rows within a few dozen epochs.
    const options = fixtureOptions(
      fixture,
      { layers: [{ units: 64, activation: 'relu' }] },
      {
        epochs: 300,
        batchSize: 32,
        optimizer: 'ADAM',
        learningRate: 0.02,
        earlyStopping: { monitor: 'val_loss', patience: 3 },
      },
    );
    const summary = await trainModel(options);
    expect(summary.stopReason).toBe('EARLY_STOPPING');
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.epochsRun).toBeLessThan(300);
    expect(summary.epochsRun).toBe(summary.bestEpoch! + 3);
    const valLosses = summary.history.map((m) => m.validation!.loss);
    expect(summary.bestValue).toBe(Math.min(...valLosses));
    expect(summary.restoredBestWeights).toBe(true);
    const outputs = predictOutputs(tf, options.model, fixture.validation.x);
    expect(binaryCrossEntropy(outputs, fixture.validation.labels!.targets.data)).toBeCloseTo(summary.bestValue!, 4);
  });

  it('stops at the batch where shouldStop turns true', async () => {
    const fixture = prepareFixture('breast_cancer.csv', 'benign', 'BINARY_CLASSIFICATION');
    const options = fixtureOptions(fixture, { layers: [{ units: 8, activation: 'relu' }] }, { epochs: 50, batchSize: 32, optimizer: 'SGD' });
    const batches = Math.ceil(fixture.train.x.rows / 32);
    let polls = 0;
    const ended: number[] = [];
    const summary = await trainModel({
      ...options,
      shouldStop: () => ++polls > batches + 3,
      onEpochEnd: (m) => void ended.push(m.epoch),
    });
    expect(summary).toMatchObject({ cancelled: true, stopReason: 'CANCELLED', epochsRun: 1, restoredBestWeights: false });
    expect(ended).toEqual([1]);
    expect(polls).toBe(batches + 4);
  });

  it('sees a cancel flag set by a timer while an epoch is running', async () => {
    const rows = 20_000;
    const x = new Float32Array(rows * 4).map((_, i) => Math.sin(i));
    const y = new Float32Array(rows).map((_, i) => i % 2);
    let cancelled = false;
    // A real timer is what is tested: it can only fire if the training loop yields to the event loop.
    setTimeout(() => (cancelled = true), 30);
    const model = buildModel({ tf, architecture: { layers: [{ units: 8, activation: 'relu' }] }, task: 'BINARY_CLASSIFICATION', inputWidth: 4, seed: 1 });
    const summary = await trainModel({
      tf,
      model,
      task: 'BINARY_CLASSIFICATION',
      x: { data: x, rows, cols: 4 },
      y: { data: y, rows, cols: 1 },
      hyperparameters: { epochs: 100, batchSize: 4, optimizer: 'SGD' },
      seed: 1,
      shouldStop: () => cancelled,
    });
    // 5,000 batches per epoch: the timer can only fire in the first epoch if the loop yields.
    expect(summary).toMatchObject({ cancelled: true, epochsRun: 0 });
  });
});

describe('trainModel hyperparameters', () => {
  const x = matrix([
    [0, 1],
    [1, 0],
    [1, 1],
    [0, 0],
    [2, 1],
  ]);
  const y = matrix([[1], [0], [1], [0], [1]]);
  const model = () => buildModel({ tf, architecture: { layers: [{ units: 3, activation: 'tanh' }] }, task: 'BINARY_CLASSIFICATION', inputWidth: 2, seed: 1 });

  it('uses full batches when batchSize is omitted and single rows for 1', async () => {
    const full = await trainModel({ tf, model: model(), task: 'BINARY_CLASSIFICATION', x, y, hyperparameters: { epochs: 1, optimizer: 'SGD' }, seed: 1 });
    expect([full.batchSize, full.batchesPerEpoch]).toEqual([5, 1]);
    const sgd = await trainModel({
      tf,
      model: model(),
      task: 'BINARY_CLASSIFICATION',
      x,
      y,
      hyperparameters: { epochs: 1, batchSize: 1, optimizer: 'SGD' },
      seed: 1,
    });
    expect([sgd.batchSize, sgd.batchesPerEpoch]).toEqual([1, 5]);
  });

  it.each(['SGD', 'MOMENTUM', 'ADAM', 'RMSPROP', 'ADAGRAD'] as const)('trains with %s and lowers the loss', async (optimizer) => {
    const summary = await trainModel({
      tf,
      model: model(),
      task: 'BINARY_CLASSIFICATION',
      x,
      y,
      hyperparameters: { epochs: 40, optimizer, learningRate: 0.1 },
      seed: 1,
    });
    expect(summary.history[39].train.loss).toBeLessThan(summary.history[0].train.loss);
  });

  it('rejects invalid hyperparameters with the field at fault', async () => {
    const fieldOf = async (hyperparameters: TrainingHyperparameters) => {
      try {
        await trainModel({ tf, model: model(), task: 'BINARY_CLASSIFICATION', x, y, hyperparameters, seed: 1 });
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).location.field;
      }
      return undefined;
    };
    expect(await fieldOf({ epochs: 0, optimizer: 'SGD' })).toBe('input.hyperparameters.epochs');
    expect(await fieldOf({ epochs: 1, batchSize: 0, optimizer: 'SGD' })).toBe('input.hyperparameters.batchSize');
    expect(await fieldOf({ epochs: 1, optimizer: 'LBFGS' as never })).toBe('input.hyperparameters.optimizer');
    expect(await fieldOf({ epochs: 1, optimizer: 'SGD', learningRate: 0 })).toBe('input.hyperparameters.learningRate');
    expect(await fieldOf({ epochs: 1, optimizer: 'SGD', earlyStopping: { monitor: 'val_loss', patience: 1 } })).toBe(
      'input.hyperparameters.earlyStopping.monitor',
    );
    expect(await fieldOf({ epochs: 1, optimizer: 'SGD', earlyStopping: { monitor: 'rmse', patience: 1 } })).toBe('input.hyperparameters.earlyStopping.monitor');
    expect(await fieldOf({ epochs: 1, optimizer: 'SGD', earlyStopping: { monitor: 'loss', patience: -1 } })).toBe(
      'input.hyperparameters.earlyStopping.patience',
    );
  });
});
