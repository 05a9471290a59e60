import type { ApiKey } from '../../domain/auth/api-key';
import { generateToken, parseToken, secretMatches } from '../../domain/auth/api-key-token';
import { isExpired, type Principal, type Role } from '../../domain/auth/principal';
import { apiKeyInputSchema } from '../../domain/auth/api-key-input';
import { parseInput } from '../../domain/common/input-schema';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { ConflictError, NotFoundError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import { DeploymentRepository } from '../deployments/deployment-repository';
import { ApiKeyRepository, type ApiKeyCredentials } from './api-key-repository';

export type { ApiKey } from '../../domain/auth/api-key';

export interface CreateApiKeyInput {
  name: string;
  role: string;
  /** PREDICTOR keys only: deployment names (or ids) the key may serve. */
  deployments?: readonly string[] | null;
  expiresAt?: Date | null;
}

export interface ApiKeyStoreOptions {
  /** How long a key read from the database is trusted without reading it again. Revocations invalidate at once. @default 5000 */
  cacheMs?: number;
  /** How often `lastUsedAt` is written per key, at most. @default 60000 */
  lastUsedEveryMs?: number;
  now?: () => Date;
}

interface CachedKey {
  row: ApiKeyCredentials;
  readAt: number;
}

function principalOf(row: CachedKey['row']): Principal {
  return {
    kind: 'key',
    keyId: row.id,
    name: row.name,
    role: row.role,
    deploymentIds: row.role === 'PREDICTOR' ? row.deploymentIds : null,
    expiresAt: row.expiresAt,
  };
}

/**
 * API keys: create (the token is returned once), list, revoke, and authenticate a token.
 *
 * Authentication reads a key once per `cacheMs` and checks the secret in constant time on every
 * call. A revocation (from any process, or the CLI) arrives as the `apiKeyRevoked` event; the API
 * process passes it to {@link invalidate}, which drops the cached key and tells listeners (the
 * graphql-ws transport closes that key's sockets).
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastUsedWrites = new Map<string, number>();
  private readonly listeners = new Set<(keyId: string) => void>();
  private readonly keys: ApiKeyRepository;
  private readonly deployments: DeploymentRepository;
  private readonly cacheMs: number;
  private readonly lastUsedEveryMs: number;
  readonly now: () => Date;

  constructor(
    prisma: PrismaClient,
    private readonly events: EventPublisher,
    options: ApiKeyStoreOptions = {},
  ) {
    this.keys = new ApiKeyRepository(prisma);
    this.deployments = new DeploymentRepository(prisma);
    this.cacheMs = options.cacheMs ?? 5_000;
    this.lastUsedEveryMs = options.lastUsedEveryMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates a key and returns it with its token, which is not stored and cannot be shown again.
   * @throws ValidationError listing every bad field (name, role, expiry, deployment list: `apiKeyInputSchema`), before
   *   NotFoundError for an unknown deployment and ConflictError for a taken name.
   */
  async createKey(input: CreateApiKeyInput): Promise<{ key: ApiKey; token: string }> {
    const { name, role, expiresAt, deployments } = parseInput(apiKeyInputSchema(this.now()), input, 'input');
    const deploymentIds = await this.resolveDeployments(role, deployments ?? []);
    const { token, lookupId, secretHash } = generateToken();
    const key = await this.keys.insert({ name, role, lookupId, secretHash, deploymentIds, expiresAt: expiresAt ?? null });
    if (!key) throw new ConflictError(`an API key named "${name}" already exists`, { field: 'input.name' });
    logger.info({ keyId: key.id, name, role }, 'API key created');
    return { key, token };
  }

  /** The ids of a PREDICTOR key's deployments (the list's shape is checked by createKey). */
  private async resolveDeployments(role: Role, references: readonly string[]): Promise<string[]> {
    if (role !== 'PREDICTOR') return [];
    const ids: string[] = [];
    for (const [index, reference] of references.entries()) {
      const id = await this.deployments.idByReference(reference);
      if (!id) throw new NotFoundError('deployment', reference, { field: `input.deployments[${index}]`, index });
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  /** Every key, newest first (revoked ones included, with `revokedAt`). */
  async listKeys(): Promise<ApiKey[]> {
    return this.keys.listAll();
  }

  /** A page of every key, newest first, revoked ones included. */
  async pageKeys(request: PageRequest): Promise<Page<ApiKey>> {
    return this.keys.page(request);
  }

  async findKeyById(id: string): Promise<ApiKey | null> {
    return this.keys.findById(id);
  }

  /** How many keys exist (revoked included): none means a first start. */
  async countKeys(): Promise<number> {
    return this.keys.count();
  }

  /** The key with this id or name. @throws NotFoundError */
  async requireKey(reference: string, field = 'id'): Promise<ApiKey> {
    const key = await this.keys.findByIdOrName(reference);
    if (!key) throw new NotFoundError('API key', reference, { field });
    return key;
  }

  /**
   * Revokes a key (by id or name): it stops authenticating at once in every API process, and its open
   * sockets close. Revoking a revoked key changes nothing. @throws NotFoundError
   */
  async revokeKey(reference: string, field = 'id'): Promise<ApiKey> {
    const key = await this.requireKey(reference, field);
    if (key.revokedAt) return key;
    const revoked = await this.keys.setRevokedAt(key.id, this.now());
    logger.info({ keyId: key.id, name: key.name }, 'API key revoked');
    this.invalidate(key.id);
    await this.events.publish('apiKeyRevoked', { id: key.id });
    return revoked;
  }

  /**
   * The principal of a token, or null when it is malformed, unknown, revoked or expired.
   * Database errors propagate (the caller answers 503/500, never "unauthenticated").
   */
  async authenticate(token: string): Promise<Principal | null> {
    const parts = parseToken(token);
    if (!parts) return null;
    const nowMs = this.now().getTime();
    let cached = this.cache.get(parts.lookupId);
    if (!cached || nowMs - cached.readAt > this.cacheMs) {
      const row = await this.keys.findCredentials(parts.lookupId);
      if (!row) {
        this.cache.delete(parts.lookupId);
        return null;
      }
      cached = { row, readAt: nowMs };
      this.cache.set(parts.lookupId, cached);
    }
    if (!secretMatches(parts.secret, cached.row.secretHash)) return null;
    const principal = principalOf(cached.row);
    if (cached.row.revokedAt || isExpired(principal, this.now())) return null;
    this.noteUse(cached.row.id, nowMs);
    return principal;
  }

  /** Forgets a cached key (after a revocation) and tells listeners. */
  invalidate(keyId: string): void {
    for (const [lookupId, cached] of this.cache) if (cached.row.id === keyId) this.cache.delete(lookupId);
    for (const listener of this.listeners) listener(keyId);
  }

  /** Calls `listener` with the id of every key revoked from now on; returns the unsubscribe function. */
  onRevoked(listener: (keyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private noteUse(keyId: string, nowMs: number): void {
    const last = this.lastUsedWrites.get(keyId);
    if (last !== undefined && nowMs - last < this.lastUsedEveryMs) return;
    this.lastUsedWrites.set(keyId, nowMs);
    this.keys.setLastUsedAt(keyId, new Date(nowMs)).catch((error: unknown) => {
      logger.warn({ err: error, keyId }, 'could not record the last use of an API key');
    });
  }
}
