/**
 * The persistence of API keys: the only code that reads or writes the `api_keys` table (the
 * deletion service takes a deleted deployment off PREDICTOR keys through {@link removeDeploymentGrants},
 * in its own transaction). It returns the domain type of `src/domain/auth/api-key.ts`, mapping rows
 * in one place ({@link toApiKey}); no Prisma row leaves it, and the secret's hash leaves it only in
 * the {@link ApiKeyCredentials} authentication compares. The rules (name and role checks, token
 * generation, the authentication cache, revocation events) are the API key service's: a function
 * here is one read or one write.
 */
import type { ApiKey as ApiKeyRow, Prisma } from '../../generated/prisma/client';
import type { ApiKey } from '../../domain/auth/api-key';
import type { Role } from '../../domain/auth/principal';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, newestFirst } from '../keyset-pagination';
import { isUniqueViolation } from '../prisma-errors';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A new key; its token's public part and the hash of its secret come from `generateToken`. */
export interface NewApiKey {
  name: string;
  role: Role;
  lookupId: string;
  secretHash: Uint8Array;
  deploymentIds: string[];
  expiresAt: Date | null;
}

/** What authenticating a token needs of its key: one read by the token's public part. */
export interface ApiKeyCredentials {
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the token's secret part. */
  secretHash: Uint8Array;
  deploymentIds: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Stores a new key; null when a key with its name exists. */
  async insert(key: NewApiKey): Promise<ApiKey | null> {
    try {
      return toApiKey(await this.prisma.apiKey.create({ data: { ...key, secretHash: new Uint8Array(key.secretHash) } }));
    } catch (error) {
      if (isUniqueViolation(error, 'name')) return null;
      throw error;
    }
  }

  /** Every key, newest first. */
  async listAll(): Promise<ApiKey[]> {
    return (await this.prisma.apiKey.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })).map(toApiKey);
  }

  /** A page of every key, newest first. */
  async page(request: PageRequest): Promise<Page<ApiKey>> {
    return keysetPage(
      {
        order: newestFirst<ApiKey>(),
        rows: async (seek, orderBy, take) => (await this.prisma.apiKey.findMany({ where: seek ?? {}, orderBy, take })).map(toApiKey),
        count: () => this.prisma.apiKey.count(),
      },
      request,
    );
  }

  async findById(id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.apiKey.findUnique({ where: { id } });
    return row && toApiKey(row);
  }

  /** The key with this id or name, or null. */
  async findByIdOrName(reference: string): Promise<ApiKey | null> {
    const row = await this.prisma.apiKey.findFirst({ where: isUuid(reference) ? { OR: [{ id: reference }, { name: reference }] } : { name: reference } });
    return row && toApiKey(row);
  }

  /** How many keys exist, revoked included. */
  async count(): Promise<number> {
    return this.prisma.apiKey.count();
  }

  async setRevokedAt(id: string, revokedAt: Date): Promise<ApiKey> {
    return toApiKey(await this.prisma.apiKey.update({ where: { id }, data: { revokedAt } }));
  }

  async setLastUsedAt(id: string, lastUsedAt: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt } });
  }

  /** The credentials of the key whose token has this public part, or null (one indexed read). */
  async findCredentials(lookupId: string): Promise<ApiKeyCredentials | null> {
    return this.prisma.apiKey.findUnique({
      where: { lookupId },
      select: { id: true, name: true, role: true, secretHash: true, deploymentIds: true, expiresAt: true, revokedAt: true },
    });
  }
}

/** Takes a deployment off every PREDICTOR key that may serve it, in `tx`; returns how many keys changed. */
export async function removeDeploymentGrants(tx: Db, deploymentId: string): Promise<number> {
  return tx.$executeRaw`UPDATE api_keys SET deployment_ids = array_remove(deployment_ids, ${deploymentId}::uuid) WHERE ${deploymentId}::uuid = ANY(deployment_ids)`;
}

/** An `api_keys` row as the domain type (without its lookup id and secret hash). */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    deploymentIds: row.deploymentIds,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}
