import { DEFAULT_DRIFT_MONITORING, type DriftMonitoringSettings } from '../../../src/domain/deployments/drift-monitoring';
import { createRandom, type Random } from '../../../src/domain/random';
import type { FeatureSample } from '../../../src/ml/drift/feature-drift';
import { computeDriftReport, windowSamples, type DriftReference, type DriftWindow } from '../../../src/services/monitoring/drift-report';
import { INLINE_DRIFT_ROWS, testWindowOffThread } from '../../../src/services/monitoring/drift-threads';

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

const SIZE = INLINE_DRIFT_ROWS + 1_000;

/** The statistics of a window above the threshold run on a worker thread and give what they give inline. */
describe('testWindowOffThread', () => {
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
      const threaded = await testWindowOffThread(reference, window, DEFAULT_DRIFT_MONITORING);
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
    expect(await testWindowOffThread(reference, { features: reference.features, prediction: reference.prediction }, DEFAULT_DRIFT_MONITORING)).toEqual(inline);
    expect(reference.features.map((sample) => arrayOf(sample).length)).toEqual(reference.features.map(() => SIZE));
  }, 60_000);

  it('tests a window under the threshold inline, and any window on the thread when told', async () => {
    const reference = referenceOf(500, 4);
    const small = windowSamples(schema, rows(200, 5, new Set()));
    const inline = computeDriftReport(reference, small, DEFAULT_DRIFT_MONITORING);
    expect(await testWindowOffThread(reference, small, DEFAULT_DRIFT_MONITORING)).toEqual(inline);
    expect(arrayOf(small.features[0]).length).toBe(200);
    expect(await testWindowOffThread(reference, small, DEFAULT_DRIFT_MONITORING, 0)).toEqual(inline);
    expect(arrayOf(small.features[0]).length).toBe(0);
  }, 60_000);

  it('rejects with the message of an error thrown on the thread', async () => {
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
    await expect(testWindowOffThread(reference, window, settings)).rejects.toThrow(message);
  }, 60_000);
});
