import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';

/** Deployment names: letters, digits, `.`, `_` and `-`, starting with a letter or digit (they appear in URLs and logs). */
export const DEPLOYMENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** @throws ValidationError when `name` does not match {@link DEPLOYMENT_NAME_PATTERN}. */
export function checkDeploymentName(name: string, field = 'input.name'): string {
  if (!DEPLOYMENT_NAME_PATTERN.test(name)) {
    throw new ValidationError(`deployment name "${name.slice(0, 110)}" must be 1-100 letters, digits, ., _ or -, starting with a letter or digit`, { field });
  }
  return name;
}

/** @throws ValidationError unless 0 < percent < 100 (0 is no canary, 100 is a promotion). */
export function checkCanaryPercent(percent: number, field = 'input.percent'): number {
  if (!Number.isFinite(percent) || percent <= 0 || percent >= 100) {
    throw new ValidationError(`canary percent must be greater than 0 and less than 100, got ${percent}`, { field });
  }
  return percent;
}

/**
 * The request key's position in [0, 100): the first 32 bits of its SHA-256 scaled to 100. The same
 * key always lands in the same place, in every process, so a client retrying a request reaches the
 * same version, and raising the canary percent only moves keys from stable to canary.
 */
export function canaryBucket(requestKey: string): number {
  const digest = createHash('sha256').update(requestKey, 'utf8').digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 100;
}

/** Whether the request with this key goes to a canary serving `percent` of requests. */
export function routesToCanary(requestKey: string, percent: number): boolean {
  return canaryBucket(requestKey) < percent;
}
