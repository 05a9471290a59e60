import { ValidationError } from '../../../src/domain/errors';
import { gridSize, gridValues, validateSearchSpace, type SearchParameterInput, type SearchStrategy } from '../../../src/domain/optimization/search-space';

function fieldOfError(input: unknown, strategy: SearchStrategy, layerCount?: number): string | undefined {
  try {
    validateSearchSpace(input as SearchParameterInput[], { strategy, layerCount });
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).location.field;
  }
  throw new Error('expected a ValidationError');
}

describe('validateSearchSpace', () => {
  it('accepts every tunable parameter and keeps the given order', () => {
    const space = validateSearchSpace(
      [
        { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 0.1 },
        { name: 'batchSize', kind: 'CHOICE', values: [16, 32, 64] },
        { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD', 'MOMENTUM', 'RMSPROP', 'ADAGRAD'] },
        { name: 'epochs', kind: 'INT_RANGE', low: 5, high: 50, step: 5 },
        { name: 'units[0]', kind: 'INT_LOG_UNIFORM', low: 8, high: 512 },
        { name: 'units[1]', kind: 'INT_RANGE', low: 8, high: 64 },
        { name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 0.5 },
      ],
      { strategy: 'TPE', layerCount: 2 },
    );
    expect(space.parameters.map((p) => p.name)).toEqual(['learningRate', 'batchSize', 'optimizer', 'epochs', 'units[0]', 'units[1]', 'dropout[0]']);
    expect(space.parameters[4]).toEqual({ name: 'units[0]', kind: 'INT_LOG_UNIFORM', low: 8, high: 512, step: 1 });
    expect(space.parameters[5]).toEqual({ name: 'units[1]', kind: 'INT_RANGE', low: 8, high: 64, step: 1 });
  });

  it.each<[string, unknown, string, SearchStrategy]>([
    ['an empty space', [], 'input.searchSpace', 'RANDOM'],
    ['an unknown parameter', [{ name: 'momentum', kind: 'UNIFORM', low: 0, high: 1 }], 'input.searchSpace[0].name', 'RANDOM'],
    ['an inherited property name', [{ name: 'constructor', kind: 'UNIFORM', low: 0, high: 1 }], 'input.searchSpace[0].name', 'RANDOM'],
    ['a layer parameter without index', [{ name: 'units', kind: 'INT_RANGE', low: 1, high: 4 }], 'input.searchSpace[0].name', 'RANDOM'],
    ['an index on a plain parameter', [{ name: 'epochs[0]', kind: 'INT_RANGE', low: 1, high: 4 }], 'input.searchSpace[0].name', 'RANDOM'],
    [
      'a duplicate parameter',
      [
        { name: 'epochs', kind: 'INT_RANGE', low: 1, high: 4 },
        { name: 'epochs', kind: 'CHOICE', values: [3] },
      ],
      'input.searchSpace[1].name',
      'RANDOM',
    ],
    ['an unknown kind', [{ name: 'epochs', kind: 'NORMAL', low: 1, high: 4 }], 'input.searchSpace.epochs.kind', 'RANDOM'],
    ['a kind the parameter cannot take', [{ name: 'learningRate', kind: 'INT_RANGE', low: 1, high: 4 }], 'input.searchSpace.learningRate.kind', 'RANDOM'],
    ['an empty choice', [{ name: 'batchSize', kind: 'CHOICE', values: [] }], 'input.searchSpace.batchSize.values', 'RANDOM'],
    ['a choice without values', [{ name: 'batchSize', kind: 'CHOICE' }], 'input.searchSpace.batchSize.values', 'RANDOM'],
    ['a string where a number belongs', [{ name: 'batchSize', kind: 'CHOICE', values: [16, '32'] }], 'input.searchSpace.batchSize.values[1]', 'RANDOM'],
    ['a fractional batch size', [{ name: 'batchSize', kind: 'CHOICE', values: [16.5] }], 'input.searchSpace.batchSize.values[0]', 'RANDOM'],
    ['an unknown optimizer', [{ name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'NADAM'] }], 'input.searchSpace.optimizer.values[1]', 'RANDOM'],
    ['a repeated choice', [{ name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'ADAM'] }], 'input.searchSpace.optimizer.values[1]', 'RANDOM'],
    // The GraphQL layer reads typed choices into values and names the field they came in.
    [
      'a fractional batch size among numbers',
      [{ name: 'batchSize', kind: 'CHOICE', values: [16.5], valuesField: 'numbers' }],
      'input.searchSpace.batchSize.numbers[0]',
      'RANDOM',
    ],
    [
      'an empty list of optimizers',
      [{ name: 'optimizer', kind: 'CHOICE', values: [], valuesField: 'optimizers' }],
      'input.searchSpace.optimizer.optimizers',
      'RANDOM',
    ],
    [
      'numbers on a range',
      [{ name: 'epochs', kind: 'INT_RANGE', low: 1, high: 4, values: [2], valuesField: 'numbers' }],
      'input.searchSpace.epochs.numbers',
      'RANDOM',
    ],
    ['a range on optimizer', [{ name: 'optimizer', kind: 'UNIFORM', low: 0, high: 1 }], 'input.searchSpace.optimizer.kind', 'RANDOM'],
    ['bounds on a choice', [{ name: 'epochs', kind: 'CHOICE', values: [3], low: 1 }], 'input.searchSpace.epochs.low', 'RANDOM'],
    ['low equal to high', [{ name: 'learningRate', kind: 'UNIFORM', low: 0.1, high: 0.1 }], 'input.searchSpace.learningRate.low', 'RANDOM'],
    ['low above high', [{ name: 'dropout[0]', kind: 'UNIFORM', low: 0.5, high: 0.2 }], 'input.searchSpace.dropout[0].low', 'RANDOM'],
    ['a missing high', [{ name: 'dropout[0]', kind: 'UNIFORM', low: 0.1 }], 'input.searchSpace.dropout[0].high', 'RANDOM'],
    ['a string bound', [{ name: 'dropout[0]', kind: 'UNIFORM', low: '0', high: 0.5 }], 'input.searchSpace.dropout[0].low', 'RANDOM'],
    ['a non-positive log bound', [{ name: 'dropout[0]', kind: 'LOG_UNIFORM', low: 0, high: 0.5 }], 'input.searchSpace.dropout[0].low', 'RANDOM'],
    ['a zero learning rate', [{ name: 'learningRate', kind: 'UNIFORM', low: 0, high: 0.1 }], 'input.searchSpace.learningRate.low', 'RANDOM'],
    ['dropout of 1', [{ name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 1 }], 'input.searchSpace.dropout[0].high', 'RANDOM'],
    ['a fractional int bound', [{ name: 'epochs', kind: 'INT_RANGE', low: 1.5, high: 4 }], 'input.searchSpace.epochs.low', 'RANDOM'],
    ['zero units', [{ name: 'units[0]', kind: 'INT_LOG_UNIFORM', low: 0, high: 64 }], 'input.searchSpace.units[0].low', 'RANDOM'],
    [
      'a step that does not divide the range',
      [{ name: 'units[0]', kind: 'INT_RANGE', low: 8, high: 60, step: 16 }],
      'input.searchSpace.units[0].step',
      'RANDOM',
    ],
    ['a step on a float range', [{ name: 'learningRate', kind: 'UNIFORM', low: 0.1, high: 0.2, step: 1 }], 'input.searchSpace.learningRate.step', 'RANDOM'],
    [
      'a grid over a continuous range without gridPoints',
      [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 1e-1 }],
      'input.searchSpace.learningRate.gridPoints',
      'GRID',
    ],
    [
      'gridPoints outside GRID',
      [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 1e-1, gridPoints: 3 }],
      'input.searchSpace.learningRate.gridPoints',
      'RANDOM',
    ],
    [
      'a single grid point',
      [{ name: 'learningRate', kind: 'UNIFORM', low: 0.1, high: 0.2, gridPoints: 1 }],
      'input.searchSpace.learningRate.gridPoints',
      'GRID',
    ],
    [
      'a grid beyond 100000 points',
      [
        { name: 'units[0]', kind: 'INT_RANGE', low: 1, high: 4096 },
        { name: 'units[1]', kind: 'INT_RANGE', low: 1, high: 4096 },
      ],
      'input.searchSpace',
      'GRID',
    ],
  ])('rejects %s', (_title, input, field, strategy) => {
    expect(fieldOfError(input, strategy)).toBe(field);
  });

  it('rejects a layer index beyond the model when the layer count is known', () => {
    expect(fieldOfError([{ name: 'dropout[2]', kind: 'UNIFORM', low: 0, high: 0.5 }], 'TPE', 2)).toBe('input.searchSpace[0].name');
  });

  it('names the parameter and the reason in the message', () => {
    expect(() => validateSearchSpace([{ name: 'learningRate', kind: 'LOG_UNIFORM', low: -1, high: 0.1 }], { strategy: 'TPE' })).toThrow(
      /low of learningRate must be a number in \(0, 10\], got -1/,
    );
  });
});

describe('gridValues', () => {
  it('spaces LOG_UNIFORM grid points evenly in log, bounds exact', () => {
    const space = validateSearchSpace([{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 1e-1, gridPoints: 4 }], {
      strategy: 'GRID',
    });
    const values = gridValues(space.parameters[0]) as number[];
    expect(values[0]).toBe(1e-4);
    expect(values[3]).toBe(1e-1);
    expect(values[1]).toBeCloseTo(1e-3, 15);
    expect(values[2]).toBeCloseTo(1e-2, 15);
  });

  it('enumerates int ranges by step, and rounds and deduplicates int grid points', () => {
    const space = validateSearchSpace(
      [
        { name: 'units[0]', kind: 'INT_RANGE', low: 16, high: 64, step: 16 },
        { name: 'units[1]', kind: 'INT_LOG_UNIFORM', low: 1, high: 4, gridPoints: 5 },
      ],
      { strategy: 'GRID' },
    );
    expect(gridValues(space.parameters[0])).toEqual([16, 32, 48, 64]);
    // 4^(k/4) for k = 0..4 = 1, 1.41, 2, 2.83, 4, rounded to 1, 1, 2, 3, 4.
    expect(gridValues(space.parameters[1])).toEqual([1, 2, 3, 4]);
    expect(gridSize(space)).toBe(16);
  });
});
