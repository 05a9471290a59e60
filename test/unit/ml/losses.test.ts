/**
 * Each loss a run can train with, as the trainer computes it (eagerly, on every available backend),
 * against Keras' formulas computed independently in float64 (`test/support/keras-losses.ts`), and a
 * trained run's reported validation loss against the same formula on its outputs. The compiled
 * step's losses are compared with these in `compiled-training.test.ts`.
 */
import { defaultLoss, LOSSES, LOSSES_BY_TASK, type LossName } from '../../../src/ml/hyperparameters';
import { buildModel } from '../../../src/ml/model-builder';
import { predictOutputs } from '../../../src/ml/predictor';
import type { Tf } from '../../../src/ml/tf-types';
import { perRowLoss, trainModel } from '../../../src/ml/trainer';
import { kerasMeanLoss, kerasRowLoss } from '../../support/keras-losses';
import { prepareFixture } from '../../support/ml-data';
import { availableTestBackends, loadTf } from '../../support/tf';

/** Rows of two output units: errors inside and beyond Huber's delta of 1, exactly at it, and probabilities at 0 and 1 (clipped). */
const REGRESSION = { y: [0, 1, 2, -1, 0.5, 3, -2, 0], output: [0.3, -0.5, 2, 0, 2.5, 0.5, -1.2, 1] };
const PROBABILITIES = { y: [1, 0, 0, 1, 1, 0, 0, 1], output: [0.9, 0.2, 0, 1, 1e-9, 0.999, 0.35, 0.65] };
const SOFTMAX = { y: [1, 0, 0, 1, 0, 1, 1, 0], output: [0.7, 0.3, 0.1, 0.9, 1, 0, 0.5, 0.5] };

function inputsFor(loss: LossName): { y: number[]; output: number[] } {
  if (loss === 'BINARY_CROSSENTROPY') return PROBABILITIES;
  if (loss === 'CATEGORICAL_CROSSENTROPY') return SOFTMAX;
  return REGRESSION;
}

describe.each(availableTestBackends())('losses on the %s backend', (backend) => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await loadTf(backend);
  });

  it.each(LOSSES)("%s per row matches Keras' formula", (loss) => {
    const { y, output } = inputsFor(loss);
    const rows = y.length / 2;
    const perRow = tf.tidy(() => perRowLoss(tf, loss, tf.tensor2d(y, [rows, 2]), tf.tensor2d(output, [rows, 2])).dataSync());
    for (let r = 0; r < rows; r++) {
      const expected = kerasRowLoss(loss, y.slice(2 * r, 2 * r + 2), output.slice(2 * r, 2 * r + 2));
      expect(Math.abs(perRow[r] - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
    }
  });
});

describe('losses by task', () => {
  it('offers cross-entropy to classification and MSE, MAE and Huber to regression, the first being the default', () => {
    expect(LOSSES_BY_TASK).toEqual({
      BINARY_CLASSIFICATION: ['BINARY_CROSSENTROPY'],
      MULTICLASS_CLASSIFICATION: ['CATEGORICAL_CROSSENTROPY'],
      REGRESSION: ['MEAN_SQUARED_ERROR', 'MEAN_ABSOLUTE_ERROR', 'HUBER'],
    });
    expect([defaultLoss('BINARY_CLASSIFICATION'), defaultLoss('MULTICLASS_CLASSIFICATION'), defaultLoss('REGRESSION')]).toEqual([
      'BINARY_CROSSENTROPY',
      'CATEGORICAL_CROSSENTROPY',
      'MEAN_SQUARED_ERROR',
    ]);
  });

  it.each(['MEAN_ABSOLUTE_ERROR', 'HUBER'] as const)('trains a regression with %s and reports that loss for its validation split', async (loss) => {
    const tf = await loadTf('cpu');
    const data = prepareFixture('diabetes.csv', 'progression', 'REGRESSION');
    const model = buildModel({
      tf,
      architecture: { layers: [{ units: 8, activation: 'relu' }] },
      task: 'REGRESSION',
      inputWidth: data.spec.inputWidth,
      seed: 5,
    });
    try {
      const summary = await trainModel({
        tf,
        model,
        task: 'REGRESSION',
        x: data.train.x,
        y: data.train.labels!.targets,
        validation: { x: data.validation.x, y: data.validation.labels!.targets },
        hyperparameters: { epochs: 3, batchSize: 32, optimizer: 'ADAM', loss },
        seed: 9,
      });
      expect(summary.loss).toBe(loss);
      expect(summary.gradientSteps).toBe(3 * Math.ceil(data.train.x.rows / 32));
      const outputs = predictOutputs(tf, model, data.validation.x);
      const expected = kerasMeanLoss(loss, data.validation.labels!.targets.data, outputs, 1);
      expect(summary.history[2].validation!.loss).toBeCloseTo(expected, 5);
      // The training loss fell: the gradient of the loss moved the weights the right way.
      expect(summary.history[2].train.loss).toBeLessThan(summary.history[0].train.loss);
    } finally {
      model.dispose();
    }
  });
});
