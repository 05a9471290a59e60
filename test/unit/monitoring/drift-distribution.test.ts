import { DRIFT_HISTOGRAM_BINS, MAX_DRIFT_CATEGORIES, driftDistribution } from '../../../src/ml/drift/drift-distribution';

const numeric = (values: number[]) => ({ type: 'NUMERIC' as const, values: Float64Array.from(values) });
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('drift distributions (reference and current, binned alike)', () => {
  it('bins both numeric samples over their joint range, as shares of their non-missing values', () => {
    const d = driftDistribution(numeric([0, 1, 2, 3, NaN]), numeric([2, 4, 4, NaN, NaN]));
    expect(d.categories).toBeNull();
    expect(d.edges).toHaveLength(DRIFT_HISTOGRAM_BINS + 1);
    expect(d.edges![0]).toBe(0);
    expect(d.edges![DRIFT_HISTOGRAM_BINS]).toBe(4);
    expect(sum(d.reference)).toBeCloseTo(1, 12);
    expect(sum(d.current)).toBeCloseTo(1, 12);
    // Width 0.2: 0 in bin 0, 1 in bin 5, 2 in bin 10, 3 in bin 15; the maximum 4 falls in the last bin.
    expect(d.reference[0]).toBe(0.25);
    expect(d.reference[5]).toBe(0.25);
    expect(d.reference[10]).toBe(0.25);
    expect(d.reference[15]).toBe(0.25);
    expect(d.current[10]).toBeCloseTo(1 / 3, 12);
    expect(d.current[DRIFT_HISTOGRAM_BINS - 1]).toBeCloseTo(2 / 3, 12);
  });

  it('uses one bin when every value is the same, and no bins without values', () => {
    expect(driftDistribution(numeric([5, 5]), numeric([5]))).toEqual({ edges: [5, 5], categories: null, reference: [1], current: [1], otherShare: null });
    expect(driftDistribution(numeric([NaN]), numeric([]))).toEqual({ edges: [], categories: null, reference: [], current: [], otherShare: null });
  });

  it('lists categories by name, most frequent first, and sums the rest beyond the top 20', () => {
    const names = Array.from({ length: 25 }, (_, i) => `c${i}`);
    const reference = { type: 'CATEGORICAL' as const, categories: names, codes: Int32Array.from([...names.keys(), 0, 0, -1]) };
    const current = { type: 'CATEGORICAL' as const, categories: ['c1', 'new'], codes: Int32Array.from([0, 1, 1, 1]) };
    const d = driftDistribution(reference, current);
    expect(d.edges).toBeNull();
    expect(d.categories).toHaveLength(MAX_DRIFT_CATEGORIES);
    // Ranked by reference plus current share: new 0 + 0.75, c1 1/27 + 0.25, c0 3/27 + 0.
    expect(d.categories!.slice(0, 3)).toEqual(['new', 'c1', 'c0']);
    expect(d.current.slice(0, 3)).toEqual([0.75, 0.25, 0]);
    expect(d.reference.slice(0, 3)).toEqual([0, 1 / 27, 3 / 27]);
    expect(sum(d.reference) + d.otherShare![0]).toBeCloseTo(1, 12);
    expect(sum(d.current) + d.otherShare![1]).toBeCloseTo(1, 12);
    expect(d.otherShare![1]).toBe(0);
  });
});
