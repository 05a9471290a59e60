/** A deployment's traffic query: how far back, in buckets of how many seconds. */
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { formatLimit, integerAtLeast, integerFrom } from '../common/input-fields';

/** Longest look-back and finest bucket of a traffic query. */
export const MAX_TRAFFIC_MINUTES = 7 * 24 * 60;
export const MIN_TRAFFIC_BUCKET_SECONDS = 5;
/** Most buckets one query returns. */
export const MAX_TRAFFIC_BUCKETS = 2_000;

export interface TrafficQuery {
  minutes: number;
  bucketSeconds: number;
}

/** The bounds of a traffic query; the bucket count is checked once both arguments hold. */
export const trafficQuerySchema = z
  .object({
    minutes: integerFrom(1, MAX_TRAFFIC_MINUTES),
    bucketSeconds: integerAtLeast(MIN_TRAFFIC_BUCKET_SECONDS),
  })
  .refine(({ minutes, bucketSeconds }) => (minutes * 60) / bucketSeconds <= MAX_TRAFFIC_BUCKETS, {
    path: ['bucketSeconds'],
    error: `must cut the minutes into at most ${formatLimit(MAX_TRAFFIC_BUCKETS)} buckets (minutes * 60 / bucketSeconds)`,
    when: (payload) => payload.issues.length === 0,
  });

/** @throws ValidationError naming each argument at fault (`minutes`, `bucketSeconds`). */
export function checkTrafficQuery(query: TrafficQuery): TrafficQuery {
  return parseInput(trafficQuerySchema, query, '');
}
