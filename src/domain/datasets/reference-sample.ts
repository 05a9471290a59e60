/**
 * The reference sample: a fixed, seeded subset of a dataset version's rows that drift tests
 * compare live traffic against.
 */

import { createRandom } from '../random';

/** Most rows kept in a reference sample. */
export const REFERENCE_SAMPLE_SIZE = 5000;
/** Seed used when the caller gives none, so that one content always yields one sample. */
export const DEFAULT_REFERENCE_SEED = 0;

/**
 * Row indices (0-based, ascending, distinct) of the reference sample: every row when there are at
 * most `maxSize`, otherwise `maxSize` rows drawn uniformly without replacement by the generator of
 * `src/domain/random.ts` seeded with `seed`. The same arguments always give the same rows.
 * @throws ValidationError (field `seed`) when `seed` is not a safe integer.
 */
export function referenceSampleIndices(rowCount: number, seed: number = DEFAULT_REFERENCE_SEED, maxSize: number = REFERENCE_SAMPLE_SIZE): Int32Array {
  const random = createRandom(seed);
  if (rowCount <= maxSize) return Int32Array.from({ length: rowCount }, (_, i) => i);
  return random.sampleIndices(rowCount, maxSize);
}
