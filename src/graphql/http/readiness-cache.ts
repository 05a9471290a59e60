import type { Clock } from '../../domain/limits/token-bucket';

/**
 * `check` behind a short cache: one call at a time (concurrent callers share the call in flight)
 * and its result reused for `ttlMs` after it settles, so a burst of probes costs one check.
 */
export function cachedCheck<T>(check: () => Promise<T>, ttlMs: number, clock: Clock = Date.now): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  let last: { value: T; at: number } | null = null;
  return () => {
    if (last && clock() - last.at < ttlMs) return Promise.resolve(last.value);
    inFlight ??= check()
      .then((value) => {
        last = { value, at: clock() };
        return value;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}
