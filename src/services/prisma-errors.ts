/** Prisma's error code for a unique constraint violation. */
const UNIQUE_VIOLATION = 'P2002';
/** PostgreSQL's SQLSTATE for one (node-postgres errors, from writes that go around Prisma). */
const UNIQUE_VIOLATION_SQLSTATE = '23505';

/**
 * Whether `error` is a unique-constraint violation, optionally on a constraint that involves `field`.
 * With the pg driver adapter the target is reported in `meta.target` or in the driver error's message;
 * node-postgres names the constraint (`datasets_name_key`).
 */
export function isUniqueViolation(error: unknown, field?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta, constraint, message } = error as { code?: unknown; meta?: Record<string, unknown>; constraint?: unknown; message?: unknown };
  if (code === UNIQUE_VIOLATION_SQLSTATE) return !field || String(constraint).includes(field);
  if (code !== UNIQUE_VIOLATION) return false;
  if (!field) return true;
  return JSON.stringify(meta ?? {}).includes(field) || String(message).includes(field);
}
