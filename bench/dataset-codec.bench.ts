/**
 * Decode time of a 100,000 x 30 dataset version (the issue asks for under 1 s), against a baseline
 * of one plain Float64Array copy of the same column bytes, timed in the same process.
 * Run: npm run build && node dist/bench/dataset-codec.bench.js
 */

import { performance } from 'node:perf_hooks';
import { decodeDataTable, encodeDataTable } from '../src/domain/datasets/columnar-codec';
import type { DataTable } from '../src/domain/datasets/data-table';
import { createRandom } from '../src/domain/random';

const ROWS = 100_000;
const COLUMNS = 30;
const REPEATS = 30;

function syntheticTable(): DataTable {
  const random = createRandom(1);
  const columns = Array.from({ length: COLUMNS }, (_, c) => ({
    name: `x${c}`,
    type: 'NUMERIC' as const,
    values: Float64Array.from({ length: ROWS }, () => (random.next() < 0.01 ? NaN : random.uniform(-100, 100))),
  }));
  return { rowCount: ROWS, columns };
}

/** Median wall time in milliseconds of `REPEATS` runs of `work`, after three warm-up runs. */
function medianMs(work: () => unknown): number {
  for (let i = 0; i < 3; i++) work();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(REPEATS / 2)];
}

const encoded = encodeDataTable(syntheticTable());
const dataBytes = ROWS * COLUMNS * 8;
const dataStart = encoded.length - dataBytes;

const decodeMs = medianMs(() => decodeDataTable(encoded));
const baselineMs = medianMs(() => {
  const copy = new Float64Array(ROWS * COLUMNS);
  new Uint8Array(copy.buffer).set(encoded.subarray(dataStart));
  return copy;
});

process.stdout.write(
  [
    `dataset codec: ${ROWS} rows x ${COLUMNS} numeric columns, ${(encoded.length / 1e6).toFixed(1)} MB encoded`,
    `decode (median of ${REPEATS}): ${decodeMs.toFixed(2)} ms`,
    `baseline, one Float64Array copy of the same ${(dataBytes / 1e6).toFixed(1)} MB: ${baselineMs.toFixed(2)} ms`,
    `ratio decode / baseline: ${(decodeMs / baselineMs).toFixed(2)}`,
    '',
  ].join('\n'),
);
