import { createRandom } from '../../../../src/domain/random';
import { countAtMost, populationStd, roundHalfEven, sortedFinite, sortFloat64 } from '../../../../src/ml/drift/numeric-sample';

describe('numeric samples', () => {
  it('radix-sorts large arrays exactly as the built-in sort does', () => {
    const random = createRandom(9);
    // Both signs, both zeros, ties, subnormals and values spanning many exponents.
    const special = [0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, 1, -1];
    const values = Float64Array.from({ length: 5000 }, (_, i) =>
      i < special.length ? special[i] : (random.next() - 0.5) * 10 ** random.int(40) * (random.next() < 0.1 ? 1e-300 : 1),
    );
    const expected = Float64Array.from(values).sort();
    const sorted = sortFloat64(Float64Array.from(values));
    expect(sorted.length).toBe(expected.length);
    let firstDifference = -1;
    for (let i = 0; i < sorted.length && firstDifference < 0; i++) if (!Object.is(sorted[i], expected[i])) firstDifference = i;
    expect(firstDifference).toBe(-1);
  });

  it('drops missing values before sorting', () => {
    expect(Array.from(sortedFinite([3, NaN, -1, Infinity, 2, -Infinity]))).toEqual([-1, 2, 3]);
  });

  it('counts values at most x, as searchsorted side=right', () => {
    const sorted = [1, 2, 2, 2, 5];
    expect([0, 1, 2, 3, 5, 6].map((x) => countAtMost(sorted, x))).toEqual([0, 1, 4, 4, 5, 5]);
  });

  it('rounds halves to even, as numpy', () => {
    expect([0.5, 1.5, 2.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -2, -2, 2, 3]);
  });

  it('computes the population standard deviation', () => {
    // Mean 5, squared deviations 9 1 1 1 0 0 4 16 -> 32/8 = 4 -> 2 (the textbook example).
    expect(populationStd([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
  });
});
