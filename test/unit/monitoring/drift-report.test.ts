import { DEFAULT_DRIFT_MONITORING, driftMonitoringOf, patchDriftMonitoring } from '../../../src/domain/deployments/drift-monitoring';
import { createRandom, type Random } from '../../../src/domain/random';
import { testFeatureDrift } from '../../../src/ml/drift/feature-drift';
import { computeDriftReport, windowFromColumns, windowSamples, type DriftReference } from '../../../src/services/monitoring/drift-report';

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

const NUMERIC = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
const CATEGORIES = ['a', 'b', 'c', 'd'];
const features = [
  ...NUMERIC.map((name) => ({ name, type: 'NUMERIC' as const })),
  { name: 'c0', type: 'CATEGORICAL' as const },
  { name: 'c1', type: 'CATEGORICAL' as const },
];

/** Rows as the prediction log stores them; `shifted` numeric features move by 2 std, shifted categorical ones collapse onto "a". */
const schema = { features, label: { kind: 'CLASSES' as const, column: 'y', numeric: false, classes: ['no', 'yes'] } };

function rows(count: number, seed: number, shifted: ReadonlySet<string>): { inputs: Record<string, unknown>; output: unknown }[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    const inputs: Record<string, unknown> = {};
    for (const name of NUMERIC) inputs[name] = 5 + 3 * (normal(random) + (shifted.has(name) ? 2 : 0));
    for (const name of ['c0', 'c1']) inputs[name] = shifted.has(name) && random.next() < 0.8 ? 'a' : CATEGORIES[Math.floor(random.next() * CATEGORIES.length)];
    const p = random.next();
    return { inputs, output: { label: p < 0.5 ? 'no' : 'yes', probabilities: { no: 1 - p, yes: p } } };
  });
}

function referenceOf(count: number, seed: number): DriftReference {
  const sample = windowSamples(schema, rows(count, seed, new Set()));
  return { size: count, features: sample.features, prediction: sample.prediction };
}

describe('computeDriftReport', () => {
  it('flags exactly the shifted features (large reference: normed Wasserstein and Jensen-Shannon)', () => {
    const reference = referenceOf(5000, 1);
    const shifted = new Set(['x0', 'x2', 'x4', 'c1']);
    const report = computeDriftReport(reference, windowSamples(schema, rows(2000, 2, shifted)), DEFAULT_DRIFT_MONITORING);
    expect(report.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(['x0', 'x2', 'x4', 'c1']);
    expect(report.features.map((f) => f.method)).toEqual([...NUMERIC.map(() => 'WASSERSTEIN_NORMED'), 'JENSEN_SHANNON', 'JENSEN_SHANNON']);
    // 4 of 8 features: exactly the default share 0.5, which drifts (>=).
    expect(report.driftShare).toBe(0.5);
    expect(report.drifted).toBe(true);
    for (const feature of report.features) {
      expect(feature.pValue).toBeNull();
      expect(feature.distance).toBe(feature.statistic);
      expect(feature.threshold).toBe(0.1);
      expect(feature.psi).toEqual(expect.any(Number));
    }
    // The labels are drawn alike in both samples.
    expect(report.prediction).toMatchObject({ feature: 'prediction', type: 'CATEGORICAL', method: 'JENSEN_SHANNON', drifted: false });
    expect(report.predictionDrifted).toBe(false);
  });

  it('reports each column as testFeatureDrift computes it (small reference: KS and chi-squared)', () => {
    const reference = referenceOf(800, 3);
    const window = windowSamples(schema, rows(300, 4, new Set(['x1'])));
    const report = computeDriftReport(reference, window, DEFAULT_DRIFT_MONITORING);
    report.features.forEach((entry, i) => {
      const direct = testFeatureDrift(reference.features[i], window.features[i]);
      expect(entry).toMatchObject({
        method: direct.method,
        statistic: direct.statistic,
        pValue: direct.pValue,
        distance: null,
        drifted: direct.drifted,
        psi: direct.psi,
      });
    });
    expect(report.features.find((f) => f.feature === 'x1')).toMatchObject({ method: 'KOLMOGOROV_SMIRNOV', drifted: true });
    expect(report.drifted).toBe(report.features.filter((f) => f.drifted).length >= 4);
  });

  it('represents an infinite chi-squared statistic as null with a flag, and leaves an all-missing column out of the share', () => {
    const reference = referenceOf(500, 5);
    const windowRows = rows(100, 6, new Set());
    windowRows.forEach((row, i) => {
      row.inputs.c0 = i % 2 === 0 ? 'never-seen' : 'a';
      row.inputs.x5 = null;
    });
    const report = computeDriftReport(reference, windowSamples(schema, windowRows), DEFAULT_DRIFT_MONITORING);
    const c0 = report.features.find((f) => f.feature === 'c0')!;
    expect(c0).toMatchObject({ method: 'CHI_SQUARED', statistic: null, infinite: true, pValue: 0, drifted: true });
    expect(JSON.parse(JSON.stringify(c0))).toEqual(c0);
    const x5 = report.features.find((f) => f.feature === 'x5')!;
    expect(x5).toMatchObject({ method: null, drifted: false, note: expect.stringContaining('x5') });
    const driftedCount = report.features.filter((f) => f.drifted).length;
    expect(report.driftShare).toBeCloseTo(driftedCount / 7, 12);
  });

  it('tests regression outputs as a numeric column', () => {
    const spec = { features: [{ name: 'x', type: 'NUMERIC' as const }], label: { kind: 'TARGET' as const, column: 'y', mean: 0, scale: 1 } };
    expect(
      windowSamples(spec, [
        { inputs: { x: 1 }, output: { value: 1.5 } },
        { inputs: { x: null }, output: { value: 2 } },
      ]),
    ).toEqual({
      size: 2,
      features: [{ type: 'NUMERIC', name: 'x', values: Float64Array.from([1, NaN]) }],
      prediction: { type: 'NUMERIC', name: 'prediction', values: Float64Array.from([1.5, 2]) },
    });
    expect(windowFromColumns(spec, [[3, 'not a number']], [0.5, 1])).toMatchObject({ size: 2, features: [{ values: Float64Array.from([3, NaN]) }] });
  });

  it('honours forced methods and thresholds', () => {
    const reference = referenceOf(5000, 7);
    const settings = patchDriftMonitoring(DEFAULT_DRIFT_MONITORING, {
      numericMethod: 'KOLMOGOROV_SMIRNOV',
      categoricalMethod: 'CHI_SQUARED',
      thresholds: { KOLMOGOROV_SMIRNOV: 0.01 },
    });
    const report = computeDriftReport(reference, windowSamples(schema, rows(400, 8, new Set())), settings);
    expect(report.features.map((f) => f.method)).toEqual([...NUMERIC.map(() => 'KOLMOGOROV_SMIRNOV'), 'CHI_SQUARED', 'CHI_SQUARED']);
    expect(report.features[0].threshold).toBe(0.01);
  });
});

describe('drift monitoring settings', () => {
  it('defaults: window 500, period 300 s, reference 5000, KS/chi-squared p 0.05, distances 0.1, share 0.5', () => {
    expect(driftMonitoringOf({})).toEqual({
      windowSize: 500,
      periodSeconds: 300,
      referenceSize: 5000,
      methods: { NUMERIC: null, CATEGORICAL: null },
      thresholds: { KOLMOGOROV_SMIRNOV: 0.05, WASSERSTEIN_NORMED: 0.1, CHI_SQUARED: 0.05, JENSEN_SHANNON: 0.1 },
      driftShare: 0.5,
    });
  });

  it('patches, keeps absent settings, resets nulls, and refuses bad values naming the field', () => {
    const patched = patchDriftMonitoring(driftMonitoringOf({}), { windowSize: 100, thresholds: { JENSEN_SHANNON: 0.2 } });
    expect(patched).toMatchObject({ windowSize: 100, periodSeconds: 300, thresholds: { JENSEN_SHANNON: 0.2, CHI_SQUARED: 0.05 } });
    expect(driftMonitoringOf({ drift: patched })).toEqual(patched);
    expect(patchDriftMonitoring(patched, { windowSize: null, thresholds: { JENSEN_SHANNON: null } })).toMatchObject({
      windowSize: 500,
      thresholds: { JENSEN_SHANNON: 0.1 },
    });
    expect(() => patchDriftMonitoring(patched, { windowSize: 0 })).toThrow(expect.objectContaining({ location: { field: 'input.windowSize' } }));
    expect(() => patchDriftMonitoring(patched, { numericMethod: 'CHI_SQUARED' })).toThrow(
      expect.objectContaining({ location: { field: 'input.numericMethod' } }),
    );
    expect(() => patchDriftMonitoring(patched, { thresholds: { KOLMOGOROV_SMIRNOV: 1.5 } })).toThrow(
      expect.objectContaining({ location: { field: 'input.thresholds.KOLMOGOROV_SMIRNOV' } }),
    );
    expect(() => patchDriftMonitoring(patched, { driftShare: 0 })).toThrow(expect.objectContaining({ location: { field: 'input.driftShare' } }));
  });

  it('resets every threshold with thresholds: null, and reports every bad setting at once', () => {
    const patched = patchDriftMonitoring(driftMonitoringOf({}), {
      thresholds: { JENSEN_SHANNON: 0.2, CHI_SQUARED: 0.01 },
      numericMethod: 'WASSERSTEIN_NORMED',
    });
    expect(patchDriftMonitoring(patched, { thresholds: null })).toEqual({ ...patched, thresholds: DEFAULT_DRIFT_MONITORING.thresholds });
    expect(patchDriftMonitoring(patched, { numericMethod: null }).methods).toEqual({ NUMERIC: null, CATEGORICAL: null });
    let thrown: unknown;
    try {
      patchDriftMonitoring(
        patched,
        { thresholds: { CHI_SQUARED: 1 }, driftShare: 1.5, periodSeconds: 0, referenceSize: 9, categoricalMethod: 'KOLMOGOROV_SMIRNOV' },
        'input.drift',
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'BAD_USER_INPUT',
      violations: [
        { field: 'input.drift.thresholds.CHI_SQUARED', message: 'input.drift.thresholds.CHI_SQUARED must be in (0, 1)' },
        { field: 'input.drift.driftShare', message: 'input.drift.driftShare must be in (0, 1]' },
        { field: 'input.drift.periodSeconds', message: 'input.drift.periodSeconds must be an integer from 1 to 86,400, got 0' },
        { field: 'input.drift.referenceSize', message: 'input.drift.referenceSize must be an integer from 10 to 5,000, got 9' },
        {
          field: 'input.drift.categoricalMethod',
          message: 'input.drift.categoricalMethod is for categorical features: use one of CHI_SQUARED, JENSEN_SHANNON',
        },
      ],
    });
  });
});
