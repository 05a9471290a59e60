/**
 * A typed array that grows by fixed-size blocks while a CSV streams in: appending never copies
 * what is already there (a doubling array would copy it and hold up to twice its size), and the
 * values are laid end to end once, when the column is complete.
 */

/** Values per block (64 Ki: 512 KiB of float64, 256 KiB of int32). */
const BLOCK = 65_536;

class ChunkedArray<T extends Float64Array | Int32Array> {
  private readonly blocks: T[] = [];
  private last: T | undefined;
  private used = BLOCK;
  length = 0;

  constructor(private readonly make: (length: number) => T) {}

  push(value: number): void {
    if (this.used === BLOCK) {
      this.last = this.make(BLOCK);
      this.blocks.push(this.last);
      this.used = 0;
    }
    this.last![this.used++] = value;
    this.length++;
  }

  /** The values in one array of exactly `length`; the blocks are released. */
  take(): T {
    const out = this.make(this.length);
    this.blocks.forEach((block, index) => out.set(index === this.blocks.length - 1 ? block.subarray(0, this.used) : block, index * BLOCK));
    this.blocks.length = 0;
    this.last = undefined;
    return out;
  }
}

/** Growing float64 values (NUMERIC columns). */
export class ChunkedFloat64Array extends ChunkedArray<Float64Array> {
  constructor() {
    super((length) => new Float64Array(length));
  }
}

/** Growing int32 values (category codes). */
export class ChunkedInt32Array extends ChunkedArray<Int32Array> {
  constructor() {
    super((length) => new Int32Array(length));
  }
}
