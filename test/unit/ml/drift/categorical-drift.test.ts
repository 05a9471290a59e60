import { ValidationError } from '../../../../src/domain/errors';
import { categoryFrequencies, type CategoricalSample } from '../../../../src/ml/drift/category-frequencies';
import { chiSquareTest } from '../../../../src/ml/drift/chi-square';
import { jensenShannonDistance } from '../../../../src/ml/drift/jensen-shannon';

/*
 * scipy 1.17.1 values from test/unit/ml/drift/scipy-reference.py. The chi-squared test is
 * Evidently's: chisquare(window_counts, reference_counts * window_size / reference_size).
 *   chi2 100 vs 100        28.0               8.31528719103568e-07
 *   chi2 100 vs 50         14.0               0.0009118819655545164
 *   chi2 6 categories      24.96299445704208  0.00014164492358618416
 *   chisquare([16, 18, 16, 14, 12, 12]) p = 0.8491450360846096 (scipy documentation example)
 *   jensenshannon([.5,.5], [1,0]) = 0.464501404022459 (also the documentation example)
 *   jensenshannon 7 categories = 0.09685788585465298
 */

/** A sample with the given count per category name. */
function sampleOf(counts: Record<string, number>): CategoricalSample {
  const categories = Object.keys(counts);
  const codes: number[] = [];
  categories.forEach((_, code) => codes.push(...new Array<number>(counts[categories[code]]).fill(code)));
  return { categories, codes };
}

describe('category frequencies', () => {
  it('matches categories by name over the union and drops missing values', () => {
    const reference = { categories: ['a', 'b', 'unused'], codes: [0, 1, 1, -1] };
    const current = { categories: ['c', 'a'], codes: [0, 1, 1, -1, -1] };
    expect(categoryFrequencies(reference, current)).toEqual({
      categories: ['a', 'b', 'c'],
      reference: Float64Array.of(1, 2, 0),
      current: Float64Array.of(2, 0, 1),
      referenceTotal: 3,
      currentTotal: 3,
    });
  });
});

describe('chi-squared drift test', () => {
  it('matches a hand-worked case with equal sizes', () => {
    // Expected = reference counts 50, 30, 20; (30-50)^2/50 + 0 + (40-20)^2/20 = 8 + 20 = 28;
    // 2 degrees of freedom: p = exp(-28/2).
    const result = chiSquareTest(categoryFrequencies(sampleOf({ a: 50, b: 30, c: 20 }), sampleOf({ a: 30, b: 30, c: 40 })));
    expect(result.statistic).toBe(28);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-14), 20);
    expect(result.pValue / 8.31528719103568e-7).toBeCloseTo(1, 12);
  });

  it('scales the reference to the window size', () => {
    // Window of 50: expected 25, 15, 10; (15-25)^2/25 + 0 + (20-10)^2/10 = 4 + 10 = 14; p = exp(-7).
    const result = chiSquareTest(categoryFrequencies(sampleOf({ a: 50, b: 30, c: 20 }), sampleOf({ a: 15, b: 15, c: 20 })));
    expect(result.statistic).toBeCloseTo(14, 13);
    expect(result.pValue / 0.0009118819655545164).toBeCloseTo(1, 11);
  });

  it('matches scipy on six categories and the scipy documentation example', () => {
    const sixCategories = chiSquareTest(
      categoryFrequencies(sampleOf({ a: 120, b: 80, c: 300, d: 45, e: 210, f: 245 }), sampleOf({ a: 400, b: 250, c: 1200, d: 160, e: 700, f: 890 })),
    );
    expect(sixCategories.statistic).toBeCloseTo(24.96299445704208, 11);
    expect(sixCategories.pValue / 0.00014164492358618416).toBeCloseTo(1, 10);
    // A uniform reference makes the expected counts the window mean, scipy's default f_exp.
    const documented = chiSquareTest(
      categoryFrequencies(sampleOf({ a: 10, b: 10, c: 10, d: 10, e: 10, f: 10 }), sampleOf({ a: 16, b: 18, c: 16, d: 14, e: 12, f: 12 })),
    );
    expect(documented.statistic).toBeCloseTo(2, 13);
    expect(documented.pValue).toBeCloseTo(0.8491450360846096, 13);
  });

  it('flags a category absent from the reference with an infinite statistic', () => {
    const result = chiSquareTest(categoryFrequencies(sampleOf({ a: 5, b: 5 }), sampleOf({ a: 5, b: 4, c: 1 })));
    expect(result.statistic).toBe(Infinity);
    expect(result.pValue).toBe(0);
  });

  it('has nothing to test with a single category', () => {
    expect(chiSquareTest(categoryFrequencies(sampleOf({ a: 5 }), sampleOf({ a: 9 })))).toEqual({
      statistic: 0,
      degreesOfFreedom: 0,
      pValue: 1,
    });
  });

  it('rejects an empty window', () => {
    expect(() => chiSquareTest(categoryFrequencies(sampleOf({ a: 5 }), { categories: ['a'], codes: [-1] }))).toThrow(ValidationError);
  });
});

describe('Jensen-Shannon distance', () => {
  it('matches a hand-worked case (the scipy documentation example)', () => {
    // p = [.5, .5], q = [1, 0], m = [.75, .25]; KL(p||m) = .5 ln(2/3) + .5 ln 2 = .5 ln(4/3);
    // KL(q||m) = ln(4/3); distance = sqrt((1.5 ln(4/3)) / 2).
    const distance = jensenShannonDistance(categoryFrequencies(sampleOf({ x: 1, y: 1 }), sampleOf({ x: 4 })));
    expect(distance).toBeCloseTo(Math.sqrt(0.75 * Math.log(4 / 3)), 15);
    expect(distance).toBeCloseTo(0.464501404022459, 15);
  });

  it('is sqrt(ln 2) for disjoint samples and 0 for equal proportions', () => {
    expect(jensenShannonDistance(categoryFrequencies(sampleOf({ x: 3 }), sampleOf({ y: 7 })))).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(jensenShannonDistance(categoryFrequencies(sampleOf({ x: 1, y: 2 }), sampleOf({ x: 10, y: 20 })))).toBe(0);
  });

  it('matches scipy on seven categories, one of them new in the window', () => {
    const distance = jensenShannonDistance(
      categoryFrequencies(sampleOf({ a: 120, b: 80, c: 300, d: 45, e: 210, f: 245 }), sampleOf({ a: 400, b: 250, c: 1200, d: 160, e: 700, f: 890, g: 90 })),
    );
    expect(distance).toBeCloseTo(0.09685788585465298, 14);
  });
});
