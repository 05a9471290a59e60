/**
 * `startOptimization`'s search space as the domain takes it: a CHOICE's choices come as `numbers`,
 * `optimizers` or (deprecated) JSON `values`, and reach the domain as its `values`, with the field
 * they came from so that every error names what the client sent.
 */
import { ValidationError, type Violation } from '../../domain/errors';
import type { SearchParameterInput as DomainSearchParameterInput } from '../../domain/optimization/search-space';
import type { SearchParameterInput } from './study.input';

/** The forms a CHOICE's choices may take, in the order the message names them. */
const CHOICE_FORMS = ['numbers', 'optimizers', 'values'] as const;

/**
 * The search space, each parameter's choices read from the one form given.
 * @throws ValidationError listing every parameter that gives more than one form, or a CHOICE that gives none
 */
export function readSearchSpace(parameters: readonly SearchParameterInput[]): DomainSearchParameterInput[] {
  const problems: Violation[] = [];
  const read = parameters.map((parameter, index) => {
    const given = CHOICE_FORMS.filter((form) => parameter[form] != null);
    if (given.length > 1 || (given.length === 0 && parameter.kind === 'CHOICE')) {
      problems.push({
        message: `search parameter ${index}: a CHOICE gives exactly one of numbers, optimizers and values (deprecated); other kinds none`,
        field: `input.searchSpace[${index}]`,
      });
    }
    const { numbers: _numbers, optimizers: _optimizers, values: _values, ...rest } = parameter;
    const form = given.at(0);
    return form === undefined ? rest : { ...rest, values: parameter[form], valuesField: form };
  });
  if (problems.length > 0) throw ValidationError.of(problems);
  return read;
}
