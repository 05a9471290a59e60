/**
 * Who is asking, and what they may do: the roles of API keys and the rules fields declare.
 * Free of GraphQL and Prisma; `graphql/auth` applies these rules to fields.
 */

/** What an API key may do. VIEWER < EDITOR < ADMIN; PREDICTOR stands apart (see {@link satisfies}). */
export type Role = 'VIEWER' | 'EDITOR' | 'ADMIN' | 'PREDICTOR';
export const ROLES: readonly Role[] = ['VIEWER', 'EDITOR', 'ADMIN', 'PREDICTOR'];

/**
 * What a field requires: a role (that role or one above it, PREDICTOR only itself), or `PUBLIC`
 * (anyone who reached GraphQL, which over HTTP and graphql-ws already means an authenticated caller).
 */
export type AccessRule = Role | 'PUBLIC';

/** A caller resolved from its key, the product itself, or anyone on loopback when auth is disabled. */
export interface Principal {
  /** `key`: an API key; `system`: mlplane's own actions; `open`: MLPLANE_AUTH=disabled on loopback. */
  readonly kind: 'key' | 'system' | 'open';
  readonly keyId: string | null;
  /** The actor recorded in histories: the key's name, `mlplane`, or `local`. */
  readonly name: string;
  readonly role: Role;
  /** PREDICTOR keys: the deployment ids they may serve; null for every other principal. */
  readonly deploymentIds: readonly string[] | null;
  /** When the key stops working (null: never). */
  readonly expiresAt: Date | null;
}

/** The actor of what mlplane does by itself (automatic rollback, auto-resolve, study trials). */
export const SYSTEM_ACTOR = 'mlplane';
/** The actor when MLPLANE_AUTH=disabled (loopback only). */
export const OPEN_ACTOR = 'local';
/** Who the audit log names for a request without a valid key. */
export const ANONYMOUS_ACTOR = 'anonymous';
/** Names an API key cannot take: they name the product's own, the open and the anonymous principal. */
export const RESERVED_KEY_NAMES: readonly string[] = [SYSTEM_ACTOR, OPEN_ACTOR, ANONYMOUS_ACTOR];

export const SYSTEM_PRINCIPAL: Principal = { kind: 'system', keyId: null, name: SYSTEM_ACTOR, role: 'ADMIN', deploymentIds: null, expiresAt: null };
export const OPEN_PRINCIPAL: Principal = { kind: 'open', keyId: null, name: OPEN_ACTOR, role: 'ADMIN', deploymentIds: null, expiresAt: null };

const RANK: Record<Exclude<Role, 'PREDICTOR'>, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

/** Whether `role` meets `rule`: the same role or a higher one of VIEWER < EDITOR < ADMIN; PREDICTOR meets only PREDICTOR. */
export function satisfies(role: Role, rule: AccessRule): boolean {
  if (rule === 'PUBLIC') return true;
  if (role === 'PREDICTOR' || rule === 'PREDICTOR') return role === rule;
  return RANK[role] >= RANK[rule];
}

/** Whether `principal` meets any of `rules` (a field may allow e.g. EDITOR or PREDICTOR). */
export function allows(principal: Principal, rules: readonly AccessRule[]): boolean {
  return rules.some((rule) => satisfies(principal.role, rule));
}

/** Whether the principal may serve `deploymentId` (only PREDICTOR keys are restricted). */
export function mayServe(principal: Principal, deploymentId: string): boolean {
  return principal.deploymentIds === null || principal.deploymentIds.includes(deploymentId);
}

/** Whether the key has expired at `now`. */
export function isExpired(principal: Principal, now: Date): boolean {
  return principal.expiresAt !== null && principal.expiresAt.getTime() <= now.getTime();
}
