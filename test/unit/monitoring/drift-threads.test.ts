import { DEFAULT_DRIFT_MONITORING, type DriftMonitoringSettings } from '../../../src/domain/deployments/drift-monitoring';
import { createRandom, type Random } from '../../../src/domain/random';
import type { FeatureSample } from '../../../src/ml/drift/feature-drift';
import { computeDriftReport, windowSamples, type DriftReference, type DriftWindow } from '../../../src/services/monitoring/drift-report';
import { DriftThread } from '../../../src/services/monitoring/drift-threads';
import { startTestChild } from '../../support/child-process';
import { waitFor } from '../../support/wait-for';

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

const NUMERIC = ['x0', 'x1', 'x2', 'x3'];
const CATEGORIES = ['a', 'b', 'c', 'd'];
const schema = {
  features: [
    ...NUMERIC.map((name) => ({ name, type: 'NUMERIC' as const })),
    { name: 'c0', type: 'CATEGORICAL' as const },
    { name: 'c1', type: 'CATEGORICAL' as const },
  ],
  label: { kind: 'CLASSES' as const, column: 'y', numeric: false, classes: ['no', 'yes'] },
};

/** Rows as the prediction log stores them (a tenth of x3 missing); `shifted` numeric features move by 0.3 std, shifted categorical ones lean onto "a". */
function rows(count: number, seed: number, shifted: ReadonlySet<string>): { inputs: Record<string, unknown>; output: unknown }[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    const inputs: Record<string, unknown> = {};
    for (const name of NUMERIC) inputs[name] = 5 + 3 * (normal(random) + (shifted.has(name) ? 0.3 : 0));
    if (random.next() < 0.1) inputs.x3 = null;
    for (const name of ['c0', 'c1']) inputs[name] = shifted.has(name) && random.next() < 0.3 ? 'a' : CATEGORIES[Math.floor(random.next() * CATEGORIES.length)];
    const p = random.next();
    return { inputs, output: { label: p < 0.5 ? 'no' : 'yes', probabilities: { no: 1 - p, yes: p } } };
  });
}

function referenceOf(count: number, seed: number): DriftReference {
  const sample = windowSamples(schema, rows(count, seed, new Set()));
  return { size: count, features: sample.features, prediction: sample.prediction };
}

function arrayOf(sample: FeatureSample): ArrayLike<number> {
  return sample.type === 'NUMERIC' ? sample.values : sample.codes;
}

const SIZE = 6_000;

/** The statistics of a window run on the long-lived drift thread and give what they give inline. */
describe('DriftThread', () => {
  let thread: DriftThread;
  beforeEach(() => {
    thread = new DriftThread();
  });
  afterEach(async () => {
    await thread.close();
    expect(thread.stats().running).toBe(false);
  });

  it.each([
    ['a small reference (KS with exact p-values, chi-squared)', 800],
    ['a large reference (normed Wasserstein, Jensen-Shannon)', 5_000],
  ])(
    'equals the inline report, with %s',
    async (_, referenceRows) => {
      const reference = referenceOf(referenceRows, 1);
      const windowRows = rows(SIZE, 2, new Set(['x0', 'x2', 'c1']));
      const inline = computeDriftReport(reference, windowSamples(schema, windowRows), DEFAULT_DRIFT_MONITORING);
      const window: DriftWindow = windowSamples(schema, windowRows);
      const threaded = await thread.test('v:ref', reference, window, DEFAULT_DRIFT_MONITORING);
      expect(threaded).toEqual(inline);
      expect(threaded.features.some((entry) => entry.drifted)).toBe(true);
      // The window's arrays were moved to the thread; the (cached) reference's were copied, never detached.
      expect(window.features.map((sample) => arrayOf(sample).length)).toEqual(window.features.map(() => 0));
      expect(reference.features.map((sample) => arrayOf(sample).length)).toEqual(reference.features.map(() => referenceRows));
      expect(arrayOf(reference.prediction).length).toBe(referenceRows);
    },
    60_000,
  );

  it('copies arrays the window shares with the reference instead of detaching them', async () => {
    const reference = referenceOf(SIZE, 3);
    const inline = computeDriftReport(reference, reference, DEFAULT_DRIFT_MONITORING);
    expect(await thread.test('v:shared', reference, { features: reference.features, prediction: reference.prediction }, DEFAULT_DRIFT_MONITORING)).toEqual(
      inline,
    );
    expect(reference.features.map((sample) => arrayOf(sample).length)).toEqual(reference.features.map(() => SIZE));
  }, 60_000);

  it('sends a reference once per key, keeps one thread, and answers concurrent requests in order', async () => {
    const [first, second] = [referenceOf(500, 4), referenceOf(700, 5)];
    const windows = [1, 2, 3, 4].map((seed) => rows(200 + seed, 10 + seed, seed % 2 ? new Set(['x1']) : new Set()));
    const references = [first, second, first, second];
    const inline = windows.map((window, i) => computeDriftReport(references[i], windowSamples(schema, window), DEFAULT_DRIFT_MONITORING));
    const threaded = await Promise.all(
      windows.map((window, i) => thread.test(i % 2 ? 'v2:700' : 'v1:500', references[i], windowSamples(schema, window), DEFAULT_DRIFT_MONITORING)),
    );
    expect(threaded).toEqual(inline);
    expect(await thread.test('v1:500', first, windowSamples(schema, windows[0]), DEFAULT_DRIFT_MONITORING)).toEqual(inline[0]);
    expect(thread.stats()).toMatchObject({ threadsStarted: 1, referencesSent: 2, requests: 5, queued: 0, running: true, heldKeys: ['v2:700', 'v1:500'] });
    // Another object under a held key (a reloaded reference) is sent again.
    const reloaded = referenceOf(500, 4);
    expect(await thread.test('v1:500', reloaded, windowSamples(schema, windows[0]), DEFAULT_DRIFT_MONITORING)).toEqual(inline[0]);
    expect(thread.stats().referencesSent).toBe(3);
  }, 60_000);

  it('drops the least recently used reference beyond its bound, and sends it again when needed', async () => {
    const small = new DriftThread({ references: 2 });
    try {
      const references = [referenceOf(300, 20), referenceOf(300, 21), referenceOf(300, 22)];
      const window = () => windowSamples(schema, rows(100, 23, new Set()));
      for (const [i, key] of ['a', 'b', 'c', 'a'].entries()) {
        const reference = references[i % 3];
        expect(await small.test(key, reference, window(), DEFAULT_DRIFT_MONITORING)).toEqual(computeDriftReport(reference, window(), DEFAULT_DRIFT_MONITORING));
      }
      expect(small.stats()).toMatchObject({ referencesSent: 4, heldKeys: ['c', 'a'] });
      expect(await small.test('c', references[2], window(), DEFAULT_DRIFT_MONITORING)).toEqual(
        computeDriftReport(references[2], window(), DEFAULT_DRIFT_MONITORING),
      );
      expect(small.stats().referencesSent).toBe(4);
    } finally {
      await small.close();
    }
  }, 60_000);

  it('replaces a thread killed between reports, sending the reference again, with the same numbers', async () => {
    const reference = referenceOf(800, 6);
    const windowRows = rows(300, 7, new Set(['x0']));
    const inline = computeDriftReport(reference, windowSamples(schema, windowRows), DEFAULT_DRIFT_MONITORING);
    expect(await thread.test('v:800', reference, windowSamples(schema, windowRows), DEFAULT_DRIFT_MONITORING)).toEqual(inline);
    await thread.kill();
    expect(thread.stats()).toMatchObject({ running: false, heldKeys: [] });
    expect(await thread.test('v:800', reference, windowSamples(schema, windowRows), DEFAULT_DRIFT_MONITORING)).toEqual(inline);
    expect(thread.stats()).toMatchObject({ threadsStarted: 2, referencesSent: 2, running: true });
  }, 60_000);

  it('rejects the requests waiting on a thread that dies, with why', async () => {
    const reference = referenceOf(800, 8);
    const waiting = [1, 2].map((seed) => thread.test('v:800', reference, windowSamples(schema, rows(SIZE, seed, new Set())), DEFAULT_DRIFT_MONITORING));
    const outcomes = waiting.map((request) =>
      request.then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      ),
    );
    await thread.kill();
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toMatch(/^the drift thread exited with code \d+ before answering$/);
    expect(thread.stats()).toMatchObject({ queued: 0, running: false });
  }, 60_000);

  it('rejects requests beyond its queue bound, and those waiting when closed', async () => {
    const bounded = new DriftThread({ maxQueued: 2 });
    const reference = referenceOf(500, 9);
    const waiting = [1, 2].map((seed) => bounded.test('k', reference, windowSamples(schema, rows(SIZE, seed, new Set())), DEFAULT_DRIFT_MONITORING));
    await expect(bounded.test('k', reference, windowSamples(schema, rows(10, 3, new Set())), DEFAULT_DRIFT_MONITORING)).rejects.toThrow(
      'the drift thread has 2 windows queued (at most 2); this window is not tested',
    );
    const outcomes = waiting.map((request) =>
      request.then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      ),
    );
    await bounded.close();
    expect(await Promise.all(outcomes)).toEqual(waiting.map(() => 'the drift thread was closed before answering'));
    expect(bounded.stats()).toMatchObject({ queued: 0, running: false });
  }, 60_000);

  it('rejects with the message of an error thrown on the thread, and keeps serving', async () => {
    const reference = referenceOf(500, 6);
    const settings = { ...DEFAULT_DRIFT_MONITORING, methods: undefined } as unknown as DriftMonitoringSettings;
    const window = windowSamples(schema, rows(SIZE, 7, new Set()));
    let message = '';
    try {
      computeDriftReport(reference, window, settings);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/undefined/);
    await expect(thread.test('k', reference, window, settings)).rejects.toThrow(message);
    const next = windowSamples(schema, rows(100, 8, new Set()));
    const inline = computeDriftReport(reference, next, DEFAULT_DRIFT_MONITORING);
    expect(await thread.test('k', reference, next, DEFAULT_DRIFT_MONITORING)).toEqual(inline);
    expect(thread.stats()).toMatchObject({ threadsStarted: 1, referencesSent: 1 });
  }, 60_000);
});

describe('an idle drift thread', () => {
  it('does not keep its process alive: a process that never closes it exits once the thread has answered', async () => {
    const child = startTestChild('drift-thread-idle-child.ts', {});
    const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
    try {
      await child.waitForOutput(/answered \d+\n/, 60_000);
      // Exiting is the event waited for; the bound only turns a hang into a failure.
      await waitFor(() => !child.alive(), 30_000, 50);
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  }, 120_000);
});
