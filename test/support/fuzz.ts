import fc from 'fast-check';
import { Client } from 'pg';
import type { Services } from '../../src/graphql/context';
import { PASS_THROUGH_CODES } from '../../src/graphql/errors';
import { fixtureCsv } from './fixtures';
import { withDefaultKey, type HttpGraphQLResponse } from './graphql-client';
import { createTestDatabase, type TestDatabase } from './test-database';
import { startTestServer, type TestServer } from './test-server';

/**
 * Shared pieces of the fuzzers under test/fuzz: the seed every property runs with, hostile values,
 * and the property every answer must satisfy (a closed set of error codes, no 500, no stack).
 */

/** One fixed seed for every property: a failure prints it, and `FUZZ_SEED=<n>` replays another. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_206);

/** Runs per target; `FUZZ_RUNS_SCALE=0.1` shortens every fuzzer for a quick local pass. */
export function fuzzRuns(runs: number): number {
  return Math.max(1, Math.round(runs * Number(process.env.FUZZ_RUNS_SCALE ?? 1)));
}

/**
 * Jest timeout of one fuzz target: each runs in well under a minute on a loaded 2-core machine;
 * the margin is for a slower one, so that a slow run fails with its own message, not jest's.
 */
export const FUZZ_TEST_TIMEOUT_MS = 300_000;

/** `"\u0000\u0000\u0000…"` as `"\u0000"×5000`: counterexamples with thousand-character strings stay readable. */
export function compactRepeats(text: string): string {
  return text.replace(/(.{1,12}?)\1{19,}/gs, (run: string, unit: string) => `${unit}×${run.length / unit.length}`);
}

/**
 * `fc.assert` parameters: the fixed seed and `numRuns`; a failure reports the seed, the path and
 * the shrunk counterexample (with long repeats compacted) and the error it raised.
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: fuzzRuns(numRuns),
    endOnFailure: true,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- still supported by fast-check 4; it throws one compact message where the default prints every shrink
    reporter: (details) => {
      if (!details.failed) return;
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(compactRepeats(`${fc.defaultReportMessage(details) ?? 'property failed'}\n\nCause: ${cause}`));
    },
  };
}

/**
 * Codes a client may receive for input it got wrong: the closed set of src/graphql/errors.ts without
 * INTERNAL_SERVER_ERROR (a masked bug), plus SERVICE_UNAVAILABLE (a dependency that is down).
 */
export const CLIENT_FAULT_CODES: ReadonlySet<string> = new Set([...PASS_THROUGH_CODES, 'SERVICE_UNAVAILABLE']);

/** Text of a JavaScript stack frame (`    at fn (file.ts:1:2)`) or a file path from the server's tree. */
const STACK_TEXT = /\n\s+at .+:\d+:\d+|\/src\/\S+\.(ts|js):\d+|node_modules\//;

/**
 * Codes the fuzzers' ADMIN key must never get: a case answered with one never reached the API
 * (the fuzzers once sent no key at all, and every case was a 401).
 */
const KEY_REFUSED_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Why `response` breaks the property, or undefined when it holds: no status 500 (nor any 5xx
 * but 503), every error carries a code from CLIENT_FAULT_CODES, no stack text anywhere, and the
 * key was accepted.
 */
export function propertyViolation(response: { status: number; body: Pick<HttpGraphQLResponse['body'], 'errors'> }): string | undefined {
  if (response.status >= 500 && response.status !== 503) return `status ${response.status}`;
  const text = JSON.stringify(response.body);
  if (STACK_TEXT.test(text)) return `stack trace text in ${text.slice(0, 500)}`;
  for (const error of response.body.errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code !== 'string' || !CLIENT_FAULT_CODES.has(code)) {
      return `code ${String(code)}: ${error.message.slice(0, 300)}`;
    }
    if (KEY_REFUSED_CODES.has(code)) return `the fuzzer's key was refused (${code}): ${error.message.slice(0, 300)}`;
  }
  return undefined;
}

/**
 * POSTs `request` (a real HTTP request, with the server's ADMIN key) and returns the answer.
 * @throws when it breaks the property of {@link propertyViolation}, or is not JSON.
 */
export async function postChecked(url: string, request: { query: string; variables?: Record<string, unknown> }): Promise<HttpGraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: withDefaultKey(url, { 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(request),
  });
  const text = await response.text();
  let body: HttpGraphQLResponse['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`status ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  const answer = { status: response.status, headers: response.headers, body };
  const violation = propertyViolation(answer);
  if (violation) throw new Error(violation);
  return answer;
}

/**
 * Whether the answer is a refusal, after which no row may have changed: an error about the request
 * (no path) or raised by a root field. An error deeper in the selection of a mutation that ran is not one.
 */
export function refused(response: HttpGraphQLResponse): boolean {
  return (response.body.errors ?? []).some((error) => (error.path?.length ?? 0) <= 1);
}

/**
 * Tables the monitors write in the background about traffic as a whole (an error-rate alert, a
 * drift report), at any moment: not a change a request makes. And the audit trail, which records
 * every refused mutation by design (its own tests check those rows).
 */
const MONITOR_TABLES = ['alerts', 'alert_deliveries', 'drift_reports', 'audit_events'];

/** The counting query of each client's database (its tables do not change while a fuzzer runs). */
const countQueries = new WeakMap<Client, Promise<{ text: string; values: string[] }>>();

async function countQueryOf(client: Client): Promise<{ text: string; values: string[] }> {
  const tables = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' AND NOT (tablename = ANY($1)) ORDER BY tablename",
    [MONITOR_TABLES],
  );
  return {
    text: tables.rows.map((row, i) => `SELECT $${i + 1}::text AS t, count(*)::int AS n FROM "${row.tablename}"`).join(' UNION ALL '),
    values: tables.rows.map((row) => row.tablename),
  };
}

/**
 * Exact row counts of mlplane's tables (public schema, but the monitors'), to check a refusal
 * changed nothing, in one round trip; `extra` adds figures by name (SQL giving one integer).
 */
export async function rowCounts(client: Client, extra: Record<string, string> = {}): Promise<Record<string, number>> {
  let query = countQueries.get(client);
  if (!query) countQueries.set(client, (query = countQueryOf(client)));
  const { text, values } = await query;
  const figures = Object.values(extra).map((sql, i) => ` UNION ALL SELECT $${values.length + i + 1}::text, (${sql})`);
  const counts = await client.query<{ t: string; n: number }>(text + figures.join(''), [...values, ...Object.keys(extra)]);
  return Object.fromEntries(counts.rows.map((row) => [row.t, row.n]));
}

/**
 * What each case changed, at one counting query a case: the counts after one case are the counts
 * before the next (nothing else writes between cases; the monitors' tables and the audit trail are
 * not counted). `extra` adds figures to follow (see {@link rowCounts}).
 */
export class RowChanges {
  private last: Promise<Record<string, number>>;

  constructor(
    private readonly client: Client,
    private readonly extra: Record<string, string> = {},
  ) {
    this.last = rowCounts(client, extra);
  }

  /** Runs `action`, then returns the counts that moved and by how much (read even when `action` throws). */
  async around<T>(action: () => Promise<T>): Promise<{ result: T; changed: Record<string, number> }> {
    let outcome: { ok: true; result: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, result: await action() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const before = await this.last;
    this.last = rowCounts(this.client, this.extra);
    const after = await this.last;
    if (!outcome.ok) throw outcome.error;
    const changed = Object.fromEntries(Object.keys(after).flatMap((name) => (after[name] === before[name] ? [] : [[name, after[name] - (before[name] ?? 0)]])));
    return { result: outcome.result, changed };
  }
}

/** Cases a fuzzer sends at once: their changes are checked together (see {@link addChanges}). */
export const CONCURRENT_CASES = 8;

/**
 * The sum of what several cases should change, to compare with what they changed together. No case
 * deletes a row, so a refused case that wrote anything shows as a count above the sum.
 */
export function addChanges(changes: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const change of changes) for (const [name, n] of Object.entries(change)) total[name] = (total[name] ?? 0) + n;
  return Object.fromEntries(Object.entries(total).filter(([, n]) => n !== 0));
}

/**
 * What a fuzzer's cases came to: how many were accepted and how many refused, by code. A fuzzer
 * asserts that enough of its cases were accepted (it reaches storage, not only the checks in front
 * of it) and prints the tally.
 */
export class FuzzTally {
  cases = 0;
  accepted = 0;
  readonly refusedBy = new Map<string, number>();
  /** Refusal messages by their first words (numbers and quoted values left out), to see what refuses most. */
  private readonly reasons = new Map<string, number>();

  constructor(private readonly target: string) {}

  note(errors: readonly { message?: string; extensions?: { code?: unknown } }[] | undefined): void {
    this.cases++;
    const first = errors?.[0];
    if (first === undefined) {
      this.accepted++;
      return;
    }
    const code = String(first.extensions?.code);
    this.refusedBy.set(code, (this.refusedBy.get(code) ?? 0) + 1);
    const reason = `${code}: ${(first.message ?? '').replace(/'[^']*'|"[^"]*"|\d+/g, '_').slice(0, 60)}`;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  /** Prints the tally; @throws when fewer than `minimumShare` of the cases were accepted. */
  report(minimumShare: number): void {
    const top = (counts: Map<string, number>, most: number) =>
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, most)
        .map(([what, n]) => `${what} (${n})`);
    process.stdout.write(
      `${this.target}: ${this.cases} cases, ${this.accepted} accepted; refused by code: ${top(this.refusedBy, 10).join(', ') || 'none'}\n  most common refusals: ${top(this.reasons, 6).join('; ')}\n`,
    );
    expect(this.accepted).toBeGreaterThanOrEqual(Math.ceil(this.cases * minimumShare));
  }
}

/** A test server on a fresh database, and a pg client on it for row counts. */
export interface FuzzTarget {
  db: TestDatabase;
  server: TestServer;
  counter: Client;
  close(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const db = await createTestDatabase();
  const server = await startTestServer({ databaseUrl: db.url });
  const counter = new Client({ connectionString: db.url });
  await counter.connect();
  return {
    db,
    server,
    counter,
    close: async () => {
      await counter.end();
      await server.close();
      await db.drop();
    },
  };
}

/** The iris dataset and a model on it; returns their ids and names, for fuzzers to refer to. */
export async function seedIris(services: Services): Promise<string[]> {
  const { dataset, version } = await services.datasets.createDataset({ name: 'iris', csv: fixtureCsv('iris'), labelColumn: 'species' });
  const model = await services.models.createModel({ name: 'iris-model', datasetId: dataset.id, layers: [{ units: 4, activation: 'relu' }] });
  return [dataset.id, version.id, model.id, 'iris', 'iris-model', 'species', 'setosa', 'sepal_length_cm'];
}

/**
 * `FUZZ_WITHOUT_INPUTS_SCOPE=1` leaves out NUL bytes, surrogates, strings over 200 characters and
 * numbers beyond ±1e6: the client faults the "inputs" work turns into BAD_USER_INPUT. For exploring
 * past those known failures only; the suite runs without it.
 */
const withoutInputsScope = process.env.FUZZ_WITHOUT_INPUTS_SCOPE === '1';

/** Strings a parser or PostgreSQL may choke on: NUL, lone surrogates, control characters, very long text. */
const anyHostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\uD800',
      'x\uDFFFy',
      '\uDBFF\u0000',
      '\r\n',
      '"',
      "'",
      '\\',
      '%s',
      '${x}',
      '',
      ' ',
      '-0',
      'NaN',
      '1e999',
      '__proto__',
      'constructor',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(10_001), 'é'.repeat(70_000), '\u0000'.repeat(5_000)) },
);

// eslint-disable-next-line no-control-regex -- U+0000 is one of the characters this filter leaves out
const UNSTORABLE_CHARACTER = /[\u0000\uD800-\uDFFF]/;

export const hostileString: fc.Arbitrary<string> = withoutInputsScope
  ? anyHostileString.filter((text) => text.length <= 200 && !UNSTORABLE_CHARACTER.test(text))
  : anyHostileString;

/** Numbers at and past every boundary: huge, tiny, negative zero, beyond 2^31 and 2^53, fractions. */
const anyHostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 5e-324, 1e21, 1e-7),
);

export const hostileNumber: fc.Arbitrary<number> = withoutInputsScope ? anyHostileNumber.filter((n) => Math.abs(n) <= 1e6) : anyHostileNumber;

/** Any JSON value, leaning on hostile strings and numbers. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), hostileString), tie('value'), { maxKeys: 4 }),
  ),
})).value;
