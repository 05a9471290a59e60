import { ValidationError, Violations } from '../../../src/domain/errors';
import {
  checkStudyEffort,
  largestTrialEpochs,
  trialConfiguration,
  collectStudySettings,
  validateBudget,
  validateObjective,
  validatePruning,
} from '../../../src/domain/optimization/study-definition';
import type { TrainingRunHyperparameters } from '../../../src/domain/runs/training-hyperparameters';
import type { Architecture } from '../../../src/ml/model-builder';
import { finalObjective } from '../../../src/services/optimization/trial-job';

const base: TrainingRunHyperparameters = {
  epochs: 10,
  batchSize: 32,
  optimizer: 'ADAM',
  learningRate: 0.001,
  split: { train: 0.7, validation: 0.15, test: 0.15 },
  seed: 3,
  earlyStopping: null,
  classWeights: null,
  backend: 'CPU',
};
const architecture: Architecture = {
  layers: [
    { units: 16, activation: 'relu', dropout: 0.1 },
    { units: 8, activation: 'tanh' },
  ],
};

describe('trialConfiguration', () => {
  it('applies training parameters to the hyperparameters and layer parameters to the architecture', () => {
    const { hyperparameters, architecture: trial } = trialConfiguration(base, architecture, {
      learningRate: 0.05,
      optimizer: 'SGD',
      batchSize: 8,
      epochs: 3,
      'units[1]': 64,
      'dropout[0]': 0.4,
      'dropout[1]': 0.2,
    });
    expect(hyperparameters).toEqual({ ...base, learningRate: 0.05, optimizer: 'SGD', batchSize: 8, epochs: 3 });
    expect(trial).toEqual({
      layers: [
        { units: 16, activation: 'relu', dropout: 0.4 },
        { units: 64, activation: 'tanh', dropout: 0.2 },
      ],
    });
  });

  it('leaves its inputs untouched', () => {
    trialConfiguration(base, architecture, { 'units[0]': 2, learningRate: 0.5 });
    expect(architecture.layers[0].units).toBe(16);
    expect(base.learningRate).toBe(0.001);
  });

  it('rejects a layer the model does not have', () => {
    expect(() => trialConfiguration(base, architecture, { 'units[2]': 4 })).toThrow(ValidationError);
  });
});

describe('study input validation', () => {
  it('accepts the per-epoch metrics of the task', () => {
    expect(validateObjective({ metric: 'val_accuracy', direction: 'MAXIMIZE' }, { task: 'BINARY_CLASSIFICATION', hasValidation: true })).toEqual({
      metric: 'val_accuracy',
      direction: 'MAXIMIZE',
    });
    expect(validateObjective({ metric: 'val_rmse', direction: 'MINIMIZE' }, { task: 'REGRESSION', hasValidation: true }).metric).toBe('val_rmse');
  });

  it.each([
    [{ metric: 'val_mae', direction: 'MINIMIZE' }, 'BINARY_CLASSIFICATION', true, 'input.objective.metric'],
    [{ metric: 'accuracy', direction: 'MAXIMIZE' }, 'REGRESSION', true, 'input.objective.metric'],
    [{ metric: 'val_loss', direction: 'MINIMIZE' }, 'REGRESSION', false, 'input.objective.metric'],
    [{ metric: 'f1', direction: 'MAXIMIZE' }, 'BINARY_CLASSIFICATION', true, 'input.objective.metric'],
    [{ metric: 'loss', direction: 'DOWN' }, 'REGRESSION', true, 'input.objective.direction'],
  ] as const)('rejects objective %j for %s (validation split: %s)', (objective, task, hasValidation, field) => {
    expect(() => validateObjective(objective, { task, hasValidation })).toThrow(expect.objectContaining({ location: { field } }));
  });

  it('checks the budget', () => {
    expect(validateBudget(20, 4)).toEqual({ maxTrials: 20, parallelism: 4 });
    expect(() => validateBudget(0, 1)).toThrow(expect.objectContaining({ location: { field: 'input.maxTrials' } }));
    expect(() => validateBudget(5, 1.5)).toThrow(expect.objectContaining({ location: { field: 'input.parallelism' } }));
  });

  it('fills pruning defaults and checks the given values', () => {
    expect(validatePruning(null)).toEqual({ kind: 'MEDIAN', warmupEpochs: 1, startupTrials: 5 });
    expect(validatePruning({ kind: 'NONE' })).toEqual({ kind: 'NONE', warmupEpochs: 1, startupTrials: 5 });
    expect(() => validatePruning({ kind: 'HYPERBAND' })).toThrow(expect.objectContaining({ location: { field: 'input.pruning.kind' } }));
    expect(() => validatePruning({ warmupEpochs: -1 })).toThrow(expect.objectContaining({ location: { field: 'input.pruning.warmupEpochs' } }));
    expect(() => validatePruning({ startupTrials: 0 })).toThrow(expect.objectContaining({ location: { field: 'input.pruning.startupTrials' } }));
  });
});

describe('study input validation: every problem at once', () => {
  const fieldsOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).violations.map(({ field, message }) => `${field}: ${message}`);
    }
    throw new Error('accepted');
  };

  // Before the zod schemas, each of these stopped at its first problem.
  it('reports both objective fields, and a metric that does not fit the task beside a bad direction', () => {
    expect(fieldsOf(() => validateObjective({ metric: 'f1', direction: 'DOWN' }, { task: 'REGRESSION', hasValidation: true }))).toEqual([
      expect.stringMatching(/^input\.objective\.metric: input\.objective\.metric must be one of loss, .*, got f1$/),
      'input.objective.direction: input.objective.direction must be MINIMIZE or MAXIMIZE, got DOWN',
    ]);
    expect(fieldsOf(() => validateObjective({ metric: 'accuracy' }, { task: 'REGRESSION', hasValidation: true }))).toEqual([
      'input.objective.metric: accuracy is not reported for REGRESSION models',
      'input.objective.direction: input.objective.direction is required',
    ]);
  });

  it('checks the strategy and the seed, keeping the one that holds', () => {
    const problems = new Violations();
    expect(collectStudySettings({ strategy: 'TPE', seed: -1 }, problems)).toEqual({ strategy: 'TPE' });
    expect(collectStudySettings({ strategy: 'BAYES', seed: null }, problems)).toEqual({});
    expect(collectStudySettings({ strategy: 'GRID', seed: 7 }, problems)).toEqual({ strategy: 'GRID', seed: 7 });
    expect(fieldsOf(() => problems.throwIfAny())).toEqual([
      'input.seed: input.seed must be a non-negative integer, got -1',
      'input.strategy: input.strategy must be one of GRID, RANDOM, TPE, got BAYES',
    ]);
  });

  it('reports both budget fields and every pruning field', () => {
    expect(fieldsOf(() => validateBudget(0, 1.5))).toEqual([
      'input.maxTrials: input.maxTrials must be an integer from 1 to 1,000, got 0',
      'input.parallelism: input.parallelism must be an integer from 1 to 64, got 1.5',
    ]);
    expect(fieldsOf(() => validatePruning({ kind: 'HYPERBAND', warmupEpochs: -1, startupTrials: null }))).toEqual([
      'input.pruning.kind: input.pruning.kind must be MEDIAN or NONE, got HYPERBAND',
      'input.pruning.warmupEpochs: input.pruning.warmupEpochs must be an integer from 0 to 10,000, got -1',
    ]);
  });
});

describe('finalObjective', () => {
  const values = [
    { step: 1, value: 0.9 },
    { step: 3, value: 0.5 },
    { step: 2, value: 0.4 },
  ];

  it('is the value at the last epoch', () => {
    expect(finalObjective(values, { restoredBestWeights: false })).toBe(0.5);
  });

  it('is the value at the best epoch when early stopping restored its weights', () => {
    expect(finalObjective(values, { restoredBestWeights: true, bestEpoch: 2 })).toBe(0.4);
  });

  it('is null without values', () => {
    expect(finalObjective([], {})).toBeNull();
  });
});

describe('study effort cap', () => {
  it('takes the largest epochs a trial may train, from the search space when it searches epochs', () => {
    expect(largestTrialEpochs(20, [])).toBe(20);
    expect(largestTrialEpochs(20, [{ name: 'epochs', kind: 'CHOICE', values: [5, 80, 40] }])).toBe(80);
    expect(largestTrialEpochs(20, [{ name: 'epochs', kind: 'INT_RANGE', low: 1, high: 300, step: 1 }])).toBe(300);
  });

  it('refuses maxTrials x epochs above the cap, and nothing when the cap is 0', () => {
    expect(() => checkStudyEffort(1000, 10_000, 100_000)).toThrow(expect.objectContaining({ location: { field: 'input.maxTrials' } }));
    expect(() => checkStudyEffort(100, 1000, 100_000)).not.toThrow();
    expect(() => checkStudyEffort(1000, 10_000, 0)).not.toThrow();
  });
});
