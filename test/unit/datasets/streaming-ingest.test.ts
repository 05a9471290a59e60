import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { GrowableFloat64Array, GrowableInt32Array } from '../../../src/domain/datasets/growable-array';
import { decodeDataTable } from '../../../src/domain/datasets/columnar-codec';
import { csvText, readCsv, type CsvText } from '../../../src/domain/datasets/csv-parser';
import { ingestCsv } from '../../../src/domain/datasets/dataset-ingest';
import { csvFile } from '../../../src/services/datasets/csv-file';
import { GZIP_PAGE_BYTES, prepareVersion } from '../../../src/services/datasets/prepared-version';
import { csvDocument } from '../../support/csv-arbitrary';
import { FUZZ_SEED } from '../../support/fuzz';

/** `text` in chunks of the given sizes (in turn), never splitting a surrogate pair; counts its passes. */
function chunked(text: string, sizes: number[]): CsvText & { passes: number } {
  const source = {
    passes: 0,
    *chunks() {
      source.passes++;
      for (let start = 0, k = 0; start < text.length; k++) {
        let end = Math.min(text.length, start + sizes[k % sizes.length]);
        const code = text.charCodeAt(end - 1);
        if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
        yield text.slice(start, end);
        start = end;
      }
    },
  };
  return source;
}

/** What an ingest gives: the dataset, or the error's class, message and location. */
function outcome(run: () => unknown): unknown {
  try {
    return { stored: run() };
  } catch (error) {
    const { message, location } = error as { message: string; location?: unknown };
    return { refused: (error as object).constructor.name, message, location };
  }
}

describe('ingesting a CSV as it streams', () => {
  it('gives the same dataset, or the same refusal with its row and column, whatever the chunks', () => {
    const settings = fc.record({
      labelColumn: fc.constantFrom('label', 'x', 'c0'),
      columnTypes: fc.option(fc.dictionary(fc.constantFrom('c0', 'c1', 'label', 'q'), fc.constantFrom('NUMERIC' as const, 'CATEGORICAL' as const)), {
        nil: undefined,
      }),
      maxBytes: fc.constantFrom(undefined, 60, 300),
      sizes: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(csvDocument, settings, ({ csv }, { sizes, ...options }) => {
        const whole = outcome(() => ingestCsv({ ...options, csv }));
        expect(outcome(() => ingestCsv({ ...options, csv: chunked(csv, sizes) }))).toEqual(whole);
      }),
      { seed: FUZZ_SEED, numRuns: 1500 },
    );
  });

  it('reads the text a second time only when a column turns categorical after numeric rows', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i % 7},${i === 30 ? 'thirty' : String(i % 4)},${i % 2}`);
    const text = chunked(`a,b,label\n${rows.join('\n')}\n${'9,3,1\n'.repeat(40)}`, [17]);
    const { table } = ingestCsv({ csv: text, labelColumn: 'label' });
    expect(text.passes).toBe(2);
    const b = table.columns[1];
    // Categories in order of first appearance, the rows before 'thirty' included.
    expect(b.type === 'CATEGORICAL' && [b.categories, Array.from(b.codes.slice(28, 33))]).toEqual([
      ['0', '1', '2', '3', 'thirty'],
      [0, 1, 4, 3, 0],
    ]);
    const numeric = chunked('a,label\n1,0\n2,1\n', [3]);
    ingestCsv({ csv: numeric, labelColumn: 'label' });
    expect(numeric.passes).toBe(1);
  });

  it('refuses an input over the limit with its whole size, even when it is malformed early on', () => {
    const malformed = `a,"b\n${'1,2\n'.repeat(100)}`;
    expect(() => ingestCsv({ csv: chunked(malformed, [64]), labelColumn: 'a', maxBytes: 100 })).toThrow(
      `CSV is ${Buffer.byteLength(malformed)} bytes, over the limit of 100 bytes`,
    );
    const sink = { header: jest.fn(), record: jest.fn() };
    // A text of known size over the limit is refused before a byte of it is read.
    expect(() => readCsv(csvText('x'.repeat(1000)), sink, { maxBytes: 999 })).toThrow('CSV is 1000 bytes');
    expect(sink.header).not.toHaveBeenCalled();
  });

  it('reads a file in chunks as the whole file decodes, invalid UTF-8 and split characters included', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-csv-file-'));
    try {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.uint8Array({ maxLength: 12 }), fc.integer({ min: 1, max: 9 }), (text, junk, readBytes) => {
          const file = path.join(dir, 'input.csv');
          const bytes = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from(junk)]);
          writeFileSync(file, bytes);
          expect([...csvFile(file, readBytes).chunks()].join('')).toBe(readFileSync(file, 'utf8'));
        }),
        { seed: FUZZ_SEED, numRuns: 500 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prepareVersion', () => {
  it('stores the gzip that gzip of the whole text gives, in pages, and one encoding per column', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `${(i * 7919) % 100_003},${['é', 'b', '🔑'][i % 3]},${i % 2}`);
    const csv = `x,city,label\n${lines.join('\n')}\n`;
    const prepared = await prepareVersion(csvText(csv), { labelColumn: 'label' });
    expect(Buffer.concat(prepared.sourceCsvGzip).equals(gzipSync(csv))).toBe(true);
    expect(gunzipSync(Buffer.concat(prepared.sourceCsvGzip)).toString('utf8')).toBe(csv);
    expect(prepared.sourceCsvGzip.every((page) => page.byteLength <= GZIP_PAGE_BYTES)).toBe(true);
    expect(prepared.sizeBytes).toBe(Buffer.byteLength(csv));
    const { table } = ingestCsv({ csv, labelColumn: 'label' });
    expect(prepared.encodedColumns.map((pieces) => decodeDataTable(Buffer.concat(pieces)).columns[0])).toEqual(table.columns);
  });
});

describe('GrowableFloat64Array and GrowableInt32Array', () => {
  it('give back every value in order, across resizes, up to their capacity and not past it', () => {
    for (const length of [0, 1, 65_535, 65_536, 65_537, 200_000]) {
      const floats = new GrowableFloat64Array(length);
      const ints = new GrowableInt32Array(length + 5);
      for (let i = 0; i < length; i++) {
        floats.push(i / 3);
        ints.push(-i);
      }
      expect([floats.length, ints.length]).toEqual([length, length]);
      expect(() => floats.push(1)).toThrow(RangeError);
      const bytesOf = (values: Float64Array | Int32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      const taken = floats.take();
      expect(taken.buffer.byteLength).toBe(length * 8);
      expect(bytesOf(taken).equals(bytesOf(Float64Array.from({ length }, (_, i) => i / 3)))).toBe(true);
      expect(bytesOf(ints.take()).equals(bytesOf(Int32Array.from({ length }, (_, i) => -i)))).toBe(true);
    }
    expect(() => new GrowableFloat64Array(2 ** 28 + 1)).toThrow(RangeError);
  });
});
