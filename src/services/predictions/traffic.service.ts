import { ValidationError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { PredictionRepository } from './prediction-repository';

/** Longest look-back and finest bucket of a traffic query. */
export const MAX_TRAFFIC_MINUTES = 7 * 24 * 60;
export const MIN_TRAFFIC_BUCKET_SECONDS = 5;
/** Most buckets one query returns. */
export const MAX_TRAFFIC_BUCKETS = 2_000;

/** Predictions of one time bucket: how many, from how many requests, and their logged latency. */
export interface TrafficBucket {
  start: Date;
  predictions: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface TrafficQuery {
  minutes: number;
  bucketSeconds: number;
}

/** Checks a traffic query's bounds; names the argument at fault. */
export function validateTrafficQuery({ minutes, bucketSeconds }: TrafficQuery): void {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_TRAFFIC_MINUTES) {
    throw new ValidationError(`minutes must be an integer in [1, ${MAX_TRAFFIC_MINUTES}], got ${minutes}`, { field: 'minutes' });
  }
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < MIN_TRAFFIC_BUCKET_SECONDS) {
    throw new ValidationError(`bucketSeconds must be an integer of at least ${MIN_TRAFFIC_BUCKET_SECONDS}, got ${bucketSeconds}`, { field: 'bucketSeconds' });
  }
  if ((minutes * 60) / bucketSeconds > MAX_TRAFFIC_BUCKETS) {
    throw new ValidationError(`minutes * 60 / bucketSeconds must be at most ${MAX_TRAFFIC_BUCKETS} buckets`, { field: 'bucketSeconds' });
  }
}

/**
 * A deployment's prediction rate and latency over time, read from the prediction log: buckets of
 * `bucketSeconds` over the last `minutes`, oldest first; buckets without predictions are left out.
 */
export class TrafficService {
  private readonly predictions: PredictionRepository;

  constructor(
    prisma: PrismaClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.predictions = new PredictionRepository(prisma);
  }

  async traffic(deploymentId: string, query: TrafficQuery): Promise<TrafficBucket[]> {
    validateTrafficQuery(query);
    const since = new Date(this.now().getTime() - query.minutes * 60_000);
    return this.predictions.traffic(deploymentId, since, query.bucketSeconds);
  }
}
