import { checkTrafficQuery, type TrafficQuery } from '../../domain/deployments/traffic-query';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { PredictionRepository } from './prediction-repository';

/** Predictions of one time bucket: how many, from how many requests, and their logged latency. */
export interface TrafficBucket {
  start: Date;
  predictions: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
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
    checkTrafficQuery(query);
    const since = new Date(this.now().getTime() - query.minutes * 60_000);
    return this.predictions.traffic(deploymentId, since, query.bucketSeconds);
  }
}
