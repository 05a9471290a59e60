import { splitRows, validateSplitFractions } from '../../../src/domain/datasets/dataset-split';
import { expectValidationError } from './expect-validation-error';

const fractions = { train: 0.7, validation: 0.15, test: 0.15 };

describe('splitRows', () => {
  it('partitions every row exactly once, with sizes by largest remainder', () => {
    // By hand: 101 rows x (0.7, 0.15, 0.15) = 70.7, 15.15, 15.15 -> floors 70, 15, 15, one left over -> train.
    const split = splitRows({ rowCount: 101, fractions, seed: 1 });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([71, 15, 15]);
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 101 }, (_, i) => i));
    for (const part of [split.train, split.validation, split.test]) {
      expect(Array.from(part)).toEqual(Array.from(part).sort((a, b) => a - b));
    }
  });

  it('gives the same rows for the same seed and other rows for another seed', () => {
    const a = splitRows({ rowCount: 500, fractions, seed: 42 });
    expect(splitRows({ rowCount: 500, fractions, seed: 42 })).toEqual(a);
    expect(splitRows({ rowCount: 500, fractions, seed: 43 }).test).not.toEqual(a.test);
  });

  it('sizes always sum to the row count', () => {
    for (const rowCount of [1, 2, 3, 7, 10, 99, 1000]) {
      for (const f of [fractions, { train: 0.5, validation: 0.25, test: 0.25 }, { train: 0.8, validation: 0, test: 0.2 }]) {
        const split = splitRows({ rowCount, fractions: f, seed: rowCount });
        expect(split.train.length + split.validation.length + split.test.length).toBe(rowCount);
        if (f.validation === 0) expect(split.validation).toHaveLength(0);
      }
    }
  });

  it('stratifies: each class is split in the overall proportions (within one row per part)', () => {
    // 3 classes of 100, 60 and 40 rows, interleaved.
    const strata = Int32Array.from({ length: 200 }, (_, i) => (i % 5 < 2 ? 0 : i % 5 < 4 ? 1 : 2));
    const counts = strata.reduce((c, s) => ((c[s] += 1), c), [0, 0, 0]);
    const split = splitRows({ rowCount: 200, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 5, strata });
    for (const [part, share] of [
      ['train', 0.6],
      ['validation', 0.2],
      ['test', 0.2],
    ] as const) {
      const perClass = [0, 0, 0];
      split[part].forEach((row) => perClass[strata[row]]++);
      perClass.forEach((n, cls) => expect(Math.abs(n - counts[cls] * share)).toBeLessThanOrEqual(1));
    }
    expect(splitRows({ rowCount: 200, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 5, strata })).toEqual(split);
  });

  it('keeps a rare class in train and test when it has enough rows', () => {
    // 95 rows of class 0 and 5 of class 1 with an 80/0/20 split: class 1 gives 4 to train and 1 to test.
    const strata = Int32Array.from({ length: 100 }, (_, i) => (i % 20 === 0 ? 1 : 0));
    const split = splitRows({ rowCount: 100, fractions: { train: 0.8, validation: 0, test: 0.2 }, seed: 2, strata });
    expect(split.test.filter((row) => strata[row] === 1)).toHaveLength(1);
    expect(split.train.filter((row) => strata[row] === 1)).toHaveLength(4);
  });

  it('rejects a split that leaves no training rows, and a bad seed', () => {
    expectValidationError(
      () => splitRows({ rowCount: 1, fractions: { train: 0.2, validation: 0.4, test: 0.4 }, seed: 0 }),
      { field: 'hyperparameters.split.train' },
      /leaves no training rows out of 1/,
    );
    expectValidationError(() => splitRows({ rowCount: 10, fractions, seed: 0.5 }), { field: 'hyperparameters.split.seed' }, /safe integer/);
  });
});

describe('validateSplitFractions', () => {
  it('accepts fractions that sum to 1 within 1e-9', () => {
    expect(() => validateSplitFractions({ train: 0.7, validation: 0.2, test: 0.1 })).not.toThrow();
    expect(() => validateSplitFractions({ train: 0.5, validation: 0.5, test: 5e-10 })).not.toThrow();
    // Every row for training, as Keras' plain fit(X, y).
    expect(() => validateSplitFractions({ train: 1, validation: 0, test: 0 })).not.toThrow();
    expect(splitRows({ rowCount: 7, fractions: { train: 1, validation: 0, test: 0 }, seed: 1 })).toEqual({
      train: Int32Array.from([0, 1, 2, 3, 4, 5, 6]),
      validation: new Int32Array(0),
      test: new Int32Array(0),
    });
  });

  it('rejects each bad fraction by its field, all at once', () => {
    expect(
      expectValidationError(
        () => validateSplitFractions({ train: 1.25, validation: 0, test: -0.25 }),
        { field: 'hyperparameters.split.train' },
        /^hyperparameters\.split\.train must be a number in \[0, 1\], got 1.25 \(and 1 more problem/,
      ).violations.map(({ field }) => field),
    ).toEqual(['hyperparameters.split.train', 'hyperparameters.split.test']);
    expectValidationError(
      () => validateSplitFractions({ train: 0.9, validation: -0.1, test: 0.2 }),
      { field: 'hyperparameters.split.validation' },
      /validation must be a number in \[0, 1\], got -0.1/,
    );
    expectValidationError(
      () => validateSplitFractions({ train: 0.9, validation: 0.1, test: NaN }),
      { field: 'hyperparameters.split.test' },
      /test must be a number in \[0, 1\], got NaN/,
    );
    expectValidationError(
      () => validateSplitFractions({ train: 0, validation: 0.5, test: 0.5 }),
      { field: 'hyperparameters.split.train' },
      /train must be greater than 0/,
    );
  });

  it('rejects fractions that do not sum to 1, under a caller-given field prefix', () => {
    expectValidationError(
      () => validateSplitFractions({ train: 0.7, validation: 0.2, test: 0.2 }, 'input.hyperparameters.split'),
      { field: 'input.hyperparameters.split' },
      /must sum to 1, got 1.0999/,
    );
    expectValidationError(() => validateSplitFractions({ train: 0.5, validation: 0.5, test: 2e-9 }), { field: 'hyperparameters.split' }, /must sum to 1/);
  });
});
