/**
 * The benchmark harness every benchmark measures through, so that each figure is the median of
 * repeated measurements printed with its spread, and each comparison is a ratio to a baseline
 * measured in the same run, interleaved with it.
 *
 * - `measure(side, options)`: `warmup` discarded calls, then `repetitions` observations of one side.
 * - `measureRoundRobin(sides, options)`: several sides (the subject and its baselines) measured in
 *   turn, one observation of each per round after each side's warm-up, so a change of the machine's
 *   load during the run weighs on every side alike.
 * - `ratio(subject, baseline)`: the ratio of the medians and the spread of the per-round ratios.
 * - `formatMeasured`, `formatRatio`: the printed form, `median (IQR q1-q3, min-max, n)`.
 *
 * An observation is one number per call: `timeMs(work)` times a call of `work`; a side may also
 * return anything it measured itself (a latency seen by a subscriber, a best loss, a rate).
 * - `recordRoundRobin(sides, options)`: the same rounds for sides whose one observation yields
 *   several figures (a load-generator run: rate, p50, p99, CPU): it returns each side's records of
 *   the measured rounds, and `measured(name, unit, values)` summarizes one figure of them, so that
 *   `ratio` and `formatRatio` pair the figures of the same rounds.
 * Defaults: 1 warm-up call and 10 repetitions per side; a benchmark may ask for more, and
 * BENCH_WARMUP / BENCH_REPETITIONS override both for every benchmark (e.g. a quick check with 3).
 */
import { performance } from 'node:perf_hooks';

export const DEFAULT_REPETITIONS = 10;
export const DEFAULT_WARMUP = 1;

export interface Summary {
  n: number;
  median: number;
  /** First and third quartiles (linear interpolation between order statistics). */
  q1: number;
  q3: number;
  min: number;
  max: number;
}

export interface Side {
  name: string;
  /** Unit of the observations, printed after each number (`ms`, `s`, `predictions/s`, or '' for a plain number). */
  unit: string;
  /** One observation: `timeMs(work)` for a duration, or any number the side measures itself. */
  observe: () => number | Promise<number>;
}

export interface Measured {
  name: string;
  unit: string;
  values: number[];
  summary: Summary;
}

export interface RunOptions {
  warmup: number;
  repetitions: number;
}

function quantile(sorted: readonly number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** The `p` quantile (0..1) of `values` (at least one), e.g. 0.99 for a p99 latency. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('no values');
  return quantile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** Median, quartiles and range of `values` (at least one). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('nothing to summarize: no observations');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

function countFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 10_000) throw new RangeError(`${name} must be an integer from 0 to 10000, got "${text}"`);
  return value;
}

/**
 * The warm-up and repetition counts of a benchmark: its own defaults (else 1 and 10), overridden by
 * BENCH_WARMUP and BENCH_REPETITIONS when set.
 */
export function runOptions(defaults: Partial<RunOptions> = {}): RunOptions {
  const repetitions = countFromEnv('BENCH_REPETITIONS') ?? defaults.repetitions ?? DEFAULT_REPETITIONS;
  if (repetitions < 1) throw new RangeError('BENCH_REPETITIONS must be at least 1');
  return { warmup: countFromEnv('BENCH_WARMUP') ?? defaults.warmup ?? DEFAULT_WARMUP, repetitions };
}

/** An observation that is the wall time of one call of `work`, in milliseconds (awaited when it returns a promise). */
export function timeMs(work: () => unknown): () => Promise<number> {
  return async () => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
}

/** A side whose one observation is a record of several figures; `warmup` tells a warm-up call (discarded) from a measured one. */
export interface RecordingSide<T> {
  name: string;
  observe: (call: { warmup: boolean }) => T | Promise<T>;
}

/**
 * Observes every side in turn: each side's warm-up calls first, then `repetitions` rounds of one
 * observation per side; returns each side's records of the measured rounds, in round order.
 */
export async function recordRoundRobin<T>(sides: readonly RecordingSide<T>[], options: RunOptions = runOptions()): Promise<T[][]> {
  for (const side of sides) for (let i = 0; i < options.warmup; i++) await side.observe({ warmup: true });
  const records = sides.map((): T[] => []);
  for (let round = 0; round < options.repetitions; round++) {
    for (const [index, side] of sides.entries()) records[index].push(await side.observe({ warmup: false }));
  }
  return records;
}

/** One figure's observations (e.g. picked from recordRoundRobin's records), summarized. */
export function measured(name: string, unit: string, values: readonly number[]): Measured {
  return { name, unit, values: [...values], summary: summarize(values) };
}

/** Measures every side in turn: each side's warm-up calls first, then `repetitions` rounds of one observation per side. */
export async function measureRoundRobin(sides: readonly Side[], options: RunOptions = runOptions()): Promise<Measured[]> {
  const records = await recordRoundRobin(
    sides.map((side) => ({ name: side.name, observe: () => side.observe() })),
    options,
  );
  return sides.map((side, index) => measured(side.name, side.unit, records[index]));
}

/** Measures one side: its warm-up calls, then `repetitions` observations. */
export async function measure(side: Side, options: RunOptions = runOptions()): Promise<Measured> {
  const [measured] = await measureRoundRobin([side], options);
  return measured;
}

export interface Ratio {
  /** median(subject) / median(baseline): the figure to compare. */
  ofMedians: number;
  /** The ratio of each round's pair of observations (sides measured in the same rounds), summarized. */
  perRound: Summary;
}

/** How `subject` compares with `baseline`, both measured in the same rounds of one run. */
export function ratio(subject: Measured, baseline: Measured): Ratio {
  if (subject.values.length !== baseline.values.length) {
    throw new RangeError(`${subject.name} and ${baseline.name} were not measured in the same rounds (${subject.values.length} vs ${baseline.values.length})`);
  }
  return {
    ofMedians: subject.summary.median / baseline.summary.median,
    perRound: summarize(subject.values.map((value, i) => value / baseline.values[i])),
  };
}

/** A number with three significant digits (no exponent below 1e6), e.g. 1,863 / 12.3 / 0.00712. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude === 0) return '0';
  const decimals = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(magnitude))));
  return value.toFixed(decimals);
}

function withUnit(value: number, unit: string): string {
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

/** `median 12.3 ms (IQR 11.0-13.5, min-max 10.1-20.2, n 10)` */
export function formatSummary(summary: Summary, unit: string): string {
  const f = formatNumber;
  return `median ${withUnit(summary.median, unit)} (IQR ${f(summary.q1)}-${f(summary.q3)}, min-max ${f(summary.min)}-${f(summary.max)}, n ${summary.n})`;
}

/** `name: median ...` */
export function formatMeasured(measured: Measured): string {
  return `${measured.name}: ${formatSummary(measured.summary, measured.unit)}`;
}

/** `subject / baseline: 0.41 (per round: median 0.40, IQR 0.35-0.47, min-max 0.30-0.52)` */
export function formatRatio(subject: Measured, baseline: Measured, label = `${subject.name} / ${baseline.name}`): string {
  const { ofMedians, perRound } = ratio(subject, baseline);
  const f = formatNumber;
  return `${label}: ${f(ofMedians)} (per round: median ${f(perRound.median)}, IQR ${f(perRound.q1)}-${f(perRound.q3)}, min-max ${f(perRound.min)}-${f(perRound.max)})`;
}

/** Writes lines to stdout as they come, and keeps them for a closing summary. */
export class BenchReport {
  readonly lines: string[] = [];

  constructor(title: string) {
    this.print(title);
  }

  print(line: string): void {
    this.lines.push(line);
    process.stdout.write(`${line}\n`);
  }
}

/** Runs a benchmark's `main`, printing its error and exiting 1 when it fails. */
export function runBenchmark(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
