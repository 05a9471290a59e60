import { ValidationError } from '../../../src/domain/errors';
import { type Architecture, buildModel, lossForTask, validateArchitecture } from '../../../src/ml/model-builder';
import type { ModelTask, Tf } from '../../../src/ml/tf-types';
import { availableTestBackends, loadTf } from '../../support/tf';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).location.field;
  }
  throw new Error('expected a ValidationError');
}

const hidden: Architecture = {
  layers: [
    { units: 8, activation: 'relu', dropout: 0.2, l2: 0.01 },
    { units: 4, activation: 'tanh' },
  ],
};

describe('validateArchitecture', () => {
  const task: ModelTask = 'BINARY_CLASSIFICATION';
  it('accepts a valid architecture, including no hidden layer', () => {
    expect(() => validateArchitecture(hidden, task)).not.toThrow();
    expect(() => validateArchitecture({ layers: [] }, 'REGRESSION')).not.toThrow();
  });

  it('names the field at fault', () => {
    const layer = { units: 8, activation: 'relu' as const };
    expect(fieldOf(() => validateArchitecture({ layers: [layer, { units: 0, activation: 'relu' }] }, task))).toBe('input.layers[1].units');
    expect(fieldOf(() => validateArchitecture({ layers: [{ units: 4097, activation: 'relu' }] }, task))).toBe('input.layers[0].units');
    expect(fieldOf(() => validateArchitecture({ layers: [{ units: 2.5, activation: 'relu' }] }, task))).toBe('input.layers[0].units');
    expect(fieldOf(() => validateArchitecture({ layers: [layer, { units: 3, activation: 'nope' as never }] }, task))).toBe('input.layers[1].activation');
    expect(fieldOf(() => validateArchitecture({ layers: [{ ...layer, dropout: 1 }] }, task))).toBe('input.layers[0].dropout');
    expect(fieldOf(() => validateArchitecture({ layers: [{ ...layer, l2: -1 }] }, task))).toBe('input.layers[0].l2');
    expect(fieldOf(() => validateArchitecture({ layers: Array.from({ length: 21 }, () => layer) }, task))).toBe('input.layers');
    expect(fieldOf(() => validateArchitecture({ layers: [], outputLayer: { activation: 'softmax' } }, task))).toBe('input.outputLayer.activation');
    expect(fieldOf(() => validateArchitecture({ layers: [], outputLayer: { units: 2, activation: 'sigmoid' } }, task))).toBe('input.outputLayer.units');
    expect(fieldOf(() => validateArchitecture({ layers: [], outputLayer: { activation: 'softmax' } }, 'REGRESSION'))).toBe('input.outputLayer.activation');
    expect(fieldOf(() => validateArchitecture({ layers: [{ units: 0, activation: 'relu' }] }, task, 'input.architecture'))).toBe(
      'input.architecture.layers[0].units',
    );
  });
  it('reports every problem at once: too many layers beside the output layer', () => {
    // Before the zod schema, more than 20 layers was reported alone (the layers themselves are still not checked then).
    const layers = Array.from({ length: 21 }, (_, i) => (i === 3 ? { units: 0, activation: 'relu' as const } : { units: 4, activation: 'relu' as const }));
    try {
      validateArchitecture({ layers, outputLayer: { units: 2, activation: 'nope' as never } }, task);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const violations = (error as ValidationError).violations;
      expect(violations.map((violation) => violation.field)).toEqual(['input.layers', 'input.outputLayer.activation', 'input.outputLayer.units']);
      expect(violations[0].message).toBe('input.layers must have at most 20 hidden layers, got 21');
      expect(violations[1].message).toMatch(/^input\.outputLayer\.activation must be one of relu, .*, linear, got nope$/);
    }
  });
});

describe('buildModel', () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await loadTf('cpu');
  });

  const weightsOf = (model: { getWeights(): { dataSync(): ArrayLike<number> }[] }) => model.getWeights().map((w) => Array.from(w.dataSync()));

  it('derives the output layer and loss from the task', () => {
    const cases: [ModelTask, number, string][] = [
      ['BINARY_CLASSIFICATION', 1, 'sigmoid'],
      ['MULTICLASS_CLASSIFICATION', 3, 'softmax'],
      ['REGRESSION', 1, 'linear'],
    ];
    for (const [task, units, activation] of cases) {
      const model = buildModel({ tf, architecture: hidden, task, inputWidth: 5, classCount: 3, seed: 1 });
      const output = model.layers[model.layers.length - 1].getConfig();
      expect(output.units).toBe(units);
      expect(output.activation).toBe(activation);
      expect(model.inputs[0].shape).toEqual([null, 5]);
      // dense_0, dropout_0, dense_1, output
      expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'Dropout', 'Dense', 'Dense']);
      model.dispose();
    }
    expect(lossForTask('MULTICLASS_CLASSIFICATION')).toBe('categoricalCrossentropy');
  });

  it('gives the same initial weights for the same seed, on every backend', async () => {
    const build = (seed: number) => buildModel({ tf, architecture: hidden, task: 'BINARY_CLASSIFICATION', inputWidth: 6, seed });
    const reference = weightsOf(build(7));
    expect(weightsOf(build(7))).toEqual(reference);
    expect(weightsOf(build(8))).not.toEqual(reference);
    for (const backend of availableTestBackends()) {
      await tf.setBackend(backend);
      expect(weightsOf(build(7))).toEqual(reference);
    }
    await tf.setBackend('cpu');
  });

  it('rejects an output width that does not match the classes', () => {
    expect(
      fieldOf(() =>
        buildModel({
          tf,
          architecture: { layers: [], outputLayer: { units: 4, activation: 'softmax' } },
          task: 'MULTICLASS_CLASSIFICATION',
          inputWidth: 2,
          classCount: 3,
          seed: 1,
        }),
      ),
    ).toBe('input.outputLayer.units');
  });
});
