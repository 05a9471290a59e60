import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { formatLimit } from '../common/input-fields';

/** Deployment names: letters, digits, `.`, `_` and `-`, starting with a letter or digit (they appear in URLs and logs). */
export const DEPLOYMENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A deployment name's shape ({@link DEPLOYMENT_NAME_PATTERN}). */
export const deploymentNameSchema = z
  .string()
  .regex(DEPLOYMENT_NAME_PATTERN, { error: 'must be 1-100 letters, digits, ., _ or -, starting with a letter or digit' });

/** @throws ValidationError naming `field` when `name` does not match {@link DEPLOYMENT_NAME_PATTERN}. */
export function checkDeploymentName(name: string, field = 'input.name'): string {
  return parseInput(deploymentNameSchema, name, field);
}

const canaryPercentError = 'must be greater than 0 and less than 100 (0 is no canary, 100 a promotion)';

/** A canary's share of requests: 0 < percent < 100 (0 is no canary, 100 is a promotion). */
export const canaryPercentSchema = z.number({ error: canaryPercentError }).gt(0, { error: canaryPercentError }).lt(100, { error: canaryPercentError });

/** @throws ValidationError naming `field` unless 0 < percent < 100. */
export function checkCanaryPercent(percent: number, field = 'input.percent'): number {
  return parseInput(canaryPercentSchema, percent, field);
}

/** Longest reason a deployment change may carry (it is shown in the deployment's history). */
export const MAX_REASON_LENGTH = 2_000;

const reasonText = z
  .string()
  .trim()
  .max(MAX_REASON_LENGTH, { error: `is longer than ${formatLimit(MAX_REASON_LENGTH)} characters` });

/** A rollback's reason: required, trimmed. */
export const rollbackReasonSchema = reasonText.min(1, { error: 'is empty: a rollback needs a reason' });

/** The optional reason of a version switch: trimmed, null when blank. */
export const changeReasonSchema = reasonText.nullish().transform((reason) => reason || null);

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
