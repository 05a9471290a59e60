/** Milliseconds since some epoch; `Date.now` in production, a hand-moved value in tests. */
export type Clock = () => number;

/** One bucket's shape: it holds up to `capacity` tokens and regains `refillPerMinute` per minute. */
export interface BucketSettings {
  capacity: number;
  refillPerMinute: number;
}

/** What taking from a bucket found; the numbers are what `RateLimit-*` and `Retry-After` headers carry. */
export interface BucketVerdict {
  allowed: boolean;
  /** The bucket's capacity. */
  limit: number;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the refused take would succeed; 0 when allowed. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets by key (one per client), in memory: a key's bucket starts full, each take removes
 * its cost if enough tokens are there (nothing otherwise), and tokens come back continuously. A
 * capacity or refill of 0 turns the limit off. Full buckets are forgotten, so idle clients cost
 * no memory.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private takesSinceSweep = 0;

  constructor(
    readonly settings: BucketSettings,
    private readonly clock: Clock = Date.now,
  ) {
    this.perMs = settings.refillPerMinute / 60_000;
  }

  get enabled(): boolean {
    return this.settings.capacity > 0 && this.settings.refillPerMinute > 0;
  }

  /** Tracked keys (diagnostics and tests). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes `cost` tokens from `key`'s bucket if it holds them. A cost above the capacity is never allowed. */
  take(key: string, cost = 1): BucketVerdict {
    const { capacity } = this.settings;
    if (!this.enabled) return { allowed: true, limit: capacity, remaining: capacity, resetSeconds: 0, retryAfterSeconds: 0 };
    const now = this.clock();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    const allowed = cost <= bucket.tokens;
    if (allowed) bucket.tokens -= cost;
    this.buckets.set(key, bucket);
    const missing = allowed ? 0 : cost - bucket.tokens;
    return {
      allowed,
      limit: capacity,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil((capacity - bucket.tokens) / this.perMs / 1000),
      retryAfterSeconds: allowed ? 0 : cost > capacity ? Math.ceil(capacity / this.perMs / 1000) : Math.max(1, Math.ceil(missing / this.perMs / 1000)),
    };
  }

  /** Every 1,000 takes, forgets the buckets that have refilled. */
  private sweep(now: number): void {
    this.takesSinceSweep += 1;
    if (this.takesSinceSweep < 1_000) return;
    this.takesSinceSweep = 0;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.perMs >= this.settings.capacity) this.buckets.delete(key);
    }
  }
}
