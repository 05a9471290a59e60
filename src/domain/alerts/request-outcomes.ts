/** The longest window request outcomes are kept for (per-second buckets). */
export const MAX_OUTCOME_WINDOW_SECONDS = 86_400;

export interface OutcomeCounts {
  total: number;
  failed: number;
  /** failed / total; null without requests. */
  rate: number | null;
}

/**
 * Outcomes (answered or failed) of one deployment's predict requests in this process, in
 * per-second buckets, so a rate over any window up to {@link MAX_OUTCOME_WINDOW_SECONDS} is exact
 * to the second.
 */
export class RequestOutcomes {
  private readonly buckets = new Map<number, { ok: number; failed: number }>();
  private oldest = Infinity;

  record(ok: boolean, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    let bucket = this.buckets.get(second);
    if (!bucket) {
      this.buckets.set(second, (bucket = { ok: 0, failed: 0 }));
      this.oldest = Math.min(this.oldest, second);
      this.prune(second);
    }
    if (ok) bucket.ok += 1;
    else bucket.failed += 1;
  }

  /** Requests in the last `windowSeconds` seconds up to `nowMs` (the current second included). */
  counts(windowSeconds: number, nowMs: number): OutcomeCounts {
    const now = Math.floor(nowMs / 1000);
    let total = 0;
    let failed = 0;
    for (const [second, bucket] of this.buckets) {
      if (second > now - windowSeconds && second <= now) {
        total += bucket.ok + bucket.failed;
        failed += bucket.failed;
      }
    }
    return { total, failed, rate: total === 0 ? null : failed / total };
  }

  private prune(now: number): void {
    const limit = now - MAX_OUTCOME_WINDOW_SECONDS;
    if (this.oldest > limit) return;
    for (const second of this.buckets.keys()) if (second <= limit) this.buckets.delete(second);
    this.oldest = Math.min(...this.buckets.keys());
  }
}
