import { InUseError } from '../../../src/domain/errors';
import { describeUsages, MAX_USAGES_NAMED, type Usage } from '../../../src/domain/lifecycle/usage';
import { formatGraphQLError } from '../../../src/graphql/errors';
import { logger } from '../../../src/infra/logger';

describe('IN_USE refusals', () => {
  const usages: Usage[] = [
    { kind: 'ALIAS', id: null, name: 'production', how: 'points at it' },
    { kind: 'DEPLOYMENT', id: 'd1', name: 'web', how: 'serves it' },
    { kind: 'MODEL_VERSION', id: 'v4', name: 'version 4 of model "seed"', how: 'was promoted from one of its trials (delete it first)' },
    { kind: 'RUN', id: 'r1', name: null, how: '(TRAINING) is RUNNING: cancel it first' },
  ];

  it('names each user and how it uses the thing', () => {
    expect(describeUsages(usages)).toBe(
      'alias "production" points at it; deployment "web" serves it; version 4 of model "seed" was promoted from one of its trials (delete it first); run r1 (TRAINING) is RUNNING: cancel it first',
    );
  });

  it('names at most 20 and counts the rest', () => {
    const many: Usage[] = Array.from({ length: MAX_USAGES_NAMED + 3 }, (_, i) => ({ kind: 'DEPLOYMENT', id: `d${i}`, name: `d${i}`, how: 'serves it' }));
    const text = describeUsages(many);
    expect(text.split('; ').length).toBe(MAX_USAGES_NAMED + 1);
    expect(text.endsWith('; and 3 more')).toBe(true);
  });

  it('reaches the client as code IN_USE with usedBy and usedByCount', () => {
    const error = new InUseError('cannot delete model version 3 of "seed"', usages, { field: 'id' });
    const formatted = formatGraphQLError(error, { requestId: 'r', logger });
    expect(formatted.message).toBe(`cannot delete model version 3 of "seed": ${describeUsages(usages)}`);
    expect(formatted.extensions).toEqual({ code: 'IN_USE', field: 'id', usedBy: usages, usedByCount: 4 });
  });
});
