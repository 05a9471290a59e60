/**
 * PostgreSQL's binary wire formats, written without a dependency: a growing byte buffer with the
 * `*_send` encodings of the few types the prediction log writes (uuid, text, int4, float8, jsonb,
 * bytea, timestamptz) and the binary array format (`array_recv`), which node-postgres sends as is
 * for a Buffer parameter.
 *
 * Every encoder checks its value as the text input function would (a malformed uuid, a
 * non-integer int4, an invalid timestamp throw here rather than reach the server).
 */

/** Type OIDs of the array elements `array_recv` checks. */
export const PG_OID = { bytea: 17, int4: 23, text: 25, float8: 701, timestamptz: 1184, uuid: 2950, jsonb: 3802 } as const;

const POSTGRES_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** The forms uuid_in takes: 32 hex digits, hyphens optional after each group of four, braces optional. */
const UUID_TEXT = /^(?:\{[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}\}|[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7})$/;

/** The value of one hex digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Writes the 16 bytes of a uuid in its canonical form (8-4-4-4-12 hex digits, either case) at
 * `at`, without a regular expression or a copy of the text: the form every id the log writes has.
 * False, with the bytes left undefined, for any other text.
 */
function writeCanonicalUuid(buffer: Buffer, at: number, text: string): boolean {
  if (text.length !== 36) return false;
  let out = at;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (text.charCodeAt(i) !== 45) return false;
      i++;
      continue;
    }
    const high = hexDigit(text.charCodeAt(i));
    const low = hexDigit(text.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    buffer[out++] = (high << 4) | low;
    i += 2;
  }
  return true;
}

/** A byte buffer that grows as binary fields are appended. */
export class BinaryWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 4096) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Makes room for `bytes` more and returns where they go. It may replace `this.buffer`: take the
   * offset first, then write to `this.buffer` (`this.buffer.write(x, this.reserve(n))` would write
   * into the old buffer when it grows).
   */
  private reserve(bytes: number): number {
    const at = this.length;
    const needed = at + bytes;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.length = needed;
    return at;
  }

  int16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  bytes(value: Uint8Array): this {
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
    return this;
  }

  /** Overwrites the int32 at `at` (a length written before its field was known). */
  patchInt32(at: number, value: number): void {
    this.buffer.writeInt32BE(value, at);
  }

  get position(): number {
    return this.length;
  }

  /** A NULL field: length -1. */
  null(): this {
    return this.int32(-1);
  }

  /** A uuid field (uuid_send: 16 bytes), from a text form uuid_in takes. */
  uuid(value: string): this {
    this.int32(16);
    const at = this.reserve(16);
    if (writeCanonicalUuid(this.buffer, at, value)) return this;
    if (!UUID_TEXT.test(value)) throw new TypeError(`invalid input syntax for type uuid: "${value}"`);
    this.buffer.write(value.replace(/[-{}]/g, ''), at, 16, 'hex');
    return this;
  }

  /** A text field (text_send: the UTF-8 bytes). */
  text(value: string): this {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.int32(bytes);
    const at = this.reserve(bytes);
    this.buffer.write(value, at, bytes, 'utf8');
    return this;
  }

  /** A jsonb field (jsonb_send: version 1, then the JSON text). */
  jsonb(json: string): this {
    const bytes = Buffer.byteLength(json, 'utf8');
    this.int32(bytes + 1);
    const at = this.reserve(bytes + 1);
    this.buffer[at] = 1;
    this.buffer.write(json, at + 1, bytes, 'utf8');
    return this;
  }

  /** A bytea field (the bytes as they are). */
  bytea(value: Uint8Array): this {
    return this.int32(value.length).bytes(value);
  }

  /** An int4 field; throws unless `value` is an integer in int4's range. */
  int4(value: number): this {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw new TypeError(`invalid input for type integer: ${value}`);
    this.int32(4);
    const at = this.reserve(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }

  /** A float8 field (any number, NaN and infinities included, as float8in takes them). */
  float8(value: number): this {
    this.int32(8);
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(value, at);
    return this;
  }

  /** A timestamptz field (timestamptz_send: microseconds since 2000-01-01 UTC) from epoch milliseconds. */
  timestamptzMs(epochMs: number): this {
    if (!Number.isFinite(epochMs)) throw new TypeError(`invalid timestamp: ${epochMs}`);
    this.int32(8);
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(BigInt(Math.round((epochMs - POSTGRES_EPOCH_MS) * 1000)), at);
    return this;
  }

  /** The int32 written at `at`. */
  int32At(at: number): number {
    return this.buffer.readInt32BE(at);
  }

  /** The bytes written (a view: valid until the next write). */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * A one-dimensional array parameter in `array_recv`'s binary format, its `count` elements written by
 * `element(writer, i)` (each a field: length then bytes, or {@link BinaryWriter.null}). node-postgres
 * sends a Buffer parameter in binary format, so the server reads it without parsing an array literal.
 */
export function binaryArray(elementOid: number, count: number, element: (writer: BinaryWriter, index: number) => void, sizeHint = 64): Buffer {
  const writer = new BinaryWriter(20 + count * sizeHint);
  if (count === 0) return writer.int32(0).int32(0).int32(elementOid).toBuffer();
  writer.int32(1);
  const flagsAt = writer.position;
  writer.int32(0).int32(elementOid).int32(count).int32(1);
  let nulls = false;
  for (let i = 0; i < count; i++) {
    const before = writer.position;
    element(writer, i);
    if (writer.position === before + 4 && writer.int32At(before) === -1) nulls = true;
  }
  if (nulls) writer.patchInt32(flagsAt, 1);
  return writer.toBuffer();
}
