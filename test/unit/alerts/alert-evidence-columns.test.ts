import { alertDetailsOf, MalformedJsonColumnError, webhookPayloadOf } from '../../../src/infra/db/json-columns';
import { alertWebhookPayload } from '../../../src/domain/alerts/alert-webhook-payload';
import type { Alert } from '../../../src/domain/alerts/alert';

/** What a jsonb column gives back after a write: JSON text parsed again. */
const stored = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('alert evidence (Alert.details)', () => {
  it('reads each kind into its shape', () => {
    const details = { failed: 10, total: 100, rate: 0.1, threshold: 0.05, windowSeconds: 300, canaryModelVersionId: null };
    expect(alertDetailsOf('ERROR_RATE', stored(details))).toEqual({ kind: 'ERROR_RATE', details });
    const window = { count: 10, from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:01:00.000Z' };
    const version = {
      modelVersionId: 'v',
      canary: true,
      metric: 'accuracy',
      value: 0,
      baseline: 0.95,
      baselineSplit: 'TEST',
      drop: 0.95,
      floor: null,
      maxDrop: 0.1,
      window,
    };
    expect(alertDetailsOf('PERFORMANCE_DROP', stored({ versions: [version] }))).toEqual({ kind: 'PERFORMANCE_DROP', details: { versions: [version] } });
  });

  it('reads an old or malformed row field by field, with null where a field is missing or of another type, and never throws', () => {
    expect(alertDetailsOf('DATA_DRIFT', { drifted: ['a'], driftShare: 'half', windowSize: 500 })).toEqual({
      kind: 'DATA_DRIFT',
      details: { reportId: null, driftShare: null, driftedFeatures: null, windowSize: 500 },
    });
    expect(alertDetailsOf('LATENCY', 'not an object')).toEqual({
      kind: 'LATENCY',
      details: { p99Ms: null, thresholdMs: null, requests: null, windowSeconds: null },
    });
    expect(alertDetailsOf('PERFORMANCE_DROP', { versions: [7, { metric: 'r2', window: 'x' }] }).details).toEqual({
      versions: [
        expect.objectContaining({ modelVersionId: null, metric: null, window: null }),
        expect.objectContaining({ metric: 'r2', value: null, window: null }),
      ],
    });
    expect(alertDetailsOf('PREDICTION_DRIFT', { reportId: 'r', prediction: { feature: 'prediction' } }).details).toEqual({
      reportId: 'r',
      prediction: null,
      windowSize: null,
    });
    expect(alertDetailsOf('RUN_FAILED', null).details).toMatchObject({ runId: null, kind: null, error: null });
  });
});

describe('webhook bodies (AlertDelivery.payload)', () => {
  const alert: Alert = {
    id: 'a1',
    kind: 'LATENCY',
    details: { p99Ms: 1200, thresholdMs: 1000, requests: 50, windowSeconds: 300 },
    severity: 'WARNING',
    status: 'OPEN',
    dedupKey: 'latency:d1',
    title: 'slow',
    runId: null,
    deploymentId: 'd1',
    cleanWindows: 0,
    notifiedAt: null,
    occurrences: 2,
    firstSeenAt: new Date('2026-01-01T00:00:00Z'),
    lastSeenAt: new Date('2026-01-01T00:05:00Z'),
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
  };

  it('builds the body the webhook sends and reads it back as built', () => {
    const payload = alertWebhookPayload('alert.repeated', alert, { id: 'd1', name: 'api' });
    expect(stored(payload)).toEqual({
      event: 'alert.repeated',
      alert: {
        id: 'a1',
        kind: 'LATENCY',
        severity: 'WARNING',
        status: 'OPEN',
        title: 'slow',
        details: { p99Ms: 1200, thresholdMs: 1000, requests: 50, windowSeconds: 300 },
        occurrences: 2,
        firstSeenAt: '2026-01-01T00:00:00.000Z',
        lastSeenAt: '2026-01-01T00:05:00.000Z',
      },
      deployment: { id: 'd1', name: 'api' },
    });
    expect(webhookPayloadOf(stored(payload))).toEqual(payload);
  });

  it("reads the alert's evidence leniently, and names the column when the body itself is malformed", () => {
    const body = stored(alertWebhookPayload('alert.opened', alert, null)) as { alert: Record<string, unknown> };
    body.alert.details = { p99Ms: 'slow' };
    expect(webhookPayloadOf(body).alert.details).toEqual({ p99Ms: null, thresholdMs: null, requests: null, windowSeconds: null });
    body.alert.kind = 'SLOW';
    expect(() => webhookPayloadOf(body)).toThrow(new MalformedJsonColumnError('AlertDelivery.payload', 'alert.kind is string "SLOW", expected an alert kind'));
    expect(() => webhookPayloadOf([])).toThrow(MalformedJsonColumnError);
  });
});
