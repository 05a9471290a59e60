/**
 * Decode time of a 100,000 x 30 dataset version (the issue asks for under 1 s), against a baseline
 * of one plain Float64Array copy of the same column bytes, timed in the same process.
 * Measured in turn through the harness (bench/support/harness.ts). Run: npm run bench:codec
 */

import { decodeDataTable, encodeDataTable } from '../src/domain/datasets/columnar-codec';
import type { DataTable } from '../src/domain/datasets/data-table';
import { createRandom } from '../src/domain/random';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, timeMs } from './support/harness';

const ROWS = 100_000;
const COLUMNS = 30;

function syntheticTable(): DataTable {
  const random = createRandom(1);
  const columns = Array.from({ length: COLUMNS }, (_, c) => ({
    name: `x${c}`,
    type: 'NUMERIC' as const,
    values: Float64Array.from({ length: ROWS }, () => (random.next() < 0.01 ? NaN : random.uniform(-100, 100))),
  }));
  return { rowCount: ROWS, columns };
}

async function main(): Promise<void> {
  const options = runOptions({ repetitions: 30, warmup: 3 });
  const encoded = encodeDataTable(syntheticTable());
  const dataBytes = ROWS * COLUMNS * 8;
  const dataStart = encoded.length - dataBytes;
  const report = new BenchReport(
    `dataset codec: ${ROWS} rows x ${COLUMNS} numeric columns, ${(encoded.length / 1e6).toFixed(1)} MB encoded; ${options.repetitions} rounds after ${options.warmup} warm-up calls`,
  );
  const [decode, copy] = await measureRoundRobin(
    [
      { name: 'decode', unit: 'ms', observe: timeMs(() => decodeDataTable(encoded)) },
      {
        name: `baseline, one Float64Array copy of the same ${(dataBytes / 1e6).toFixed(1)} MB`,
        unit: 'ms',
        observe: timeMs(() => {
          const copied = new Float64Array(ROWS * COLUMNS);
          new Uint8Array(copied.buffer).set(encoded.subarray(dataStart));
          return copied;
        }),
      },
    ],
    options,
  );
  report.print(`  ${formatMeasured(decode)}`);
  report.print(`  ${formatMeasured(copy)}`);
  report.print(`  ${formatRatio(decode, copy, 'ratio decode / copy')}`);
}

runBenchmark(main);
