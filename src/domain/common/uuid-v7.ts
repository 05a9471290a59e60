import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn this many UUIDs at a time (one `randomFillSync` call per batch). */
const RANDOM_BATCH = 256;
const RANDOM_BYTES_PER_UUID = 10;
const pool = Buffer.alloc(RANDOM_BATCH * RANDOM_BYTES_PER_UUID);
let poolOffset = pool.length;

/** Two lowercase hex digits of each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** The text of the last time encoded (`xxxxxxxx-xxxx-`): ids of one millisecond share it. */
let prefixMs = -1;
let prefix = '';

function timePrefix(unixMs: number): string {
  if (unixMs !== prefixMs) {
    const time = unixMs.toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8)}-`;
    prefixMs = unixMs;
  }
  return prefix;
}

/** The id's text from 10 random bytes at `at` of `random` (74 of their 80 bits are used). */
function layout(unixMs: number, random: Uint8Array, at: number): string {
  return (
    timePrefix(unixMs) +
    HEX[0x70 | (random[at] & 0x0f)] +
    HEX[random[at + 1]] +
    '-' +
    HEX[0x80 | (random[at + 2] & 0x3f)] +
    HEX[random[at + 3]] +
    '-' +
    HEX[random[at + 4]] +
    HEX[random[at + 5]] +
    HEX[random[at + 6]] +
    HEX[random[at + 7]] +
    HEX[random[at + 8]] +
    HEX[random[at + 9]]
  );
}

/**
 * A version 7 UUID (RFC 9562 section 5.7): 48 bits of Unix time in milliseconds, then 74 random
 * bits. Ids made one after another sort by time, so a table keyed by them (the prediction log)
 * adds each row at the right edge of its primary-key index instead of at a random page, which
 * keeps the index's working set small and its WAL lean however large the table grows.
 * @param unixMs the time to encode (a clock's `Date.now()`).
 * @param random 10 random bytes (drawn from a CSPRNG when omitted); 74 of their 80 bits are used.
 */
export function uuidV7(unixMs: number = Date.now(), random?: Uint8Array): string {
  if (!Number.isSafeInteger(unixMs) || unixMs < 0 || unixMs >= 2 ** 48) throw new RangeError(`a UUIDv7 time must be an integer in [0, 2^48) ms, got ${unixMs}`);
  if (random) {
    if (random.length < RANDOM_BYTES_PER_UUID) throw new RangeError(`a UUIDv7 needs ${RANDOM_BYTES_PER_UUID} random bytes, got ${random.length}`);
    return layout(unixMs, random, 0);
  }
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = layout(unixMs, pool, poolOffset);
  poolOffset += RANDOM_BYTES_PER_UUID;
  return id;
}
