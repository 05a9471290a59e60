import { formatNumber, measureRoundRobin, percentile, ratio, runOptions, summarize } from '../../../bench/support/harness';

describe('bench harness', () => {
  it('summarizes with quartiles interpolated between order statistics', () => {
    // Sorted: 1 2 3 4 5 6 7 8 9 10; positions (n-1)p: 2.25, 4.5, 6.75.
    const summary = summarize([7, 3, 10, 1, 9, 2, 8, 4, 6, 5]);
    expect(summary).toEqual({ n: 10, median: 5.5, q1: 3.25, q3: 7.75, min: 1, max: 10 });
    expect(percentile([40, 10, 30, 20], 0.99)).toBeCloseTo(39.7, 10);
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('measures sides in turn after their warm-up calls and pairs their ratios by round', async () => {
    const calls: string[] = [];
    let a = 0;
    let b = 0;
    const [subject, baseline] = await measureRoundRobin(
      [
        { name: 'a', unit: '', observe: () => (calls.push('a'), (a += 1)) },
        { name: 'b', unit: '', observe: () => (calls.push('b'), (b += 2)) },
      ],
      { warmup: 1, repetitions: 3 },
    );
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    expect(subject.values).toEqual([2, 3, 4]);
    expect(baseline.values).toEqual([4, 6, 8]);
    const r = ratio(subject, baseline);
    expect(r.ofMedians).toBeCloseTo(3 / 6, 12);
    expect(r.perRound).toEqual(summarize([2 / 4, 3 / 6, 4 / 8]));
    expect(() => ratio(subject, { ...baseline, values: [1] })).toThrow(/same rounds/);
  });

  it('takes BENCH_REPETITIONS and BENCH_WARMUP over a benchmark default, and refuses nonsense', () => {
    const saved = { repetitions: process.env.BENCH_REPETITIONS, warmup: process.env.BENCH_WARMUP };
    try {
      delete process.env.BENCH_REPETITIONS;
      delete process.env.BENCH_WARMUP;
      expect(runOptions()).toEqual({ warmup: 1, repetitions: 10 });
      expect(runOptions({ repetitions: 30, warmup: 2 })).toEqual({ warmup: 2, repetitions: 30 });
      process.env.BENCH_REPETITIONS = '3';
      process.env.BENCH_WARMUP = '0';
      expect(runOptions({ repetitions: 30, warmup: 2 })).toEqual({ warmup: 0, repetitions: 3 });
      process.env.BENCH_REPETITIONS = 'ten';
      expect(() => runOptions()).toThrow(/BENCH_REPETITIONS/);
      process.env.BENCH_REPETITIONS = '0';
      expect(() => runOptions()).toThrow(/at least 1/);
    } finally {
      if (saved.repetitions === undefined) delete process.env.BENCH_REPETITIONS;
      else process.env.BENCH_REPETITIONS = saved.repetitions;
      if (saved.warmup === undefined) delete process.env.BENCH_WARMUP;
      else process.env.BENCH_WARMUP = saved.warmup;
    }
  });

  it('prints three significant digits', () => {
    expect([formatNumber(1862.6), formatNumber(12.345), formatNumber(0.0071234), formatNumber(0)]).toEqual(['1,863', '12.3', '0.00712', '0']);
  });
});
