/**
 * A deployment's dynamic batching settings, kept in `Deployment.serving` (`{}` = defaults).
 * Concurrent requests to one model version are combined into one model call:
 * - maxBatchSize 1024: most rows (instances) one call carries; a request larger than this is
 *   inferred on its own, never split;
 * - maxDelayMs 0: how long the first queued request waits for others. 0 waits for no timer: the
 *   call runs once the requests that arrived in the same event-loop turn are queued (under load,
 *   every request read from the sockets in that turn), so a lone request pays nothing.
 */
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { integerFrom } from '../common/input-fields';

export interface BatchingSettings {
  maxBatchSize: number;
  maxDelayMs: number;
}

export interface BatchingPatch {
  maxBatchSize?: number | null;
  maxDelayMs?: number | null;
}

export const DEFAULT_BATCHING: Readonly<BatchingSettings> = Object.freeze({ maxBatchSize: 1024, maxDelayMs: 0 });
export const MAX_BATCH_SIZE_LIMIT = 65_536;
export const MAX_DELAY_MS_LIMIT = 100;

/** The settings stored in `serving` (unknown or malformed keys fall back to the defaults). */
export function batchingOf(serving: unknown): BatchingSettings {
  const stored = (serving !== null && typeof serving === 'object' ? serving : {}) as Record<string, unknown>;
  const pick = (key: keyof BatchingSettings) => (typeof stored[key] === 'number' ? stored[key] : DEFAULT_BATCHING[key]);
  return { maxBatchSize: pick('maxBatchSize'), maxDelayMs: pick('maxDelayMs') };
}

/** The shape of a patch of the batching settings (`null` resets a setting). */
export const batchingPatchSchema = z.object({
  maxBatchSize: integerFrom(1, MAX_BATCH_SIZE_LIMIT).nullish(),
  maxDelayMs: integerFrom(0, MAX_DELAY_MS_LIMIT).nullish(),
});

/** Applies a patch ({@link batchingPatchSchema}; `null` resets a setting). @throws ValidationError listing every `input.<setting>` at fault. */
export function patchBatching(current: BatchingSettings, patch: BatchingPatch, fieldPrefix = 'input'): BatchingSettings {
  const { maxBatchSize, maxDelayMs } = parseInput(batchingPatchSchema, patch, fieldPrefix);
  return {
    maxBatchSize: maxBatchSize === null ? DEFAULT_BATCHING.maxBatchSize : (maxBatchSize ?? current.maxBatchSize),
    maxDelayMs: maxDelayMs === null ? DEFAULT_BATCHING.maxDelayMs : (maxDelayMs ?? current.maxDelayMs),
  };
}
