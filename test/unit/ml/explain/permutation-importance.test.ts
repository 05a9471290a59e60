import { ValidationError } from '../../../../src/domain/errors';
import { createRandom } from '../../../../src/domain/random';
import { permutationImportance, type FeatureColumn } from '../../../../src/ml/explain/permutation-importance';

/** A model that reads only feature 0: prediction = 3 x0. */
async function onlyFirstFeature(columns: readonly FeatureColumn[]): Promise<Float64Array> {
  return Float64Array.from(columns[0], (x) => 3 * x);
}

function negativeMse(target: ArrayLike<number>): (predictions: Float64Array) => number {
  return (predictions) => {
    let sum = 0;
    for (let i = 0; i < predictions.length; i++) sum += (predictions[i] - target[i]) ** 2;
    return -sum / predictions.length;
  };
}

function syntheticColumns(rows: number): FeatureColumn[] {
  const random = createRandom(7);
  return [
    Float64Array.from({ length: rows }, () => random.uniform(-1, 1)),
    Float32Array.from({ length: rows }, () => random.uniform(0, 10)),
    Int32Array.from({ length: rows }, () => random.int(4)),
  ];
}

describe('permutation importance', () => {
  it('finds that only the feature the model reads matters', async () => {
    const columns = syntheticColumns(500);
    const target = Float64Array.from(columns[0], (x) => 3 * x);
    const result = await permutationImportance({
      columns,
      featureNames: ['signal', 'noise', 'code'],
      predict: onlyFirstFeature,
      score: negativeMse(target),
      repeats: 4,
      seed: 11,
    });
    expect(result.baselineScore).toBeCloseTo(0, 15);
    // Permuting x0 makes the error 9 E[(x - x')^2] = 9 x 2 Var(x) = 18/3 = 6 for x ~ U(-1, 1).
    expect(result.features[0].feature).toBe('signal');
    expect(result.features[0].mean).toBeGreaterThan(5);
    expect(result.features[0].mean).toBeLessThan(7);
    // The model never reads the other columns: permuting them changes nothing, in every repeat.
    for (const feature of result.features.slice(1)) {
      expect(feature.drops).toEqual([0, 0, 0, 0]);
      expect(feature.mean).toBe(0);
      expect(feature.std).toBe(0);
    }
  });

  it('reports the mean and population std of the score drops', async () => {
    // x0 = [0, 1]: a permutation is either the identity (drop 0) or the swap, predicting [3, 0] for
    // targets [0, 3]: MSE (9 + 9)/2 = 9, so the drop is 9. With s swaps out of R repeats the drops
    // are s nines and R - s zeros: mean 9 s/R, std 9 sqrt(s/R (1 - s/R)).
    const seen: number[][] = [];
    const repeats = 10;
    const result = await permutationImportance({
      columns: [Float64Array.of(0, 1)],
      predict: async (columns) => {
        seen.push(Array.from(columns[0]));
        return onlyFirstFeature(columns);
      },
      score: negativeMse([0, 3]),
      repeats,
      seed: 3,
    });
    const permutations = seen.slice(1);
    expect(permutations).toHaveLength(repeats);
    const share = permutations.filter(([first]) => first === 1).length / repeats;
    // This seed gives both outcomes, so the std check below is not trivially 0.
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
    expect(result.features[0].drops).toEqual(permutations.map(([first]) => (first === 1 ? 9 : 0)));
    expect(result.features[0].mean).toBeCloseTo(9 * share, 12);
    expect(result.features[0].std).toBeCloseTo(9 * Math.sqrt(share * (1 - share)), 12);
  });

  it('repeats for a seed, permutes copies, and shuffles every feature the same way', async () => {
    const columns = syntheticColumns(50);
    const originals = columns.map((column) => Array.from(column));
    const calls: FeatureColumn[][] = [];
    const run = (seed: number) =>
      permutationImportance({
        columns,
        predict: async (matrix) => {
          calls.push([...matrix]);
          return onlyFirstFeature(matrix);
        },
        score: negativeMse(Float64Array.from(columns[0], (x) => 3 * x)),
        repeats: 3,
        seed,
      });
    const first = await run(5);
    const firstCalls = calls.splice(0);
    expect(await run(5)).toEqual(first);
    calls.splice(0);
    expect((await run(6)).features[0].drops).not.toEqual(first.features[0].drops);
    // Inputs untouched; each permuted column holds the same values; the other columns are passed as is.
    columns.forEach((column, k) => expect(Array.from(column)).toEqual(originals[k]));
    for (let k = 0; k < 3; k++) {
      const call = firstCalls[1 + k * 3];
      expect(Array.from(call[k]).sort()).toEqual([...originals[k]].sort());
      expect(Array.from(call[k])).not.toEqual(originals[k]);
      call.forEach((column, j) => j !== k && expect(column).toBe(columns[j]));
    }
    // Feature 0's first permutation and feature 1's first permutation move rows the same way.
    const rowsOf = (permuted: FeatureColumn, original: number[]) => Array.from(permuted, (value) => original.indexOf(value));
    expect(rowsOf(firstCalls[1][0], originals[0])).toEqual(rowsOf(firstCalls[4][1], originals[1]));
  });

  it('rejects malformed inputs', async () => {
    const base = { predict: onlyFirstFeature, score: () => 0, seed: 1 };
    await expect(permutationImportance({ ...base, columns: [] })).rejects.toThrow(ValidationError);
    await expect(permutationImportance({ ...base, columns: [Float64Array.of(1, 2), Float64Array.of(1)] })).rejects.toThrow(/column 1/);
    await expect(permutationImportance({ ...base, columns: [Float64Array.of(1)], repeats: 0 })).rejects.toThrow(/Repeats/);
    await expect(permutationImportance({ ...base, columns: [Float64Array.of(1)], featureNames: ['a', 'b'] })).rejects.toThrow(ValidationError);
  });
});
