/**
 * PostgreSQL's binary wire formats, written without a dependency: a growing byte buffer with the
 * `*_send` encodings of the few types the prediction log writes (uuid, text, int4, float8, jsonb,
 * bytea, timestamptz), the binary COPY framing, the binary array format (`array_recv`), and a
 * `pg` query object that runs `COPY ... FROM STDIN` with a payload built in memory (node-postgres
 * speaks the COPY sub-protocol to custom query objects; `pg-copy-streams` is one such object).
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
    if (!UUID_TEXT.test(value)) throw new TypeError(`invalid input syntax for type uuid: "${value}"`);
    const hex = value.replace(/[-{}]/g, '');
    this.int32(16);
    const at = this.reserve(16);
    this.buffer.write(hex, at, 16, 'hex');
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

  /** The bytes written (a view: valid until the next write). */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Starts a binary COPY payload: signature, flags, no header extension. */
export function copyHeader(writer: BinaryWriter): void {
  writer.bytes(COPY_SIGNATURE).int32(0).int32(0);
}

/** Ends a binary COPY payload. */
export function copyTrailer(writer: BinaryWriter): void {
  writer.int16(-1);
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
    if (writer.position === before + 4 && writer.toBuffer().readInt32BE(before) === -1) nulls = true;
  }
  if (nulls) writer.patchInt32(flagsAt, 1);
  return writer.toBuffer();
}

/** What {@link copyFrom} needs of a `pg` Pool or Client: `query` of a custom query object with a callback. */
export interface CopyTarget {
  query(query: CopyFromQuery, callback: (error: Error | undefined) => void): unknown;
}

/** The most bytes one CopyData message carries (pg copies each into its own message buffer). */
const COPY_CHUNK_BYTES = 1 << 20;

/** The parts of `pg`'s connection a COPY FROM STDIN uses. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * A `pg` custom query object (a "Submittable") that runs `text`, a `COPY ... FROM STDIN`, with
 * `data` as the whole of its input, in one simple-protocol statement: one transaction of its own
 * outside a transaction block, so all of `data` or none of it is written.
 */
export class CopyFromQuery {
  /** Set by `pg` when the query is queued with a callback. */
  callback?: (error: Error | undefined, result?: unknown) => void;
  /** The rows the COPY wrote (from its command tag). */
  rowCount: number | null = null;
  private failed = false;

  constructor(
    readonly text: string,
    private readonly data: Buffer,
  ) {}

  submit(connection: CopyConnection): null {
    connection.query(this.text);
    return null;
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let at = 0; at < this.data.length; at += COPY_CHUNK_BYTES) connection.sendCopyFromChunk(this.data.subarray(at, at + COPY_CHUNK_BYTES));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const count = /^COPY (\d+)$/.exec(message.text ?? '');
    if (count) this.rowCount = Number(count[1]);
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.callback?.(undefined, this);
  }

  handleError(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.callback?.(error);
  }

  /** Not a query that returns rows or reads: nothing to do. */
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY ... FROM STDIN` (`text`) with `data` as its input on `target`; resolves with the rows written. */
export function copyFrom(target: CopyTarget, text: string, data: Buffer): Promise<number | null> {
  const query = new CopyFromQuery(text, data);
  return new Promise((resolve, reject) => {
    target.query(query, (error) => (error ? reject(error) : resolve(query.rowCount)));
  });
}
