import { referenceSampleIndices } from '../../../src/domain/datasets/reference-sample';
import { expectValidationError } from './expect-validation-error';

describe('referenceSampleIndices', () => {
  it('keeps every row of a small dataset', () => {
    expect(Array.from(referenceSampleIndices(4, 9))).toEqual([0, 1, 2, 3]);
    expect(referenceSampleIndices(5000)).toHaveLength(5000);
  });

  it('draws 5,000 distinct ascending rows from a large dataset', () => {
    const sample = referenceSampleIndices(100_000, 1);
    expect(sample).toHaveLength(5000);
    let ascending = true;
    for (let i = 1; i < sample.length; i++) if (sample[i] <= sample[i - 1]) ascending = false;
    expect(ascending).toBe(true);
    expect(sample[0]).toBeGreaterThanOrEqual(0);
    expect(sample[sample.length - 1]).toBeLessThan(100_000);
    // Uniform over the rows: about half the sample lies in the first half (sd ~35; allow 5 sd).
    expect(Math.abs(sample.filter((row) => row < 50_000).length - 2500)).toBeLessThan(180);
  });

  it('is the same for the same seed and differs for another seed', () => {
    expect(referenceSampleIndices(20_000, 7)).toEqual(referenceSampleIndices(20_000, 7));
    expect(referenceSampleIndices(20_000)).toEqual(referenceSampleIndices(20_000, 0));
    expect(referenceSampleIndices(20_000, 7)).not.toEqual(referenceSampleIndices(20_000, 8));
  });

  it('honours a smaller maximum and rejects a bad seed', () => {
    expect(referenceSampleIndices(10, 3, 4)).toHaveLength(4);
    expectValidationError(() => referenceSampleIndices(10, 0.5), { field: 'seed' }, /safe integer/);
  });
});
