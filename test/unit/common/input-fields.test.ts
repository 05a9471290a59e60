import { byShapeOrder, collectFields, inputObject, integerFrom, oneOf } from '../../../src/domain/common/input-fields';
import { parseInput } from '../../../src/domain/common/input-schema';
import { Violations } from '../../../src/domain/errors';
import { validationErrorOf } from '../../support/validation-error';

const schema = inputObject({ epochs: integerFrom(1, 10).default(3), optimizer: oneOf(['SGD', 'ADAM']).optional() });

const violationsOf = validationErrorOf;

describe('input fields', () => {
  it('say what the field must be and what was sent, once per field', () => {
    const error = violationsOf(() => parseInput(schema, { epochs: -1.5, optimizer: 'LBFGS' }, 'input'));
    expect(error.violations).toEqual([
      { message: 'input.epochs must be an integer from 1 to 10, got -1.5', field: 'input.epochs' },
      { message: 'input.optimizer must be one of SGD, ADAM, got LBFGS', field: 'input.optimizer' },
    ]);
  });

  it('read a null field as an absent one, so that its default applies', () => {
    expect(parseInput(schema, { epochs: null, optimizer: null }, 'input')).toEqual({ epochs: 3 });
  });

  it('refuse what is not an object', () => {
    expect(violationsOf(() => parseInput(schema, [1], 'input')).violations).toEqual([{ message: 'input must be an object', field: 'input' }]);
  });
});

describe('collectFields', () => {
  it('returns the fields that hold while others do not, with the problems of the others', () => {
    const problems = new Violations();
    const { value, fields } = collectFields(schema, { epochs: 0, optimizer: 'SGD', other: 1 }, 'input', problems);
    expect(value).toBeUndefined();
    expect(fields).toEqual({ optimizer: 'SGD' });
    expect(problems.count).toBe(2);
  });

  it('returns the whole value when every field holds', () => {
    const problems = new Violations();
    expect(collectFields(schema, {}, 'input', problems)).toEqual({ value: { epochs: 3 }, fields: { epochs: 3 } });
    expect(problems.count).toBe(0);
  });
});

describe('byShapeOrder', () => {
  it('orders violations by their field in the shape, those under no field last', () => {
    const compare = byShapeOrder(schema.out.shape, 'input');
    const fields = ['input.other', 'input.optimizer', 'input.epochs'].map((field) => ({ field }));
    expect(fields.sort(compare).map(({ field }) => field)).toEqual(['input.epochs', 'input.optimizer', 'input.other']);
  });
});
