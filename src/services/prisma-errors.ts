import { shownValue } from '../domain/errors';

/** Prisma's error code for a unique constraint violation. */
const UNIQUE_VIOLATION = 'P2002';

/**
 * Whether `error` is a unique-constraint violation, optionally on a constraint that involves `field`.
 * With the pg driver adapter the target is reported in `meta.target` or in the driver error's message.
 */
export function isUniqueViolation(error: unknown, field?: string): boolean {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== UNIQUE_VIOLATION) return false;
  if (!field) return true;
  const meta = (error as { meta?: Record<string, unknown> }).meta ?? {};
  return JSON.stringify(meta).includes(field) || shownValue((error as { message?: unknown }).message).includes(field);
}
