import fs from 'node:fs';
import path from 'node:path';
import { histogram, profileColumn, quantileOfSorted } from '../../../src/domain/datasets/column-profile';
import { typeColumns } from '../../../src/domain/datasets/column-typing';
import { parseCsv } from '../../../src/domain/datasets/csv-parser';
import { findColumn, type DataColumn } from '../../../src/domain/datasets/data-table';

const iris = typeColumns(parseCsv(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'iris.csv'), 'utf8')));
const column = (name: string): DataColumn => findColumn(iris, name)!;
const numeric = (values: number[]): DataColumn => ({ name: 'x', type: 'NUMERIC', values: Float64Array.from(values) });

/*
 * Reference values computed once with numpy 2.4.6:
 *   import csv, numpy as np
 *   rows = list(csv.DictReader(open('test/fixtures/iris.csv')))
 *   for col in ['sepal_length_cm', 'petal_width_cm']:
 *       x = np.array([float(r[col]) for r in rows])
 *       print(len(set(x)), x.mean(), x.std(ddof=1), x.min(), x.max(),
 *             np.quantile(x, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]),
 *             np.histogram(x, bins=min(30, int(np.ceil(np.sqrt(len(x)))))))
 */
describe('profileColumn on iris', () => {
  it('sepal length: mean 5.8433, sample std 0.8281, quantiles and histogram as numpy', () => {
    const profile = profileColumn(column('sepal_length_cm'));
    if (profile.type !== 'NUMERIC') throw new Error('expected a numeric profile');
    expect(profile).toMatchObject({ type: 'NUMERIC', count: 150, missing: 0, distinct: 35, min: 4.3, max: 7.9 });
    expect(profile.mean).toBeCloseTo(5.8433, 4);
    expect(profile.std).toBeCloseTo(0.8281, 4);
    expect(profile.mean).toBeCloseTo(5.843333333333334, 12);
    expect(profile.std).toBeCloseTo(0.828066127977863, 12);
    const q = profile.quantiles!;
    const expected = { p01: 4.4, p05: 4.6, p25: 5.1, p50: 5.8, p75: 6.4, p95: 7.254999999999998, p99: 7.7 };
    for (const [key, value] of Object.entries(expected)) expect(q[key as keyof typeof q]).toBeCloseTo(value, 12);
    expect(profile.histogram!.counts).toEqual([5, 11, 25, 11, 13, 18, 16, 21, 10, 8, 5, 2, 5]);
    const edges = [
      4.3, 4.576923076923077, 4.8538461538461535, 5.13076923076923, 5.407692307692308, 5.684615384615384, 5.961538461538462, 6.2384615384615385,
      6.515384615384615, 6.792307692307692, 7.069230769230769, 7.346153846153847, 7.623076923076923, 7.9,
    ];
    expect(profile.histogram!.edges).toHaveLength(edges.length);
    profile.histogram!.edges.forEach((edge, i) => expect(edge).toBeCloseTo(edges[i], 12));
  });

  it('petal width: numpy quantiles and histogram', () => {
    const profile = profileColumn(column('petal_width_cm'));
    if (profile.type !== 'NUMERIC') throw new Error('expected a numeric profile');
    expect(profile).toMatchObject({ count: 150, distinct: 22, min: 0.1, max: 2.5 });
    expect(profile.mean).toBeCloseTo(1.1993333333333336, 12);
    expect(profile.std).toBeCloseTo(0.7622376689603465, 12);
    expect(Object.values(profile.quantiles!)).toEqual([0.1, 0.2, 0.3, 1.3, 1.8, 2.3, 2.5].map((v) => expect.closeTo(v, 12)));
    expect(profile.histogram!.counts).toEqual([34, 14, 2, 0, 7, 8, 13, 20, 6, 17, 12, 11, 6]);
  });

  it('species: categorical counts (50 of each, by hand), ties in value order', () => {
    expect(profileColumn(column('species'))).toEqual({
      type: 'CATEGORICAL',
      count: 150,
      missing: 0,
      distinct: 3,
      topCategories: [
        { value: 'setosa', count: 50 },
        { value: 'versicolor', count: 50 },
        { value: 'virginica', count: 50 },
      ],
      otherCount: 0,
    });
  });
});

describe('numeric profile details', () => {
  it('leaves missing values out and counts them', () => {
    // By hand: values 1, 2, 4 -> mean 7/3, sample variance ((4/3)^2 + (1/3)^2 + (5/3)^2) / 2 = 7/3.
    const profile = profileColumn(numeric([1, NaN, 4, 2, NaN]));
    expect(profile).toMatchObject({ count: 3, missing: 2, distinct: 3, min: 1, max: 4 });
    if (profile.type !== 'NUMERIC') throw new Error('expected a numeric profile');
    expect(profile.mean).toBeCloseTo(7 / 3, 14);
    expect(profile.std).toBeCloseTo(Math.sqrt(7 / 3), 14);
    expect(profile.quantiles!.p50).toBe(2);
  });

  it('has no statistics for an all-missing column and no std for one value', () => {
    expect(profileColumn(numeric([NaN, NaN]))).toEqual({
      type: 'NUMERIC',
      count: 0,
      missing: 2,
      distinct: 0,
      mean: null,
      std: null,
      min: null,
      max: null,
      quantiles: null,
      histogram: null,
    });
    const single = profileColumn(numeric([3]));
    expect(single).toMatchObject({ count: 1, mean: 3, std: null, histogram: { edges: [2.5, 3.5], counts: [1] } });
  });

  /*
   * numpy 2.4.6:
   *   x = np.array([i / 10 for i in range(11)] + [0.3, 0.7, 0.7])
   *   np.histogram(x, bins=4); np.quantile(x, [...]); x.mean(); x.std(ddof=1)
   *   np.histogram([3., 3., 3.], bins=2)
   *   e = np.linspace(0.1, 2.9, 31); z = np.concatenate([np.tile(e, 29), [1.3]]); np.histogram(z, bins=30)
   */
  it('matches numpy on small and edge cases', () => {
    const x = profileColumn(numeric([...Array.from({ length: 11 }, (_, i) => i / 10), 0.3, 0.7, 0.7]));
    if (x.type !== 'NUMERIC') throw new Error('expected a numeric profile');
    expect(x.histogram).toEqual({ edges: [0, 0.25, 0.5, 0.75, 1], counts: [3, 3, 5, 3] });
    const expected = [0.013000000000000001, 0.065, 0.3, 0.55, 0.7, 0.9349999999999999, 0.9869999999999999];
    expect(Object.values(x.quantiles!)).toEqual(expected.map((v) => expect.closeTo(v, 14)));
    expect(x.mean).toBeCloseTo(0.5142857142857143, 14);
    expect(x.std).toBeCloseTo(0.30598427022703895, 14);

    expect(histogram([3, 3, 3], 2)).toEqual({ edges: [2.5, 3, 3.5], counts: [0, 3] });

    const step = (2.9 - 0.1) / 30;
    const edges = Array.from({ length: 31 }, (_, i) => (i === 30 ? 2.9 : 0.1 + i * step));
    const onEdges = [...Array.from({ length: 29 }, () => edges).flat(), 1.3].sort((a, b) => a - b);
    const counts = new Array(30).fill(29);
    counts[12] = 30;
    counts[29] = 58;
    expect(histogram(onEdges, 30).counts).toEqual(counts);
    expect(profileColumn(numeric(onEdges))).toMatchObject({ histogram: { counts } });
  });

  it('interpolates quantiles linearly between order statistics', () => {
    // By hand: sorted [10, 20, 30, 40]; p25 at position 0.75 -> 17.5; p99 at 2.97 -> 39.7.
    expect(quantileOfSorted([10, 20, 30, 40], 0.25)).toBe(17.5);
    expect(quantileOfSorted([10, 20, 30, 40], 0.99)).toBeCloseTo(39.7, 12);
    expect(quantileOfSorted([10, 20, 30, 40], 1)).toBe(40);
    expect(quantileOfSorted([7], 0.5)).toBe(7);
  });
});

describe('categorical profile details', () => {
  it('lists the top 50 by count (ties by value) and counts the rest', () => {
    // 60 categories: c00 appears 61 times, c01..c59 appear 2 times each except c59 (5 times); 3 missing.
    const categories = Array.from({ length: 60 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const codes: number[] = [];
    categories.forEach((_, code) => {
      const times = code === 0 ? 61 : code === 59 ? 5 : 2;
      for (let t = 0; t < times; t++) codes.push(code);
    });
    codes.push(-1, -1, -1);
    const profile = profileColumn({ name: 'c', type: 'CATEGORICAL', categories, codes: Int32Array.from(codes.reverse()) });
    if (profile.type !== 'CATEGORICAL') throw new Error('expected a categorical profile');
    expect(profile).toMatchObject({ count: 61 + 5 + 58 * 2, missing: 3, distinct: 60 });
    expect(profile.topCategories).toHaveLength(50);
    expect(profile.topCategories.slice(0, 4)).toEqual([
      { value: 'c00', count: 61 },
      { value: 'c59', count: 5 },
      { value: 'c01', count: 2 },
      { value: 'c02', count: 2 },
    ]);
    // Top 50 = c00, c59, c01..c48; the rest are c49..c58: 10 categories x 2.
    expect(profile.topCategories[49]).toEqual({ value: 'c48', count: 2 });
    expect(profile.otherCount).toBe(20);
  });
});
