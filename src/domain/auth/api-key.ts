/**
 * API keys as the services, resolvers and CLI see them: a plain type with no database type in it
 * and no secret material (the hash stays in `api-key-repository.ts`, which is the only code that
 * touches the `api_keys` table and maps its rows to this).
 */
import type { Role } from './principal';

export interface ApiKey {
  id: string;
  /** Unique; recorded as the actor of everything the key does. */
  name: string;
  role: Role;
  /** PREDICTOR keys: the deployments (ids) they may serve; empty for other roles. */
  deploymentIds: string[];
  expiresAt: Date | null;
  /** Last authenticated use (written at most once a minute per process). */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}
