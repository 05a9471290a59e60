import { integratedGradients } from '../../../src/ml/explain/integrated-gradients';
import { buildModel } from '../../../src/ml/model-builder';
import { applyPreprocessing, fitPreprocessing, type PreprocessingSpec } from '../../../src/ml/preprocessing';
import type { Tf } from '../../../src/ml/tf-types';
import { trainModel } from '../../../src/ml/trainer';
import { tableFromCsv } from '../../support/fixture-table';
import { prepareFixture } from '../../support/ml-data';
import { loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('cpu');
});

describe('integratedGradients', () => {
  it('equals weight times displacement for a linear model, in label units', () => {
    const model = buildModel({ tf, architecture: { layers: [] }, task: 'REGRESSION', inputWidth: 3, seed: 1 });
    model.setWeights([tf.tensor2d([[2], [-1], [0.5]]), tf.tensor1d([0.25])]);
    const spec: PreprocessingSpec = {
      version: 1,
      task: 'REGRESSION',
      features: ['a', 'b', 'c'].map((name, offset) => ({ name, type: 'NUMERIC' as const, offset, mean: 0, scale: 1 })),
      inputWidth: 3,
      label: { kind: 'TARGET', column: 'y', mean: 5, scale: 10 },
      trainRowCount: 1,
    };
    const result = integratedGradients({ tf, model, spec, input: Float32Array.from([1, 2, -4]) });
    // f(x) = 10 * (2*1 - 1*2 + 0.5*(-4) + 0.25) + 5 = -12.5; f(0) = 10 * 0.25 + 5 = 7.5.
    expect(result.output).toBeCloseTo(-12.5, 4);
    expect(result.baselineOutput).toBeCloseTo(7.5, 5);
    expect(result.attributions.map((a) => a.feature)).toEqual(['a', 'b', 'c']);
    [20, -20, -20].forEach((value, i) => expect(result.attributions[i].attribution).toBeCloseTo(value, 4));
    expect(result.completenessError).toBeLessThan(1e-3);
    expect(result.method).toBe('INTEGRATED_GRADIENTS');
  });

  it('sums one-hot inputs into their categorical column and satisfies completeness', async () => {
    const lines = ['size,color,label'];
    for (let i = 0; i < 60; i++) {
      const color = ['red', 'green', 'blue'][i % 3];
      const size = (i * 7) % 11;
      lines.push(`${size},${color},${color === 'red' || size > 7 ? 1 : 0}`);
    }
    const table = tableFromCsv(lines.join('\n'));
    const rows = Int32Array.from({ length: 60 }, (_, i) => i);
    const spec = fitPreprocessing(table, rows, { labelColumn: 'label', featureColumns: ['size', 'color'], task: 'BINARY_CLASSIFICATION' });
    const data = applyPreprocessing(spec, table);
    const model = buildModel({ tf, architecture: { layers: [{ units: 8, activation: 'tanh' }] }, task: 'BINARY_CLASSIFICATION', inputWidth: 4, seed: 2 });
    await trainModel({
      tf,
      model,
      task: 'BINARY_CLASSIFICATION',
      x: data.x,
      y: data.labels!.targets,
      hyperparameters: { epochs: 30, optimizer: 'ADAM', learningRate: 0.05 },
      seed: 2,
    });

    const input = data.x.data.slice(0, 4); // row 0: size 0, red
    const result = integratedGradients({ tf, model, spec, input });
    expect(result.attributions.map((a) => a.feature)).toEqual(['size', 'color']);
    const [blue, green, red] = [1, 2, 3].map((i) => result.inputAttributions[i]);
    expect(result.attributions[1].attribution).toBeCloseTo(blue + green + red, 6);
    // Inputs equal to the baseline (0) get no attribution: only 'red' is set.
    expect(Math.abs(blue) + Math.abs(green)).toBe(0);
    const sum = result.attributions.reduce((total, a) => total + a.attribution, 0);
    expect(Math.abs(sum - (result.output - result.baselineOutput))).toBeLessThanOrEqual(
      Math.max(0.005 * Math.abs(result.output - result.baselineOutput), 1e-5),
    );
    expect(result).toMatchObject({ classIndex: 1, label: '1' });
  });

  it('explains the predicted class of a multiclass model', async () => {
    const fixture = prepareFixture('iris.csv', 'species', 'MULTICLASS_CLASSIFICATION');
    const model = buildModel({
      tf,
      architecture: { layers: [{ units: 16, activation: 'relu' }] },
      task: 'MULTICLASS_CLASSIFICATION',
      inputWidth: 4,
      classCount: 3,
      seed: 4,
    });
    await trainModel({
      tf,
      model,
      task: 'MULTICLASS_CLASSIFICATION',
      x: fixture.train.x,
      y: fixture.train.labels!.targets,
      hyperparameters: { epochs: 20, batchSize: 16, optimizer: 'ADAM', learningRate: 0.02 },
      seed: 4,
    });
    const row = 0;
    const input = fixture.test.x.data.slice(row * 4, row * 4 + 4);
    const result = integratedGradients({ tf, model, spec: fixture.spec, input });
    const probabilities = (model.predict(tf.tensor2d(input, [1, 4])) as { dataSync(): Float32Array }).dataSync();
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    expect(result.classIndex).toBe(predicted);
    expect(result.output).toBeCloseTo(probabilities[predicted], 5);
    expect(result.completenessError).toBeLessThanOrEqual(Math.max(0.005 * Math.abs(result.output - result.baselineOutput), 1e-5));
    const other = integratedGradients({ tf, model, spec: fixture.spec, input, classIndex: (predicted + 1) % 3 });
    expect(other.label).toBe((fixture.spec.label as { classes: string[] }).classes[(predicted + 1) % 3]);
  });
});
