import { z } from 'zod';
import { collectInput, fieldPath, parseInput } from '../../../src/domain/common/input-schema';
import { Violations } from '../../../src/domain/errors';
import { validationErrorOf } from '../../support/validation-error';

const layer = z.strictObject({
  units: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }),
  activation: z.enum(['RELU', 'TANH']).optional(),
});
const definition = z.strictObject({ layers: z.array(layer).max(3, { error: 'must have at most 3 layers' }) });

const violationsOf = validationErrorOf;

describe('fieldPath', () => {
  it('joins names with dots and puts list positions in brackets', () => {
    expect(fieldPath('input', ['layers', 2, 'units'])).toBe('input.layers[2].units');
    expect(fieldPath('', ['instances', 0, 'age'])).toBe('instances[0].age');
    expect(fieldPath('input', [])).toBe('input');
  });
});

describe('parseInput', () => {
  it('returns what the schema produces when the input holds', () => {
    expect(parseInput(definition, { layers: [{ units: 4 }, { units: 1, activation: 'TANH' }] }, 'input')).toEqual({
      layers: [{ units: 4 }, { units: 1, activation: 'TANH' }],
    });
  });

  it('reports every problem at once, each with its field path, as one ValidationError', () => {
    const error = violationsOf(() => parseInput(definition, { layers: [{ units: 0 }, { units: 2.5, activation: 'SIGMOID', bias: true }] }, 'input'));
    const byField = Object.fromEntries(error.violations.map(({ field, message }) => [field, message]));
    expect(byField).toEqual({
      'input.layers[0].units': 'input.layers[0].units must be at least 1',
      'input.layers[1].units': 'input.layers[1].units must be an integer',
      'input.layers[1].activation': expect.stringMatching(/^input\.layers\[1\]\.activation /),
      'input.layers[1].bias': 'input.layers[1].bias is not a known field',
    });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/and 3 more problems/);
  });

  it('names the argument itself when the whole value is wrong', () => {
    const error = violationsOf(() => parseInput(z.number({ error: 'must be a number' }), 'x', ''));
    expect(error.violations).toEqual([{ message: 'argument must be a number', field: '' }]);
  });
});

describe('collectInput', () => {
  it('adds its problems to the request’s other problems and returns undefined', () => {
    const problems = new Violations();
    problems.add('input.name is empty', { field: 'input.name' });
    expect(collectInput(definition, { layers: [{ units: 4 }, { units: 4 }, { units: 4 }, { units: 4 }] }, 'input', problems)).toBeUndefined();
    expect(problems.count).toBe(2);
    const error = violationsOf(() => problems.throwIfAny());
    expect(error.violations.map((violation) => violation.field)).toEqual(['input.name', 'input.layers']);
  });
});
