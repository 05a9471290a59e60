import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key tokens: `mlp_<lookupId>_<secret>`. The lookup id (64 random bits, hex) finds the row; the
 * secret (256 random bits, base64url) is stored only as its SHA-256 and compared in constant time.
 * A fast hash suits a 256-bit random secret: there is nothing to guess that a slow hash would protect.
 */
const PREFIX = 'mlp_';
const TOKEN_PATTERN = /^mlp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  token: string;
  lookupId: string;
  secretHash: Buffer;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A new random token and what is stored of it. */
export function generateToken(): NewToken {
  const lookupId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}${lookupId}_${secret}`, lookupId, secretHash: hashSecret(secret) };
}

/** The parts of a well-formed token, or undefined. */
export function parseToken(token: string): { lookupId: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { lookupId: match[1], secret: match[2] } : undefined;
}

/** Whether `secret` hashes to `storedHash`, in time independent of where they differ. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const given = hashSecret(secret);
  return storedHash.length === given.length && timingSafeEqual(given, storedHash);
}

/** The token of an `Authorization: Bearer <token>` value (or of a bare token), else undefined. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}
