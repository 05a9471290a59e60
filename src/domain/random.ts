/**
 * A small seeded pseudo-random generator for everything in mlplane that must repeat exactly
 * for a given seed: dataset splits, reference samples, hyperparameter search.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state,
 * from PractRand), seeded through splitmix32. It is not cryptographic.
 */

import { ValidationError } from './errors';

const TWO_POW_32 = 4294967296;

/** Seeded source of random numbers; every method advances the same stream. */
export interface Random {
  /** The seed this stream was created from. */
  readonly seed: number;
  /** Next unsigned 32-bit integer, uniform on [0, 2^32). */
  nextUint32(): number;
  /** Next float, uniform on [0, 1), with 2^-32 resolution. */
  next(): number;
  /** Next float, uniform on [min, max). */
  uniform(min: number, max: number): number;
  /**
   * Next integer, uniform on [0, n), without modulo bias.
   * @throws RangeError when `n` is not an integer in [1, 2^32].
   */
  int(n: number): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T;
  /**
   * `k` distinct integers drawn uniformly from [0, n), without replacement, in ascending order
   * (Floyd's algorithm: `k` draws, memory proportional to `k`, not `n`).
   * @throws RangeError when `k` is not an integer in [0, n].
   */
  sampleIndices(n: number, k: number): Int32Array;
}

/**
 * Creates a generator whose whole output is determined by `seed`.
 * @param seed any safe integer (negative allowed).
 * @throws ValidationError (field `seed`) when `seed` is not a safe integer.
 */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) {
    throw new ValidationError(`Seed must be a safe integer, got ${String(seed)}`, { field: 'seed' });
  }
  return new Sfc32Random(seed);
}

/** splitmix32 step: turns one 32-bit state into a well-mixed 32-bit output. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

class Sfc32Random implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    // Split the seed exactly into two 32-bit halves so that every safe integer gives its own state.
    const high = Math.floor(seed / TWO_POW_32);
    const low = seed - high * TWO_POW_32;
    this.a = splitmix32(low);
    this.b = splitmix32(this.a ^ (high | 0));
    this.c = splitmix32(this.b);
    this.d = 1;
    // The first outputs of sfc32 still correlate with the seed; the reference implementation skips them.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    // Reject the top partial block of 2^32 so that every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let value = this.nextUint32();
    while (value >= limit) value = this.nextUint32();
    return value % n;
  }

  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }

  sampleIndices(n: number, k: number): Int32Array {
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new RangeError(`sampleIndices needs an integer k in [0, n=${n}], got ${k}`);
    }
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from(chosen).sort();
  }
}
