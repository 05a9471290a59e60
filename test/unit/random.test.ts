import { createRandom } from '../../src/domain/random';
import { expectValidationError } from './datasets/expect-validation-error';

describe('createRandom (sfc32 seeded by splitmix32)', () => {
  it('matches an independent implementation', () => {
    // Expected outputs from this Python re-implementation (arbitrary-precision integers masked to 32 bits):
    //   M = 0xFFFFFFFF
    //   def splitmix32(s):
    //       z = (s + 0x9E3779B9) & M; z = ((z ^ (z >> 16)) * 0x21F0AAAD) & M
    //       z = ((z ^ (z >> 15)) * 0x735A2D97) & M; return (z ^ (z >> 15)) & M
    //   def stream(seed):
    //       high = seed // 2**32; low = seed - high * 2**32
    //       a = splitmix32(low); b = splitmix32(a ^ (high & M)); c = splitmix32(b); d = 1
    //       while True:
    //           t = (a + b + d) & M; d = (d + 1) & M; a = b ^ (b >> 9); b = (c + (c << 3)) & M
    //           c = ((c << 21) | (c >> 11)) & M; c = (c + t) & M; yield t
    //   for seed in (0, 42, -7, 2**40 + 3): g = stream(seed); [next(g) for _ in range(12)]; print([next(g) for _ in range(5)])
    const expected: Record<string, number[]> = {
      '0': [128257810, 1052807476, 3287968162, 597735375, 2064674385],
      '42': [3956124197, 3132207003, 3507750608, 766263245, 832014284],
      '-7': [1992171813, 3096354918, 924792716, 3674761685, 1075025609],
      [String(2 ** 40 + 3)]: [3528310912, 1973317832, 3441236040, 2574713934, 1884371318],
    };
    for (const [seed, outputs] of Object.entries(expected)) {
      const random = createRandom(Number(seed));
      expect(outputs.map(() => random.nextUint32())).toEqual(outputs);
    }
  });

  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 8 }, () => random.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('rejects a seed that is not a safe integer', () => {
    expectValidationError(() => createRandom(1.5), { field: 'seed' }, /safe integer/);
    expectValidationError(() => createRandom(2 ** 53), { field: 'seed' }, /safe integer/);
    expectValidationError(() => createRandom(NaN), { field: 'seed' }, /safe integer/);
  });

  it('draws floats in [0, 1) and [min, max) with the right mean', () => {
    const random = createRandom(1);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = random.next();
      if (u < 0 || u >= 1) outside++;
      sum += u;
    }
    expect(outside).toBe(0);
    // Standard error of the mean of 1e5 uniforms is 1/sqrt(12e5) ~ 0.00091; allow 5 of them.
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.0046);
    const v = random.uniform(-2, 3);
    expect(v >= -2 && v < 3).toBe(true);
  });

  it('draws integers uniformly (chi-square over 10 cells)', () => {
    const random = createRandom(3);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[random.int(10)]++;
    const chiSquare = counts.reduce((total, count) => total + (count - n / 10) ** 2 / (n / 10), 0);
    // 27.88 is the 0.999 quantile of chi-square with 9 degrees of freedom.
    expect(chiSquare).toBeLessThan(27.88);
    expect(() => random.int(0)).toThrow(RangeError);
    expect(() => random.int(2.5)).toThrow(RangeError);
    expect(createRandom(0).int(1)).toBe(0);
  });

  it('shuffles into a permutation, deterministically', () => {
    const shuffled = createRandom(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(createRandom(5).shuffle(Int32Array.from({ length: 50 }, (_, i) => i))).toEqual(Int32Array.from(shuffled));
  });

  it('samples distinct ascending indices without replacement, each index about equally often', () => {
    const random = createRandom(11);
    const hits = new Array<number>(20).fill(0);
    let malformed = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      const sample = random.sampleIndices(20, 5);
      if (sample.length !== 5 || sample.some((index, i) => i > 0 && index <= sample[i - 1])) malformed++;
      sample.forEach((index) => hits[index]++);
    }
    expect(malformed).toBe(0);
    // Each index is chosen with probability 1/4: 5,000 expected hits, binomial sd ~61; allow 5 sd.
    for (const count of hits) expect(Math.abs(count - 5000)).toBeLessThan(310);
    expect(Array.from(random.sampleIndices(4, 4))).toEqual([0, 1, 2, 3]);
    expect(random.sampleIndices(4, 0)).toHaveLength(0);
    expect(() => random.sampleIndices(4, 5)).toThrow(RangeError);
  });
});
