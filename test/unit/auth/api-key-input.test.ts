import { apiKeyInputSchema } from '../../../src/domain/auth/api-key-input';
import { parseInput } from '../../../src/domain/common/input-schema';
import { ValidationError } from '../../../src/domain/errors';

const now = new Date('2026-01-01T00:00:00Z');

function violationsOf(input: unknown): Array<{ field?: string; message: string }> {
  try {
    parseInput(apiKeyInputSchema(now), input, 'input');
  } catch (error) {
    if (error instanceof ValidationError) return error.violations.map(({ field, message }) => ({ field, message }));
    throw error;
  }
  return [];
}

describe('API key input', () => {
  it('trims the name and takes a role, an expiry after now and, for PREDICTOR keys, deployments', () => {
    expect(parseInput(apiKeyInputSchema(now), { name: '  ci  ', role: 'EDITOR' }, 'input')).toEqual({ name: 'ci', role: 'EDITOR' });
    const expiresAt = new Date('2026-02-01T00:00:00Z');
    expect(parseInput(apiKeyInputSchema(now), { name: 'p', role: 'PREDICTOR', deployments: ['churn'], expiresAt }, 'input')).toEqual({
      name: 'p',
      role: 'PREDICTOR',
      deployments: ['churn'],
      expiresAt,
    });
  });

  it('reports every problem at once, in field order, each naming its field', () => {
    expect(violationsOf({ name: 'no spaces', role: 'VIEWER', expiresAt: now, deployments: ['served'] })).toEqual([
      { field: 'input.name', message: 'input.name must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)' },
      { field: 'input.expiresAt', message: 'input.expiresAt must be in the future' },
      { field: 'input.deployments', message: 'input.deployments apply to PREDICTOR keys only' },
    ]);
    expect(violationsOf({ name: 'mlplane', role: 'OWNER' })).toEqual([
      { field: 'input.name', message: "input.name is reserved for mlplane's own actions" },
      { field: 'input.role', message: 'input.role must be one of VIEWER, EDITOR, ADMIN, PREDICTOR' },
    ]);
    expect(violationsOf({ name: 'p', role: 'PREDICTOR', deployments: [] })).toEqual([
      { field: 'input.deployments', message: 'input.deployments must name at least one deployment for a PREDICTOR key' },
    ]);
  });
});
