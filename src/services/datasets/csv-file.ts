/**
 * A CSV file (an upload spooled to disk) read as text in chunks, never whole.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { CsvText } from '../../domain/datasets/csv-parser';

/** Bytes read at a time. */
export const READ_BYTES = 1024 * 1024;

/**
 * `file` as {@link CsvText}: read `readBytes` at a time and decoded as UTF-8 (a byte sequence
 * that is not UTF-8 becomes U+FFFD, as when the file is decoded whole). Reads are synchronous: use
 * it on a worker thread. Each pass opens the file again.
 */
export function csvFile(file: string, readBytes = READ_BYTES): CsvText {
  return {
    *chunks() {
      const fd = openSync(file, 'r');
      try {
        const buffer = Buffer.allocUnsafe(readBytes);
        const decoder = new StringDecoder('utf8');
        for (let read = readSync(fd, buffer, 0, readBytes, null); read > 0; read = readSync(fd, buffer, 0, readBytes, null)) {
          const text = decoder.write(buffer.subarray(0, read));
          if (text.length > 0) yield text;
        }
        const rest = decoder.end();
        if (rest.length > 0) yield rest;
      } finally {
        closeSync(fd);
      }
    },
  };
}
