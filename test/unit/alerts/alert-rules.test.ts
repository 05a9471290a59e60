import { alertMonitoringOf, checkAlertMonitoringPatch, DEFAULT_ALERT_MONITORING } from '../../../src/domain/alerts/alert-monitoring';
import { checkAlertRuleSettings } from '../../../src/domain/alerts/alert-rule-input';
import { resolutionNoteSchema } from '../../../src/domain/alerts/resolution-note';
import { parseInput } from '../../../src/domain/common/input-schema';
import { RequestOutcomes } from '../../../src/domain/alerts/request-outcomes';
import { ValidationError } from '../../../src/domain/errors';
import { validationErrorOf } from '../../support/validation-error';
import { alertDedupKey, signWebhookBody } from '../../../src/services/alerts/alert.service';

const refusal = validationErrorOf;

describe('request outcomes', () => {
  it('counts failures per window to the second and forgets what is older than a day', () => {
    const outcomes = new RequestOutcomes();
    const t0 = 1_000_000_000;
    // Second 0: 3 ok, 1 failed; second 10: 1 failed; second 59: 5 ok.
    for (const ok of [true, true, true, false]) outcomes.record(ok, t0);
    outcomes.record(false, t0 + 10_500);
    for (let i = 0; i < 5; i++) outcomes.record(true, t0 + 59_999);
    expect(outcomes.counts(60, t0 + 59_999)).toEqual({ total: 10, failed: 2, rate: 0.2 });
    // A 50 s window ending in second 59 covers seconds 10..59.
    expect(outcomes.counts(50, t0 + 59_999)).toEqual({ total: 6, failed: 1, rate: 1 / 6 });
    expect(outcomes.counts(1, t0 + 120_000)).toEqual({ total: 0, failed: 0, rate: null });
    // A day and 30 s later, seconds 0 and 10 are gone (even from a longer window); second 59 stays.
    outcomes.record(true, t0 + 86_430_000);
    expect(outcomes.counts(200_000, t0 + 86_430_000)).toEqual({ total: 6, failed: 0, rate: 0 });
  });
});

describe('alerting settings', () => {
  it('fills defaults, ignores malformed values and the drift key', () => {
    expect(alertMonitoringOf({})).toEqual(DEFAULT_ALERT_MONITORING);
    expect(alertMonitoringOf(null)).toEqual(DEFAULT_ALERT_MONITORING);
    expect(
      alertMonitoringOf({ drift: { windowSize: 5 }, autoRollback: true, rollbackWindowSeconds: -1, performanceFloor: 0.8, performanceWindowSize: 2.5 }),
    ).toEqual({
      ...DEFAULT_ALERT_MONITORING,
      autoRollback: true,
      performanceFloor: 0.8,
    });
  });

  it('checks a patch and marks reset keys with null', () => {
    expect(checkAlertMonitoringPatch({ autoRollback: true, rollbackWindowSeconds: null, performanceFloor: 0.9 })).toEqual({
      autoRollback: true,
      rollbackWindowSeconds: null,
      performanceFloor: 0.9,
    });
    expect(() => checkAlertMonitoringPatch({ performanceWindowSize: 0 })).toThrow(ValidationError);
    expect(() => checkAlertMonitoringPatch({ evaluateEveryRequests: 1.5 })).toThrow(
      expect.objectContaining({ location: { field: 'input.evaluateEveryRequests' } }),
    );
    expect(() => checkAlertMonitoringPatch({ performanceFloor: Number.NaN })).toThrow(ValidationError);
  });
});

describe('alert rule settings', () => {
  it.each([
    [{ kind: 'ERROR_RATE', threshold: 0 }, 'input.threshold'],
    [{ kind: 'ERROR_RATE', threshold: 1.01 }, 'input.threshold'],
    [{ kind: 'LATENCY', windowSeconds: 0 }, 'input.windowSeconds'],
    [{ kind: 'LATENCY', cooldownSeconds: -1 }, 'input.cooldownSeconds'],
    [{ kind: 'DATA_DRIFT', autoResolveAfter: 0 }, 'input.autoResolveAfter'],
    [{ kind: 'DATA_DRIFT', webhookUrl: 'https://example.test/hook', webhookSecret: 'k' }, 'input.webhookSecret'],
    [{ kind: 'DATA_DRIFT', webhookUrl: 'https://example.test/hook', webhookSecret: 'x'.repeat(31) }, 'input.webhookSecret'],
    [{ kind: 'DATA_DRIFT', webhookUrl: 'https://example.test/hook', webhookSecret: 'x'.repeat(513) }, 'input.webhookSecret'],
    [{ kind: 'DATA_DRIFT', webhookSecret: 'x'.repeat(32) }, 'input.webhookSecret'],
    [{ kind: 'RUN_FAILED' }, 'input.kind'],
  ] as const)('refuses %j at %s', (settings, field) => {
    expect(() => checkAlertRuleSettings(settings)).toThrow(expect.objectContaining({ location: { field } }));
  });

  it('accepts a full rule', () => {
    expect(() =>
      checkAlertRuleSettings({
        kind: 'LATENCY',
        threshold: 1500,
        windowSeconds: 60,
        cooldownSeconds: 0,
        autoResolveAfter: 1,
        webhookUrl: 'https://example.test/hook',
        webhookSecret: 'x'.repeat(32),
      }),
    ).not.toThrow();
    expect(() => checkAlertRuleSettings({ kind: 'LATENCY', webhookUrl: 'https://example.test/hook' })).not.toThrow();
  });
});

describe('webhook signature and dedup key', () => {
  it('signs with HMAC-SHA256 as in RFC 4231 test case 2', () => {
    expect(signWebhookBody('what do ya want for nothing?', 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('keys a deployment alert by kind and deployment', () => {
    expect(alertDedupKey('DATA_DRIFT', 'd1')).toBe('data_drift:d1');
  });

  it('reports every problem of the settings at once, each message naming its field', () => {
    const error = refusal(() =>
      checkAlertRuleSettings({ kind: 'RUN_FAILED', threshold: -1, windowSeconds: 0, cooldownSeconds: 1.5, autoResolveAfter: 10_001, webhookSecret: 'k' }),
    );
    expect(error.violations).toEqual([
      { field: 'input.kind', message: 'input.kind must be a deployment rule kind: RUN_FAILED alerts belong to runs, not to a deployment rule' },
      { field: 'input.threshold', message: 'input.threshold must be a number above 0' },
      { field: 'input.windowSeconds', message: 'input.windowSeconds must be an integer from 1 to 2,592,000, got 0' },
      { field: 'input.cooldownSeconds', message: 'input.cooldownSeconds must be an integer from 0 to 2,592,000, got 1.5' },
      { field: 'input.autoResolveAfter', message: 'input.autoResolveAfter must be an integer from 1 to 10,000, got 10001' },
      { field: 'input.webhookSecret', message: 'input.webhookSecret must have 32 to 512 characters (omit it and mlplane generates one)' },
      { field: 'input.webhookSecret', message: 'input.webhookSecret needs a webhookUrl: the secret signs its deliveries' },
    ]);
    expect(refusal(() => checkAlertRuleSettings({ kind: 'ERROR_RATE', threshold: 1.5 })).violations).toEqual([
      { field: 'input.threshold', message: 'input.threshold must be a share above 0 and at most 1 for an ERROR_RATE rule' },
    ]);
  });

  it('reports every problem of an alerting settings patch at once', () => {
    expect(
      refusal(() => checkAlertMonitoringPatch({ rollbackWindowSeconds: 0, performanceFloor: Number.POSITIVE_INFINITY, evaluateEveryRequests: 2.5 })).violations,
    ).toEqual([
      { field: 'input.rollbackWindowSeconds', message: 'input.rollbackWindowSeconds must be an integer from 1 to 2,592,000, got 0' },
      { field: 'input.performanceFloor', message: 'input.performanceFloor must be a finite number' },
      { field: 'input.evaluateEveryRequests', message: 'input.evaluateEveryRequests must be an integer from 1 to 1,000,000, got 2.5' },
    ]);
  });

  it('trims a resolution note, reads a blank one as none, and refuses one over 2,000 characters', () => {
    expect(parseInput(resolutionNoteSchema, '  fixed upstream  ', 'input.note')).toBe('fixed upstream');
    expect(parseInput(resolutionNoteSchema, '   ', 'input.note')).toBeNull();
    expect(parseInput(resolutionNoteSchema, undefined, 'input.note')).toBeNull();
    expect(refusal(() => parseInput(resolutionNoteSchema, 'n'.repeat(2_001), 'input.note')).violations).toEqual([
      { field: 'input.note', message: 'input.note is longer than 2,000 characters' },
    ]);
  });
});
