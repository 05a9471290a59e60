/**
 * The audit trail as the services and resolvers see it: a plain type with no database type in it.
 * `src/services/audit/audit-event-repository.ts` is the only code that touches the `audit_events`
 * table and maps its rows to this.
 */
import { ROLES, type Role } from '../auth/principal';

/** SUCCEEDED: the mutation did what it was asked; FAILED: it ran and failed; DENIED: it was refused before it ran. */
export type AuditOutcome = 'SUCCEEDED' | 'FAILED' | 'DENIED';

/** One audited mutation (or refused attempt): who, what, on which ids, with what outcome. */
export interface AuditEvent {
  id: string;
  /** The key's name; `anonymous` without a valid key, `local` when auth is disabled. */
  principal: string;
  /** The key's role; null without a valid key. */
  role: Role | null;
  /** The mutation field, e.g. `updateDeployment`. */
  operation: string;
  /** Ids and names the arguments named, and ids of what the mutation returned. */
  targetIds: string[];
  outcome: AuditOutcome;
  errorCode: string | null;
  requestId: string;
  clientAddress: string | null;
  createdAt: Date;
}

/** A stored role as a {@link Role}; null for none (or a name no role has). */
export function auditedRoleOf(stored: string | null): Role | null {
  return ROLES.find((role) => role === stored) ?? null;
}
