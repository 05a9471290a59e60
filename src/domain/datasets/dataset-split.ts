/**
 * Deterministic train/validation/test split of a dataset version's rows.
 */

import { z } from 'zod';
import { inputObject, mustBe, requiredAnd } from '../common/input-fields';
import { parseInput } from '../common/input-schema';
import { ValidationError } from '../errors';
import { createRandom, type Random } from '../random';

/** Share of the rows in each part. */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** Row indices (0-based, ascending) of each part. */
export interface RowSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** Arguments of {@link splitRows}. */
export interface SplitOptions {
  rowCount: number;
  fractions: SplitFractions;
  /** Any safe integer; the same seed (with the same other options) gives the same rows. */
  seed: number;
  /**
   * One group id per row (for classification, the class index from `classIndices`). When given,
   * each group is split in the same proportions as the whole.
   */
  strata?: ArrayLike<number>;
  /** Input path the fractions and seed came from, used in errors. @default 'hyperparameters.split' */
  fieldPrefix?: string;
}

const PARTS = ['train', 'validation', 'test'] as const;
type Part = (typeof PARTS)[number];
const SUM_TOLERANCE = 1e-9;

/** A fraction of the rows: a number in [0, 1], required when a split is given. */
const fraction = z
  .number({ error: requiredAnd('a number in [0, 1]', 'is required when split is given') })
  .min(0, { error: mustBe('a number in [0, 1]') })
  .max(1, { error: mustBe('a number in [0, 1]') });

/**
 * Split fractions: each a number in [0, 1], `train` > 0, and the three summing to 1 within 1e-9
 * (train 1 with validation and test 0 trains on every row, as Keras' plain `fit(X, y)`). The sum
 * and `train` > 0 are checked once every fraction holds.
 */
export const SPLIT_FRACTIONS_SCHEMA = inputObject({ train: fraction, validation: fraction, test: fraction })
  .refine((fractions) => fractions.train > 0, { path: ['train'], error: 'must be greater than 0', when: ({ issues }) => issues.length === 0 })
  .refine((fractions) => Math.abs(fractions.train + fractions.validation + fractions.test - 1) <= SUM_TOLERANCE, {
    error: (issue) => {
      const { train, validation, test } = issue.input as SplitFractions;
      return `must sum to 1, got ${train + validation + test} (train + validation + test)`;
    },
    when: ({ issues }) => issues.length === 0,
  });

/**
 * Checks split fractions against {@link SPLIT_FRACTIONS_SCHEMA}.
 * @throws ValidationError listing every problem: field `<fieldPrefix>.train` (`.validation`, `.test`)
 *   for a bad fraction, or `<fieldPrefix>` when the sum is off.
 */
export function validateSplitFractions(fractions: SplitFractions, fieldPrefix = 'hyperparameters.split'): void {
  parseInput(SPLIT_FRACTIONS_SCHEMA, fractions, fieldPrefix);
}

/**
 * Splits rows 0..rowCount-1 into train, validation and test.
 *
 * Sizes: each part gets floor(rowCount * fraction) rows, and the rows left over go one each to the
 * parts with the largest fractional remainders (ties: train, validation, test), so the sizes sum to
 * rowCount exactly. Rows: the rows are shuffled with the seeded generator of `src/domain/random.ts`
 * (without strata, all together; with strata, within each group, groups in ascending id order and
 * laid end to end), then dealt out along a fixed interleaving of the parts in which every stretch
 * of consecutive positions holds the parts in proportion to their sizes. Each stratum therefore
 * gets its proportional share of every part, to within about one row per part.
 *
 * @throws ValidationError for bad fractions (see {@link validateSplitFractions}), a seed that is not
 *   a safe integer (field `<fieldPrefix>.seed`), or sizes that leave the train part empty.
 */
export function splitRows(options: SplitOptions): RowSplit {
  const { rowCount, fractions, seed, strata } = options;
  const fieldPrefix = options.fieldPrefix ?? 'hyperparameters.split';
  validateSplitFractions(fractions, fieldPrefix);
  if (!Number.isSafeInteger(seed)) {
    throw new ValidationError(`Split seed must be a safe integer, got ${String(seed)}`, { field: `${fieldPrefix}.seed` });
  }
  const sizes = partSizes(rowCount, fractions);
  if (sizes.train === 0) {
    throw new ValidationError(`A train fraction of ${fractions.train} leaves no training rows out of ${rowCount}`, { field: `${fieldPrefix}.train` });
  }
  const random = createRandom(seed);
  const order = strata === undefined ? random.shuffle(Int32Array.from({ length: rowCount }, (_, i) => i)) : stratifiedOrder(rowCount, strata, random);
  const parts: Record<Part, Int32Array> = {
    train: new Int32Array(sizes.train),
    validation: new Int32Array(sizes.validation),
    test: new Int32Array(sizes.test),
  };
  const filled: Record<Part, number> = { train: 0, validation: 0, test: 0 };
  for (let position = 0; position < rowCount; position++) {
    // Deal to the part furthest behind its proportional share of the positions dealt so far.
    let chosen: Part = 'train';
    let largestDeficit = -Infinity;
    for (const part of PARTS) {
      if (filled[part] === sizes[part]) continue;
      const deficit = (sizes[part] * (position + 1)) / rowCount - filled[part];
      if (deficit > largestDeficit) {
        largestDeficit = deficit;
        chosen = part;
      }
    }
    parts[chosen][filled[chosen]++] = order[position];
  }
  return { train: parts.train.sort(), validation: parts.validation.sort(), test: parts.test.sort() };
}

/** The number of rows of each part {@link splitRows} makes of `rowCount` rows (whatever the seed and strata). */
export function splitSizes(rowCount: number, fractions: SplitFractions): Record<Part, number> {
  return partSizes(rowCount, fractions);
}

function partSizes(rowCount: number, fractions: SplitFractions): Record<Part, number> {
  const exact = PARTS.map((part) => rowCount * fractions[part]);
  const sizes = exact.map(Math.floor);
  let leftOver = rowCount - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = [0, 1, 2].sort((i, j) => exact[j] - sizes[j] - (exact[i] - sizes[i]) || i - j);
  for (const i of byRemainder) {
    if (leftOver <= 0) break;
    sizes[i]++;
    leftOver--;
  }
  return { train: sizes[0], validation: sizes[1], test: sizes[2] };
}

function stratifiedOrder(rowCount: number, strata: ArrayLike<number>, random: Random): Int32Array {
  if (strata.length !== rowCount) {
    throw new RangeError(`strata has ${strata.length} entries for ${rowCount} rows`);
  }
  const groups = new Map<number, number[]>();
  for (let row = 0; row < rowCount; row++) {
    const group = groups.get(strata[row]);
    if (group === undefined) groups.set(strata[row], [row]);
    else group.push(row);
  }
  const order = new Int32Array(rowCount);
  let offset = 0;
  for (const id of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = random.shuffle(Int32Array.from(groups.get(id) ?? []));
    order.set(rows, offset);
    offset += rows.length;
  }
  return order;
}
