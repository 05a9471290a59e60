import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn this many UUIDs at a time (one `randomFillSync` call per batch). */
const RANDOM_BATCH = 256;
const RANDOM_BYTES_PER_UUID = 10;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function nextRandom(): Buffer {
  if (poolOffset >= pool.length) {
    pool = randomFillSync(Buffer.alloc(RANDOM_BATCH * RANDOM_BYTES_PER_UUID));
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + RANDOM_BYTES_PER_UUID);
  poolOffset += RANDOM_BYTES_PER_UUID;
  return bytes;
}

/**
 * A version 7 UUID (RFC 9562 section 5.7): 48 bits of Unix time in milliseconds, then 74 random
 * bits. Ids made one after another sort by time, so a table keyed by them (the prediction log)
 * adds each row at the right edge of its primary-key index instead of at a random page, which
 * keeps the index's working set small and its WAL lean however large the table grows.
 * @param unixMs the time to encode (a clock's `Date.now()`).
 * @param random 10 random bytes (drawn from a CSPRNG when omitted); 74 of their 80 bits are used.
 */
export function uuidV7(unixMs: number = Date.now(), random: Uint8Array = nextRandom()): string {
  if (!Number.isSafeInteger(unixMs) || unixMs < 0 || unixMs >= 2 ** 48) throw new RangeError(`a UUIDv7 time must be an integer in [0, 2^48) ms, got ${unixMs}`);
  if (random.length < RANDOM_BYTES_PER_UUID) throw new RangeError(`a UUIDv7 needs ${RANDOM_BYTES_PER_UUID} random bytes, got ${random.length}`);
  const hex = (byte: number) => byte.toString(16).padStart(2, '0');
  const time = unixMs.toString(16).padStart(12, '0');
  const version = hex(0x70 | (random[0] & 0x0f)) + hex(random[1]);
  const variant = hex(0x80 | (random[2] & 0x3f)) + hex(random[3]);
  let tail = '';
  for (let i = 4; i < RANDOM_BYTES_PER_UUID; i++) tail += hex(random[i]);
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${variant}-${tail}`;
}
