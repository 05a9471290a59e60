import { auditedRoleOf } from '../../../src/domain/audit/audit-event';

describe('auditedRoleOf', () => {
  it('reads a stored role as its Role, and none (or a name no role has) as null', () => {
    expect(auditedRoleOf('ADMIN')).toBe('ADMIN');
    expect(auditedRoleOf('PREDICTOR')).toBe('PREDICTOR');
    expect(auditedRoleOf(null)).toBeNull();
    expect(auditedRoleOf('admin')).toBeNull();
  });
});
