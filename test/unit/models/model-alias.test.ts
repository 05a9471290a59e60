import { checkAliasName } from '../../../src/domain/models/model-alias';
import { expectValidationError } from '../datasets/expect-validation-error';

describe('checkAliasName', () => {
  it('accepts 1-63 lowercase letters, digits, - and _, starting with a letter', () => {
    for (const alias of ['production', 'a', 'canary-2_b', `a${'b'.repeat(62)}`]) expect(checkAliasName(alias, 'input.alias')).toBe(alias);
  });

  it('refuses anything else on the given field, quoting at most 70 characters of it', () => {
    for (const alias of ['', 'Production', '2nd', 'has space', `a${'b'.repeat(63)}`]) {
      expectValidationError(
        () => checkAliasName(alias, 'input.alias'),
        { field: 'input.alias' },
        /^input\.alias ".*" must be 1-63 lowercase letters, digits, - or _, starting with a letter$/,
      );
    }
    const error = expectValidationError(() => checkAliasName('X'.repeat(100), 'input.alias'), { field: 'input.alias' }, /must be 1-63/);
    expect(error.message).toContain(`"${'X'.repeat(70)}"`);
  });
});
