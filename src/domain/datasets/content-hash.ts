/**
 * Content address of a dataset version.
 */

import { createHash } from 'node:crypto';

/**
 * sha256 (lowercase hex) of the CSV text exactly as sent, encoded as UTF-8. Nothing is normalized:
 * a byte order mark, CRLF versus LF line ends, trailing newlines and quoting all change the hash,
 * so equal hashes mean byte-identical uploads (and two spellings of the same table are two versions).
 */
export function contentHash(csv: string): string {
  return createHash('sha256').update(csv, 'utf8').digest('hex');
}

/** {@link contentHash} of a text read in chunks: `update` with each chunk's UTF-8 bytes in order, then `digest`. */
export function contentHasher(): { update(bytes: Uint8Array): void; digest(): string } {
  const hash = createHash('sha256');
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => hash.digest('hex'),
  };
}
