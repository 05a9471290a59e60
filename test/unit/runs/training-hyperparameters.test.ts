import {
  classWeightVector,
  parseTrainingHyperparameters,
  toTrainerHyperparameters,
  type HyperparameterContext,
} from '../../../src/domain/runs/training-hyperparameters';
import { ValidationError } from '../../../src/domain/errors';
import { expectValidationError } from '../datasets/expect-validation-error';

const binary: HyperparameterContext = { task: 'BINARY_CLASSIFICATION', labelClasses: ['benign', 'malignant'], randomSeed: () => 4242 };
const multiclass: HyperparameterContext = { task: 'MULTICLASS_CLASSIFICATION', labelClasses: ['setosa', 'versicolor', 'virginica'], randomSeed: () => 7 };
const regression: HyperparameterContext = { task: 'REGRESSION', randomSeed: () => 1 };
const F = 'input.hyperparameters';

describe('parseTrainingHyperparameters: defaults', () => {
  it("fills every field from nothing, with Keras' fit defaults: 10 epochs, batches of 32, Adam at 0.001, the task's loss", () => {
    const expected = {
      epochs: 10,
      batchSize: 32,
      optimizer: 'ADAM',
      learningRate: 0.001,
      loss: 'BINARY_CROSSENTROPY',
      split: { train: 0.7, validation: 0.15, test: 0.15 },
      seed: 4242,
      earlyStopping: null,
      classWeights: null,
      backend: 'AUTO',
    };
    expect(parseTrainingHyperparameters(undefined, binary)).toEqual(expected);
    expect(parseTrainingHyperparameters(null, binary)).toEqual(expected);
    expect(parseTrainingHyperparameters({}, binary)).toEqual(expected);
  });

  it('treats null fields like omitted ones (GraphQL sends either)', () => {
    const parsed = parseTrainingHyperparameters(
      { epochs: null, batchSize: null, optimizer: null, learningRate: null, split: null, seed: null, earlyStopping: null, classWeights: null, backend: null },
      binary,
    );
    expect(parsed).toEqual(parseTrainingHyperparameters({}, binary));
  });

  it.each([
    ['SGD', 0.01],
    ['MOMENTUM', 0.01],
    ['ADAM', 0.001],
    ['RMSPROP', 0.001],
    ['ADAGRAD', 0.001],
  ])('default learning rate of %s is %s (as Keras)', (optimizer, rate) => {
    expect(parseTrainingHyperparameters({ optimizer }, binary).learningRate).toBe(rate);
  });

  it('draws and records a seed in [0, 2^31) when none is given', () => {
    const seeds = Array.from({ length: 20 }, () => parseTrainingHyperparameters({}, { task: 'REGRESSION' }).seed);
    for (const seed of seeds) {
      expect(Number.isSafeInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 31);
    }
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('completes early stopping with patience 5, minDelta 0 and restoreBestWeights', () => {
    expect(parseTrainingHyperparameters({ earlyStopping: { monitor: 'val_loss' } }, binary).earlyStopping).toEqual({
      monitor: 'val_loss',
      patience: 5,
      minDelta: 0,
      restoreBestWeights: true,
    });
  });

  it('output survives a JSON round trip unchanged', () => {
    const parsed = parseTrainingHyperparameters(
      { epochs: 3, batchSize: 32, classWeights: [{ class: 'malignant', weight: 2 }], earlyStopping: { monitor: 'loss', patience: 0 } },
      binary,
    );
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
  });
});

describe('parseTrainingHyperparameters: accepted values', () => {
  it('keeps everything given', () => {
    expect(
      parseTrainingHyperparameters(
        {
          epochs: 10000,
          batchSize: 1,
          optimizer: 'SGD',
          learningRate: 10,
          loss: 'CATEGORICAL_CROSSENTROPY',
          split: { train: 0.5, validation: 0, test: 0.5 },
          seed: -3,
          earlyStopping: { monitor: 'accuracy', patience: 0, minDelta: 0.01, restoreBestWeights: false },
          classWeights: [
            { class: 'virginica', weight: 0.5 },
            { class: 'setosa', weight: 3 },
          ],
          backend: 'CPU',
        },
        multiclass,
      ),
    ).toEqual({
      epochs: 10000,
      batchSize: 1,
      optimizer: 'SGD',
      learningRate: 10,
      loss: 'CATEGORICAL_CROSSENTROPY',
      split: { train: 0.5, validation: 0, test: 0.5 },
      seed: -3,
      earlyStopping: { monitor: 'accuracy', patience: 0, minDelta: 0.01, restoreBestWeights: false },
      // Label-class order, not input order.
      classWeights: [
        { class: 'setosa', weight: 3 },
        { class: 'virginica', weight: 0.5 },
      ],
      backend: 'CPU',
    });
  });

  it('accepts the boundaries epochs 1, a tiny learning rate and a mini-batch', () => {
    const parsed = parseTrainingHyperparameters({ epochs: 1, learningRate: 1e-9, batchSize: 256, backend: 'TENSORFLOW' }, regression);
    expect([parsed.epochs, parsed.learningRate, parsed.batchSize, parsed.backend]).toEqual([1, 1e-9, 256, 'TENSORFLOW']);
  });

  it('accepts fractions that sum to 1 only up to rounding', () => {
    expect(parseTrainingHyperparameters({ split: { train: 0.6, validation: 0.3, test: 0.1 } }, regression).split).toEqual({
      train: 0.6,
      validation: 0.3,
      test: 0.1,
    });
  });

  it.each(['MEAN_SQUARED_ERROR', 'MEAN_ABSOLUTE_ERROR', 'HUBER'])('accepts the regression loss %s for regression', (loss) => {
    expect(parseTrainingHyperparameters({ loss }, regression).loss).toBe(loss);
  });

  it("accepts validation 0 (Keras' plain fit) and test 0, and a training-loss monitor without validation", () => {
    const parsed = parseTrainingHyperparameters({ split: { train: 1 - 0, validation: 0, test: 0 }, earlyStopping: { monitor: 'loss', patience: 2 } }, binary);
    expect(parsed.split).toEqual({ train: 1, validation: 0, test: 0 });
    expect(parsed.earlyStopping?.monitor).toBe('loss');
    expect(parseTrainingHyperparameters({ split: { train: 0.8, validation: 0.2, test: 0 } }, binary).split.test).toBe(0);
  });

  it('accepts regression monitors for regression', () => {
    expect(parseTrainingHyperparameters({ earlyStopping: { monitor: 'val_mae', patience: 2 } }, regression).earlyStopping?.monitor).toBe('val_mae');
  });
});

describe('parseTrainingHyperparameters: errors', () => {
  const cases: Array<[string, unknown, HyperparameterContext, string, RegExp]> = [
    ['not an object', 5, binary, F, /hyperparameters must be an object/],
    ['an unknown field', { epoch: 3 }, binary, `${F}.epoch`, /^input\.hyperparameters\.epoch is not a known field$/],
    ['epochs 0', { epochs: 0 }, binary, `${F}.epochs`, /epochs must be an integer from 1 to 10,000, got 0/],
    ['epochs 10001', { epochs: 10001 }, binary, `${F}.epochs`, /from 1 to 10,000/],
    ['fractional epochs', { epochs: 2.5 }, binary, `${F}.epochs`, /epochs must be an integer/],
    ['epochs as a string', { epochs: '5' }, binary, `${F}.epochs`, /epochs must be an integer/],
    ['batchSize 0', { batchSize: 0 }, binary, `${F}.batchSize`, /batchSize must be an integer from 1/],
    ['fractional batchSize', { batchSize: 1.5 }, binary, `${F}.batchSize`, /batchSize must be an integer/],
    ['an unknown optimizer', { optimizer: 'LBFGS' }, binary, `${F}.optimizer`, /optimizer must be one of SGD, MOMENTUM, ADAM, RMSPROP, ADAGRAD/],
    ['learningRate 0', { learningRate: 0 }, binary, `${F}.learningRate`, /learningRate must be in \(0, 10\]/],
    ['negative learningRate', { learningRate: -0.1 }, binary, `${F}.learningRate`, /learningRate/],
    ['learningRate above 10', { learningRate: 10.5 }, binary, `${F}.learningRate`, /learningRate/],
    ['learningRate NaN', { learningRate: NaN }, binary, `${F}.learningRate`, /learningRate/],
    ['a split that is not an object', { split: [0.7, 0.15, 0.15] }, binary, `${F}.split`, /split must be an object/],
    ['a split without test', { split: { train: 0.8, validation: 0.2 } }, binary, `${F}.split.test`, /split.test is required/],
    ['a split that sums to 0.9', { split: { train: 0.6, validation: 0.2, test: 0.1 } }, binary, `${F}.split`, /must sum to 1/],
    ['a negative fraction', { split: { train: 0.9, validation: -0.1, test: 0.2 } }, binary, `${F}.split.validation`, /\[0, 1\]/],
    ['train 0', { split: { train: 0, validation: 0.5, test: 0.5 } }, binary, `${F}.split.train`, /train must be greater than 0/],
    ['a fraction above 1', { split: { train: 1.5, validation: -0.5, test: 0 } }, binary, `${F}.split.train`, /\[0, 1\]/],
    [
      'a regression loss for classification',
      { loss: 'HUBER' },
      binary,
      `${F}.loss`,
      /loss HUBER does not fit a BINARY_CLASSIFICATION model; use BINARY_CROSSENTROPY/,
    ],
    ['binary cross-entropy for multiclass', { loss: 'BINARY_CROSSENTROPY' }, multiclass, `${F}.loss`, /use CATEGORICAL_CROSSENTROPY/],
    ['cross-entropy for regression', { loss: 'CATEGORICAL_CROSSENTROPY' }, regression, `${F}.loss`, /use MEAN_SQUARED_ERROR or MEAN_ABSOLUTE_ERROR or HUBER/],
    ['an unknown loss', { loss: 'HINGE' }, binary, `${F}.loss`, /loss must be one of BINARY_CROSSENTROPY, .*, HUBER, got HINGE/],
    ['a fractional seed', { seed: 1.5 }, binary, `${F}.seed`, /seed must be an integer, got 1.5/],
    ['an unsafe seed', { seed: 2 ** 53 }, binary, `${F}.seed`, /seed must be an integer/],
    ['early stopping without monitor', { earlyStopping: { patience: 2 } }, binary, `${F}.earlyStopping.monitor`, /monitor is required/],
    ['an unknown monitor', { earlyStopping: { monitor: 'f1' } }, binary, `${F}.earlyStopping.monitor`, /monitor must be one of/],
    [
      'a regression monitor for classification',
      { earlyStopping: { monitor: 'val_rmse' } },
      binary,
      `${F}.earlyStopping.monitor`,
      /val_rmse is not reported for BINARY_CLASSIFICATION/,
    ],
    [
      'accuracy for regression',
      { earlyStopping: { monitor: 'accuracy' } },
      regression,
      `${F}.earlyStopping.monitor`,
      /accuracy is not reported for REGRESSION/,
    ],
    [
      'a validation monitor without validation rows',
      { split: { train: 0.8, validation: 0, test: 0.2 }, earlyStopping: { monitor: 'val_loss' } },
      binary,
      `${F}.earlyStopping.monitor`,
      /val_loss needs a validation split; with split.validation 0, monitor loss \(the training loss\) instead/,
    ],
    ['negative patience', { earlyStopping: { monitor: 'loss', patience: -1 } }, binary, `${F}.earlyStopping.patience`, /patience must be an integer from 0/],
    ['negative minDelta', { earlyStopping: { monitor: 'loss', minDelta: -0.1 } }, binary, `${F}.earlyStopping.minDelta`, /minDelta must be a number >= 0/],
    [
      'a non-boolean restoreBestWeights',
      { earlyStopping: { monitor: 'loss', restoreBestWeights: 'yes' } },
      binary,
      `${F}.earlyStopping.restoreBestWeights`,
      /must be a boolean/,
    ],
    ['class weights for regression', { classWeights: [{ class: 'a', weight: 1 }] }, regression, `${F}.classWeights`, /classification models only/],
    ['class weights that are not a list', { classWeights: { benign: 1 } }, binary, `${F}.classWeights`, /must be a list/],
    [
      'an unknown class',
      {
        classWeights: [
          { class: 'benign', weight: 1 },
          { class: 'other', weight: 2 },
        ],
      },
      binary,
      `${F}.classWeights[1].class`,
      /"other" is not a label class of the dataset version \(benign, malignant\)/,
    ],
    [
      'a class weighted twice',
      {
        classWeights: [
          { class: 'benign', weight: 1 },
          { class: 'benign', weight: 2 },
        ],
      },
      binary,
      `${F}.classWeights[1].class`,
      /weighted twice/,
    ],
    ['a zero weight', { classWeights: [{ class: 'benign', weight: 0 }] }, binary, `${F}.classWeights[0].weight`, /greater than 0, got 0/],
    ['an infinite weight', { classWeights: [{ class: 'benign', weight: Infinity }] }, binary, `${F}.classWeights[0].weight`, /greater than 0/],
    ['an unknown backend', { backend: 'GPU' }, binary, `${F}.backend`, /backend must be one of AUTO, TENSORFLOW, TENSORFLOW_COMPILED, CPU, got GPU/],
  ];

  it.each(cases)('rejects %s', (_name, input, context, field, message) => {
    expectValidationError(() => parseTrainingHyperparameters(input, context), { field }, message);
  });

  it('lists every problem of the input, each with its field', () => {
    try {
      parseTrainingHyperparameters(
        { epochs: 0, batchSize: 0, learningRate: -1, loss: 'HUBER', seed: 1.5, backend: 'GPU', earlyStopping: { monitor: 'loss', patience: -1 } },
        binary,
      );
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map((violation) => violation.field)).toEqual([
        `${F}.epochs`,
        `${F}.batchSize`,
        `${F}.learningRate`,
        `${F}.loss`,
        `${F}.earlyStopping.patience`,
        `${F}.seed`,
        `${F}.backend`,
      ]);
    }
  });

  it('reports shape problems of nested fields and unknown fields beside the rules that need the task and data', () => {
    // Before the zod schemas, an unknown field or a bad split stopped the check at that one problem.
    try {
      parseTrainingHyperparameters(
        {
          epoch: 3,
          loss: 'HUBER',
          split: { train: 0.8, validation: -0.2, test: 0.4, extra: 1 },
          earlyStopping: { monitor: 'val_rmse', patience: 1.5 },
          classWeights: [
            { class: 'benign', weight: 0 },
            { class: 'other', weight: 1 },
          ],
        },
        binary,
      );
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map((violation) => violation.field)).toEqual([
        `${F}.loss`,
        `${F}.split.validation`,
        `${F}.split.extra`,
        `${F}.earlyStopping.patience`,
        `${F}.earlyStopping.monitor`,
        `${F}.classWeights[0].weight`,
        `${F}.epoch`,
      ]);
    }
  });

  it('checks the classes of well-formed class weights while other fields are refused', () => {
    expectValidationError(
      () => parseTrainingHyperparameters({ epochs: 0, classWeights: [{ class: 'other', weight: 1 }] }, binary),
      { field: `${F}.epochs` },
      /and 1 more problem/,
    );
  });

  it('uses the given field prefix', () => {
    expectValidationError(
      () => parseTrainingHyperparameters({ epochs: 0 }, { ...binary, fieldPrefix: 'input.baseHyperparameters' }),
      { field: 'input.baseHyperparameters.epochs' },
      /epochs/,
    );
  });
});

describe('mapping to the trainer', () => {
  it('drops the options that are off and keeps the rest', () => {
    expect(toTrainerHyperparameters(parseTrainingHyperparameters({ optimizer: 'SGD' }, binary))).toEqual({
      epochs: 10,
      optimizer: 'SGD',
      learningRate: 0.01,
      batchSize: 32,
      loss: 'BINARY_CROSSENTROPY',
    });
    const full = parseTrainingHyperparameters({ epochs: 5, batchSize: 8, earlyStopping: { monitor: 'val_loss', patience: 1 } }, binary);
    expect(toTrainerHyperparameters(full)).toEqual({
      epochs: 5,
      optimizer: 'ADAM',
      learningRate: 0.001,
      batchSize: 8,
      loss: 'BINARY_CROSSENTROPY',
      earlyStopping: { monitor: 'val_loss', patience: 1, minDelta: 0, restoreBestWeights: true },
    });
  });

  it('lays class weights out by class index, 1 for the classes not listed', () => {
    const parsed = parseTrainingHyperparameters({ classWeights: [{ class: 'virginica', weight: 2.5 }] }, multiclass);
    expect(classWeightVector(parsed, multiclass.labelClasses!)).toEqual([1, 1, 2.5]);
    expect(classWeightVector(parseTrainingHyperparameters({}, multiclass), multiclass.labelClasses!)).toBeUndefined();
  });
});
