import { ValidationError, type ErrorLocation } from '../../../src/domain/errors';

/**
 * Runs `action`, requires it to throw a ValidationError, and checks its location exactly
 * (absent keys must be absent) and its message against `message`.
 */
export function expectValidationError(action: () => unknown, location: ErrorLocation, message: RegExp): ValidationError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const error = thrown as ValidationError;
  expect(error.code).toBe('BAD_USER_INPUT');
  expect(error.location).toEqual(location);
  expect(error.message).toMatch(message);
  return error;
}
