import { checkModelFits, countParameters, shapeOn, trainingMemoryBytes, WORKER_BASE_BYTES } from '../../../src/domain/models/model-size';
import { buildModel } from '../../../src/ml/model-builder';
import { loadTf } from '../../support/tf';
import { expectValidationError } from '../datasets/expect-validation-error';

describe('model size', () => {
  it('counts the parameters tfjs builds, for each task', async () => {
    const tf = await loadTf('cpu');
    const cases = [
      { task: 'BINARY_CLASSIFICATION' as const, units: [7, 5], inputWidth: 9, classCount: undefined, outputUnits: 1 },
      { task: 'MULTICLASS_CLASSIFICATION' as const, units: [16], inputWidth: 4, classCount: 3, outputUnits: 3 },
      { task: 'REGRESSION' as const, units: [], inputWidth: 12, classCount: undefined, outputUnits: 1 },
    ];
    for (const c of cases) {
      const model = buildModel({
        tf,
        architecture: { layers: c.units.map((units) => ({ units, activation: 'relu' as const })) },
        task: c.task,
        inputWidth: c.inputWidth,
        classCount: c.classCount,
        seed: 1,
      });
      expect(countParameters({ inputWidth: c.inputWidth, hiddenUnits: c.units, outputUnits: c.outputUnits })).toBe(model.countParams());
      model.dispose();
    }
  });

  it('takes one input per numeric feature and per category, none for the label', () => {
    const profile = (distinct: number) => ({ distinct }) as never;
    const version = {
      labelClasses: ['a', 'b', 'c'],
      columns: [
        { name: 'x', type: 'NUMERIC' as const, role: 'FEATURE' as const, profile: profile(100) },
        { name: 'city', type: 'CATEGORICAL' as const, role: 'FEATURE' as const, profile: profile(4) },
        { name: 'y', type: 'CATEGORICAL' as const, role: 'LABEL' as const, profile: profile(3) },
      ],
    };
    expect(shapeOn(version, [8], true)).toEqual({ inputWidth: 5, hiddenUnits: [8], outputUnits: 3 });
    expect(shapeOn(version, [8], false).outputUnits).toBe(1);
  });

  it('estimates memory as the base, 16 bytes per parameter, the batch activations and the dataset', () => {
    const shape = { inputWidth: 10, hiddenUnits: [100], outputUnits: 1 };
    const parameters = 10 * 100 + 100 + 100 + 1;
    expect(trainingMemoryBytes(shape, 32, 1000)).toBe(WORKER_BASE_BYTES + parameters * 16 + 32 * (101 * 3 + 20) * 4 + 1000 * 10 * 12);
  });

  it('refuses with the numbers: parameters, step cost, memory', () => {
    const budget = { maxParameters: 1_000_000, memoryBytes: 1024 * 1024 * 1024 };
    const big = { inputWidth: 100, hiddenUnits: [1000, 1000], outputUnits: 1 };
    expectValidationError(
      () => checkModelFits(big, { batch: 1, dataset: 10 }, budget, 'input.layers'),
      { field: 'input.layers' },
      /1,103,001 parameters .*over the limit of 1,000,000/,
    );
    const fits = { inputWidth: 100, hiddenUnits: [1000], outputUnits: 1 };
    expect(() => checkModelFits(fits, { batch: 1000, dataset: 1000 }, budget, 'input.layers')).not.toThrow();
    expectValidationError(
      () => checkModelFits(fits, { batch: 5_000_000, dataset: 10, batchField: 'input.hyperparameters.batchSize' }, budget, 'input.modelId'),
      { field: 'input.hyperparameters.batchSize' },
      /use a batchSize of at most 32,679/,
    );
    expectValidationError(
      () => checkModelFits(fits, { batch: 1, dataset: 1_000_000 }, budget, 'input.layers'),
      { field: 'input.layers' },
      /needs about 1,5\d\d MB .* over the worker memory limit of 1,024 MB/,
    );
  });
});
