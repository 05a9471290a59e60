import { TokenBuckets } from '../../../src/domain/limits/token-bucket';

describe('token buckets', () => {
  it('starts full, empties, and refills continuously at the set rate', () => {
    let now = 0;
    const buckets = new TokenBuckets({ capacity: 5, refillPerMinute: 30 }, () => now);
    const taken = Array.from({ length: 6 }, () => buckets.take('a'));
    expect(taken.map((verdict) => verdict.allowed)).toEqual([true, true, true, true, true, false]);
    expect(taken[4]).toMatchObject({ limit: 5, remaining: 0, resetSeconds: 10 });
    expect(taken[5]).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
    now += 1_999;
    expect(buckets.take('a').allowed).toBe(false);
    now += 1;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 0 });
    now += 60_000;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ capacity: 1, refillPerMinute: 1 }, () => 0);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('takes a cost at once or not at all, and never a cost above the capacity', () => {
    let now = 0;
    const buckets = new TokenBuckets({ capacity: 3, refillPerMinute: 60 }, () => now);
    expect(buckets.take('a', 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(buckets.take('a', 2)).toMatchObject({ allowed: false, remaining: 1, retryAfterSeconds: 1 });
    expect(buckets.take('a', 4)).toMatchObject({ allowed: false, retryAfterSeconds: 3 });
    now += 1_000;
    expect(buckets.take('a', 2)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('is off with a capacity or refill of 0', () => {
    const buckets = new TokenBuckets({ capacity: 0, refillPerMinute: 60 }, () => 0);
    expect(Array.from({ length: 100 }, () => buckets.take('a').allowed).every(Boolean)).toBe(true);
    expect(buckets.size).toBe(0);
  });

  it('forgets refilled buckets', () => {
    let now = 0;
    const buckets = new TokenBuckets({ capacity: 2, refillPerMinute: 60 }, () => now);
    for (let i = 0; i < 999; i++) buckets.take(`client-${i}`);
    expect(buckets.size).toBe(999);
    now += 1_000;
    buckets.take('last');
    expect(buckets.size).toBe(1);
  });
});
