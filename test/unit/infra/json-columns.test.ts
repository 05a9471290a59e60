import {
  architectureOf,
  columnTypeOverridesOf,
  epochMetricsOf,
  labelClassesOf,
  predictionInputsOf,
  referenceRowIndicesOf,
  trialSummaryOf,
  datasetColumnsOf,
  deploymentBatchingOf,
  deploymentMonitoringOf,
  predictionActualOf,
  driftFeaturesOf,
  driftPredictionOf,
  evaluationMetricsOf,
  MalformedJsonColumnError,
  predictionOutputOf,
  preprocessingSpecOf,
  settingsObjectOf,
  studyDefinitionOf,
  toJsonColumn,
  trainingHyperparametersOf,
  trialHyperparametersOf,
} from '../../../src/infra/db/json-columns';
import { DEFAULT_ALERT_MONITORING } from '../../../src/domain/alerts/alert-monitoring';
import { DEFAULT_BATCHING } from '../../../src/domain/deployments/batching';
import { DEFAULT_DRIFT_MONITORING } from '../../../src/domain/deployments/drift-monitoring';
import type { DatasetColumn } from '../../../src/domain/datasets/dataset';
import type { StudyDefinition } from '../../../src/domain/optimization/study-definition';
import type { TrainingRunHyperparameters } from '../../../src/domain/runs/training-hyperparameters';
import type { Evaluation } from '../../../src/ml/metrics/evaluate-predictions';
import type { Architecture } from '../../../src/ml/model-builder';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import type { FeatureDriftEntry } from '../../../src/services/monitoring/drift-report';

/** What the column gives back after a write: JSON text parsed again. */
function stored(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const spec: PreprocessingSpec = {
  version: 1,
  task: 'MULTICLASS_CLASSIFICATION',
  features: [
    { name: 'x', type: 'NUMERIC', offset: 0, mean: 1.5, scale: 2 },
    { name: 'colour', type: 'CATEGORICAL', offset: 1, categories: ['red', 'blue'] },
  ],
  inputWidth: 3,
  label: { kind: 'CLASSES', column: 'y', numeric: false, classes: ['a', 'b', 'c'] },
  trainRowCount: 70,
};

const hyperparameters: TrainingRunHyperparameters = {
  epochs: 10,
  batchSize: 32,
  optimizer: 'ADAM',
  learningRate: 0.001,
  loss: 'CATEGORICAL_CROSSENTROPY',
  split: { train: 0.7, validation: 0.15, test: 0.15 },
  seed: 42,
  earlyStopping: null,
  classWeights: [{ class: 'a', weight: 2 }],
  backend: 'AUTO',
};

const architecture: Architecture = { layers: [{ units: 8, activation: 'relu', dropout: 0.1 }], outputLayer: { activation: 'softmax' } };

const study: StudyDefinition = {
  objective: { metric: 'val_loss', direction: 'MINIMIZE' },
  searchSpace: { parameters: [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 0.0001, high: 0.1 }] },
  strategy: 'TPE',
  maxTrials: 20,
  parallelism: 2,
  pruning: { kind: 'MEDIAN', warmupEpochs: 1, startupTrials: 5 },
  seed: 7,
  baseHyperparameters: hyperparameters,
};

const evaluation: Evaluation = { task: 'REGRESSION', sampleCount: 30, mae: 1, rmse: Math.SQRT2, r2: null };

const columns: DatasetColumn[] = [
  {
    name: 'colour',
    type: 'CATEGORICAL',
    role: 'FEATURE',
    profile: { type: 'CATEGORICAL', count: 3, missing: 0, distinct: 2, topCategories: [{ value: 'red', count: 2 }], otherCount: 1 },
  },
];

const drift: FeatureDriftEntry = {
  feature: 'x',
  type: 'NUMERIC',
  method: 'KOLMOGOROV_SMIRNOV',
  statistic: 0.2,
  infinite: false,
  pValue: 0.01,
  distance: null,
  threshold: 0.05,
  drifted: true,
  psi: 0.3,
  referenceCount: 100,
  currentCount: 50,
  note: null,
};

describe('JSON columns', () => {
  it('round-trips every valid column value through toJsonColumn and its decoder', () => {
    expect(preprocessingSpecOf(stored(toJsonColumn(spec)))).toEqual(spec);
    expect(trainingHyperparametersOf(stored(toJsonColumn(hyperparameters)))).toEqual(hyperparameters);
    expect(architectureOf(stored(toJsonColumn(architecture)))).toEqual(architecture);
    expect(trialHyperparametersOf(stored(toJsonColumn({ ...hyperparameters, architecture })))).toEqual({ ...hyperparameters, architecture });
    expect(studyDefinitionOf(stored(toJsonColumn(study)))).toEqual(study);
    expect(evaluationMetricsOf(stored(toJsonColumn(evaluation)))).toEqual(evaluation);
    expect(datasetColumnsOf(stored(toJsonColumn(columns)))).toEqual(columns);
    expect(predictionOutputOf(stored(toJsonColumn({ label: 'a', probabilities: { a: 0.9, b: 0.1 } })))).toEqual({
      label: 'a',
      probabilities: { a: 0.9, b: 0.1 },
    });
    expect(predictionOutputOf(stored(toJsonColumn({ value: 3.5 })))).toEqual({ value: 3.5 });
    expect(driftFeaturesOf(stored(toJsonColumn([drift])))).toEqual([drift]);
    expect(driftPredictionOf(stored(toJsonColumn(drift)))).toEqual(drift);
    expect(driftPredictionOf(null)).toBeNull();
    expect(settingsObjectOf('Deployment.monitoring', { drift: { windowSize: 5 } })).toEqual({ drift: { windowSize: 5 } });
    expect(settingsObjectOf('Deployment.monitoring', null)).toEqual({});
    expect(deploymentMonitoringOf({ drift: { windowSize: 5 }, autoRollback: true })).toEqual({
      drift: { ...DEFAULT_DRIFT_MONITORING, windowSize: 5 },
      alerting: { ...DEFAULT_ALERT_MONITORING, autoRollback: true },
    });
    expect(deploymentMonitoringOf({})).toEqual({ drift: DEFAULT_DRIFT_MONITORING, alerting: DEFAULT_ALERT_MONITORING });
    expect(deploymentBatchingOf({ maxDelayMs: 2 })).toEqual({ ...DEFAULT_BATCHING, maxDelayMs: 2 });
    expect(deploymentBatchingOf(null)).toEqual(DEFAULT_BATCHING);
    expect(predictionActualOf('cat')).toBe('cat');
    expect(predictionActualOf(2.5)).toBe(2.5);
    expect(predictionActualOf(null)).toBeNull();
    expect(trialSummaryOf(stored(toJsonColumn({ trialNumber: 3, params: { learningRate: 0.01 }, pruned: false })))).toEqual({
      trialNumber: 3,
      params: { learningRate: 0.01 },
      pruned: false,
    });
    expect(epochMetricsOf(stored(toJsonColumn({ loss: 0.5, val_loss: 0.6 })))).toEqual({ loss: 0.5, val_loss: 0.6 });
    expect(predictionInputsOf(stored(toJsonColumn({ x: 1, colour: 'red' })))).toEqual({ x: 1, colour: 'red' });
    expect(columnTypeOverridesOf(stored(toJsonColumn({ zip: 'CATEGORICAL' })))).toEqual({ zip: 'CATEGORICAL' });
    expect(labelClassesOf(stored(toJsonColumn(['a', 'b'])))).toEqual(['a', 'b']);
    expect(labelClassesOf(null)).toBeNull();
    expect(referenceRowIndicesOf(stored(toJsonColumn([4, 1, 9])))).toEqual([4, 1, 9]);
  });

  it('reads a summary that is not a trial as null, not as an error', () => {
    expect(trialSummaryOf(null)).toBeNull();
    expect(trialSummaryOf({ bestEpoch: 3 })).toBeNull();
  });

  it('accepts runs stored before batchSize had a default and before the loss could be chosen', () => {
    const { loss: _loss, ...old } = { ...hyperparameters, batchSize: null };
    expect(trainingHyperparametersOf(old)).toEqual(old);
  });

  it.each<[string, () => unknown, string]>([
    ['preprocessing: not an object', () => preprocessingSpecOf('x'), 'stored ModelVersion.preprocessing is malformed: expected an object, got string "x"'],
    ['preprocessing: wrong version', () => preprocessingSpecOf({ ...spec, version: 2 }), 'version is number 2, expected 1'],
    [
      'preprocessing: a feature without offset',
      () => preprocessingSpecOf({ ...spec, features: [{ name: 'x', type: 'NUMERIC', mean: 0, scale: 1 }] }),
      'features[0].offset is missing, expected a number',
    ],
    [
      'preprocessing: unknown label kind',
      () => preprocessingSpecOf({ ...spec, label: { kind: 'OTHER' } }),
      'label.kind is string "OTHER", expected CLASSES or TARGET',
    ],
    [
      'hyperparameters',
      () => trainingHyperparametersOf({ ...hyperparameters, split: null }),
      'stored Run.hyperparameters is malformed: split is null, expected an object',
    ],
    [
      'hyperparameters: named column',
      () => trainingHyperparametersOf([], 'ModelVersion.hyperparameters'),
      'stored ModelVersion.hyperparameters is malformed: expected an object, got an array',
    ],
    [
      'architecture',
      () => architectureOf({ layers: [{ units: '8', activation: 'relu' }] }),
      'stored Model.architecture is malformed: layers[0].units is string "8", expected a number',
    ],
    [
      'trial hyperparameters',
      () => trialHyperparametersOf(hyperparameters),
      'stored Run.hyperparameters (trial) is malformed: architecture is missing, expected an object',
    ],
    [
      'study',
      () => studyDefinitionOf({ ...study, baseHyperparameters: { ...hyperparameters, seed: null } }),
      'stored Run.hyperparameters (study) is malformed: baseHyperparameters.seed is null, expected a number',
    ],
    ['evaluation', () => evaluationMetricsOf({ accuracy: 1 }), 'stored Evaluation.metrics is malformed: task is missing, expected a model task'],
    [
      'dataset columns',
      () => datasetColumnsOf([{ name: 'x', type: 'NUMERIC', role: 'FEATURE' }]),
      'stored DatasetVersion.columns is malformed: [0].profile is missing, expected an object',
    ],
    [
      'prediction output',
      () => predictionOutputOf({ probabilities: {} }),
      'stored Prediction.output is malformed: expected { label, probabilities } or { value }, got {"probabilities":{}}',
    ],
    [
      'drift features',
      () => driftFeaturesOf([drift, { ...drift, drifted: 'yes' }]),
      'stored DriftReport.features is malformed: [1].drifted is string "yes", expected a boolean',
    ],
    ['drift prediction', () => driftPredictionOf(3), 'stored DriftReport.prediction is malformed: value is number 3, expected an object'],
    ['settings', () => settingsObjectOf('Deployment.serving', [1]), 'stored Deployment.serving is malformed: expected an object, got an array'],
    ['deployment monitoring', () => deploymentMonitoringOf('x'), 'stored Deployment.monitoring is malformed: expected an object, got string "x"'],
    ['deployment serving', () => deploymentBatchingOf([1]), 'stored Deployment.serving is malformed: expected an object, got an array'],
    ['prediction actual', () => predictionActualOf(true), 'stored Prediction.actual is malformed: expected a class, a number or null, got boolean true'],
    ['epoch metrics', () => epochMetricsOf(null), 'stored RunEpoch.metrics is malformed: expected an object, got null'],
    ['prediction inputs', () => predictionInputsOf('x'), 'stored Prediction.inputs is malformed: expected an object of inputs, got string "x"'],
    [
      'column types',
      () => columnTypeOverridesOf({ zip: 'TEXT' }),
      'stored Dataset.columnTypeOverrides is malformed: zip is string "TEXT", expected NUMERIC or CATEGORICAL',
    ],
    ['label classes', () => labelClassesOf(['a', 1]), 'stored DatasetVersion.labelClasses is malformed: [1] is number 1, expected a string'],
    ['reference rows', () => referenceRowIndicesOf({}), 'stored DatasetVersionData.referenceRowIndices is malformed: expected an array, got an object'],
  ])('refuses a malformed stored value with the column and the problem (%s)', (_name, decode, message) => {
    expect(decode).toThrow(MalformedJsonColumnError);
    expect(decode).toThrow(message);
  });

  it('refuses values that JSON cannot hold, at compile time', () => {
    const refused = () => {
      // @ts-expect-error a Date is not JSON (it would come back as a string)
      toJsonColumn({ at: new Date() });
      // @ts-expect-error a function is not JSON
      toJsonColumn({ callback: () => 1 });
      // @ts-expect-error a Map is not JSON (it would come back as {})
      toJsonColumn({ counts: new Map<string, number>() });
      // @ts-expect-error a required field that may be undefined is not JSON
      toJsonColumn({ name: undefined as string | undefined });
      // @ts-expect-error a bigint is not JSON
      toJsonColumn([1n]);
      // @ts-expect-error null is not a column value (leave a nullable column out instead)
      toJsonColumn(null);
    };
    expect(refused).toBeInstanceOf(Function);
    // Optional fields and readonly arrays are JSON.
    const optional: { a?: number; b: readonly string[] } = { b: ['x'] };
    expect(toJsonColumn(optional)).toEqual({ b: ['x'] });
  });
});
