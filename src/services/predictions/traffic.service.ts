import { checkTrafficQuery, type TrafficQuery } from '../../domain/deployments/traffic-query';
import type { PrismaClient } from '../../infra/db/prisma-client';

/** Predictions of one time bucket: how many, from how many requests, and their logged latency. */
export interface TrafficBucket {
  start: Date;
  predictions: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

interface TrafficRow {
  start: Date;
  predictions: bigint;
  requests: bigint;
  p50: number;
  p99: number;
}

/**
 * A deployment's prediction rate and latency over time, read from the prediction log: buckets of
 * `bucketSeconds` over the last `minutes`, oldest first; buckets without predictions are left out.
 */
export class TrafficService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async traffic(deploymentId: string, query: TrafficQuery): Promise<TrafficBucket[]> {
    checkTrafficQuery(query);
    const since = new Date(this.now().getTime() - query.minutes * 60_000);
    const rows = await this.prisma.$queryRaw<TrafficRow[]>`
      SELECT to_timestamp(floor(extract(epoch FROM created_at) / ${query.bucketSeconds}::int) * ${query.bucketSeconds}::int) AS start,
             count(*) AS predictions,
             count(DISTINCT request_key) AS requests,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
        FROM predictions
       WHERE deployment_id = ${deploymentId}::uuid AND created_at >= ${since}
       GROUP BY 1
       ORDER BY 1`;
    return rows.map((row) => ({
      start: row.start,
      predictions: Number(row.predictions),
      requests: Number(row.requests),
      latencyP50Ms: row.p50,
      latencyP99Ms: row.p99,
    }));
  }
}
