/**
 * Permutation feature importance as scikit-learn's `permutation_importance`: the importance of a
 * feature is the drop of a score (higher is better) when that feature's column is randomly
 * permuted, breaking its link to the target; each feature is permuted `repeats` times and the
 * drops are summarized by their mean and population standard deviation (numpy `std`, ddof = 0).
 *
 * Like scikit-learn, every feature is shuffled by a generator started from the same seed, so all
 * features see the same sequence of permutations. Each repeat shuffles a fresh copy of the
 * original column (scikit-learn reshuffles the already shuffled one; both are uniform permutations).
 */
import { ValidationError } from '../../domain/errors';
import { createRandom } from '../../domain/random';

/** One feature's values, row by row: numeric values or category codes. */
export type FeatureColumn = Float64Array | Float32Array | Int32Array;

/** Inputs of {@link permutationImportance}. */
export interface PermutationImportanceOptions<P> {
  /** Column-oriented feature matrix: one column per feature, all of the same length. */
  columns: readonly FeatureColumn[];
  /** Feature names, one per column. @default "0", "1", ... */
  featureNames?: readonly string[];
  /** Runs the model on a full feature matrix (columns in the same order). */
  predict: (columns: readonly FeatureColumn[]) => Promise<P>;
  /** Scores predictions against the true targets; higher is better (e.g. accuracy, R2, -log loss). */
  score: (predictions: P) => number;
  /** Permutations per feature. @default 5 (scikit-learn's n_repeats) */
  repeats?: number;
  /** Seed of the permutations. */
  seed: number;
}

/** Importance of one feature. */
export interface FeatureImportance {
  feature: string;
  /** Mean score drop over the repeats. */
  mean: number;
  /** Population standard deviation of the drops. */
  std: number;
  /** The drop of each repeat. */
  drops: number[];
}

/** Outcome of {@link permutationImportance}. */
export interface PermutationImportanceResult {
  /** Score of the unpermuted data. */
  baselineScore: number;
  repeats: number;
  /** One entry per column, in column order. */
  features: FeatureImportance[];
}

function validate<P>(options: PermutationImportanceOptions<P>, repeats: number): void {
  const { columns, featureNames } = options;
  if (columns.length === 0 || columns[0].length === 0) {
    throw new ValidationError('Permutation importance needs at least one feature and one row');
  }
  columns.forEach((column, index) => {
    if (column.length !== columns[0].length) {
      throw new ValidationError(`Feature column ${index} has ${column.length} rows, expected ${columns[0].length}`, { index });
    }
  });
  if (featureNames !== undefined && featureNames.length !== columns.length) {
    throw new ValidationError(`${featureNames.length} feature names for ${columns.length} columns`, { field: 'featureNames' });
  }
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new ValidationError(`Repeats must be a positive integer, got ${repeats}`, { field: 'repeats' });
  }
}

/**
 * Computes the permutation importance of every feature, calling `predict` once for the baseline
 * and `repeats` times per feature, one call at a time.
 * @throws ValidationError on an empty matrix, columns of unequal length, a wrong number of
 *   names, or repeats that are not a positive integer; errors of `predict` and `score` propagate.
 */
export async function permutationImportance<P>(options: PermutationImportanceOptions<P>): Promise<PermutationImportanceResult> {
  const repeats = options.repeats ?? 5;
  validate(options, repeats);
  const { columns, predict, score } = options;
  const baselineScore = score(await predict(columns));
  const features: FeatureImportance[] = [];
  for (let index = 0; index < columns.length; index++) {
    const random = createRandom(options.seed);
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const permuted = random.shuffle(columns[index].slice());
      const matrix = columns.map((column, k) => (k === index ? permuted : column));
      drops.push(baselineScore - score(await predict(matrix)));
    }
    const mean = drops.reduce((sum, drop) => sum + drop, 0) / repeats;
    const std = Math.sqrt(drops.reduce((sum, drop) => sum + (drop - mean) ** 2, 0) / repeats);
    features.push({ feature: options.featureNames?.[index] ?? String(index), mean, std, drops });
  }
  return { baselineScore, repeats, features };
}
