/**
 * Typed arrays that grow in place while a CSV streams in. Each sits on a resizable ArrayBuffer:
 * the address space for `capacity` values is reserved up front (it costs no memory), and memory
 * is committed as values arrive. Nothing is ever copied to grow, and the finished column is the
 * very memory it was built in: a column costs its values, not twice their size as a doubling array
 * (or blocks laid end to end at the end) would while it grows.
 */

/** Values added per resize: 64 Ki (512 KiB of float64). */
const STEP = 65_536;

/** Most bytes one array may reserve (V8 refuses more than 4 GiB). */
const MAX_BYTES = 2 ** 31;

/** Most values a growable array holds (2 GiB of float64). */
export const MAX_VALUES = MAX_BYTES / Float64Array.BYTES_PER_ELEMENT;

/** An ArrayBuffer with the ES2024 resizable API (not in this project's ES2022 library types). */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
  readonly maxByteLength: number;
}

type TypedArrayClass<T> = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): T; readonly BYTES_PER_ELEMENT: number };

class GrowableArray<T extends Float64Array | Int32Array> {
  private readonly buffer: ResizableArrayBuffer;
  private view: T;
  length = 0;

  /** @throws RangeError when `capacity` values need more than 2 GiB. */
  constructor(
    private readonly type: TypedArrayClass<T>,
    readonly capacity: number,
  ) {
    const maxByteLength = capacity * type.BYTES_PER_ELEMENT;
    if (!Number.isSafeInteger(capacity) || capacity < 0 || maxByteLength > MAX_BYTES)
      throw new RangeError(`a column of ${capacity} values needs over ${MAX_BYTES} bytes`);
    this.buffer = new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ResizableArrayBuffer)(0, { maxByteLength });
    this.view = new type(this.buffer, 0, 0);
  }

  /** @throws RangeError past `capacity`. */
  push(value: number): void {
    if (this.length === this.view.length) {
      const grown = Math.min(this.capacity, this.length + STEP);
      if (grown === this.length) throw new RangeError(`a column holds at most ${this.capacity} values`);
      this.buffer.resize(grown * this.type.BYTES_PER_ELEMENT);
      this.view = new this.type(this.buffer, 0, grown);
    }
    this.view[this.length++] = value;
  }

  /** The values, as an array of exactly `length` over memory of exactly that size; the builder is done with it. */
  take(): T {
    this.buffer.resize(this.length * this.type.BYTES_PER_ELEMENT);
    return new this.type(this.buffer, 0, this.length);
  }
}

/** Growing float64 values (NUMERIC columns), at most `capacity`. */
export class GrowableFloat64Array extends GrowableArray<Float64Array> {
  constructor(capacity: number) {
    super(Float64Array, capacity);
  }
}

/** Growing int32 values (category codes), at most `capacity`. */
export class GrowableInt32Array extends GrowableArray<Int32Array> {
  constructor(capacity: number) {
    super(Int32Array, capacity);
  }
}
