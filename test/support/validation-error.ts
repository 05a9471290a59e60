import { ValidationError } from '../../src/domain/errors';

/** The ValidationError `run` throws. @throws when it throws anything else, or nothing. */
export function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}
