import { ValidationError, Violations } from '../errors';

/** The settable part of an alert rule; omitted or null values take the defaults of the kind. */
export interface AlertRuleSettings {
  kind: 'DATA_DRIFT' | 'PREDICTION_DRIFT' | 'PERFORMANCE_DROP' | 'ERROR_RATE' | 'LATENCY' | 'RUN_FAILED';
  enabled?: boolean | null;
  severity?: 'INFO' | 'WARNING' | 'CRITICAL' | null;
  threshold?: number | null;
  windowSeconds?: number | null;
  cooldownSeconds?: number | null;
  autoResolveAfter?: number | null;
  webhookUrl?: string | null;
  webhookSecret?: string | null;
}

const MAX_SECONDS = 30 * 86_400;

/** Shortest webhook signing secret accepted; omitted secrets are generated (43 characters). */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;
/** Longest webhook signing secret accepted. */
export const MAX_WEBHOOK_SECRET_LENGTH = 512;

/** @throws ValidationError naming `field` unless `value` is an integer in [min, max]. */
export function integerIn(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${field.slice(field.lastIndexOf('.') + 1)} must be an integer from ${min} to ${max}, got ${value}`, { field });
  }
  return value;
}

/**
 * Checks a rule's settings. Thresholds by kind: ERROR_RATE a share in (0, 1]; LATENCY a p99 in ms
 * above 0; PERFORMANCE_DROP the largest tolerated drop of the primary metric, above 0. A webhook
 * secret has 32 to 512 characters (omitted, one is generated); the URL's target is checked by the
 * webhook guard. Every problem is reported: into `problems` when given, else thrown as one
 * ValidationError naming each `input.` field.
 */
export function checkAlertRuleSettings(settings: AlertRuleSettings, problems?: Violations): void {
  const { kind, threshold, windowSeconds, cooldownSeconds, autoResolveAfter, webhookUrl, webhookSecret } = settings;
  const found = problems ?? new Violations();
  if (kind === 'RUN_FAILED') found.add('RUN_FAILED alerts belong to runs, not to a deployment rule', { field: 'input.kind' });
  if (threshold != null) {
    if (!Number.isFinite(threshold) || threshold <= 0) found.add('threshold must be a number above 0', { field: 'input.threshold' });
    else if (kind === 'ERROR_RATE' && threshold > 1) found.add('an ERROR_RATE threshold is a share from 0 to 1', { field: 'input.threshold' });
  }
  if (windowSeconds != null) found.check(() => integerIn(windowSeconds, 1, MAX_SECONDS, 'input.windowSeconds'));
  if (cooldownSeconds != null) found.check(() => integerIn(cooldownSeconds, 0, MAX_SECONDS, 'input.cooldownSeconds'));
  if (autoResolveAfter != null) found.check(() => integerIn(autoResolveAfter, 1, 10_000, 'input.autoResolveAfter'));
  if (webhookSecret != null) {
    if (webhookUrl == null) found.add('a webhook secret needs a webhookUrl', { field: 'input.webhookSecret' });
    else if (webhookSecret.length < MIN_WEBHOOK_SECRET_LENGTH || webhookSecret.length > MAX_WEBHOOK_SECRET_LENGTH) {
      found.add(
        `a webhook secret has ${MIN_WEBHOOK_SECRET_LENGTH} to ${MAX_WEBHOOK_SECRET_LENGTH} characters (omit it and mlplane generates one), got ${webhookSecret.length}`,
        { field: 'input.webhookSecret' },
      );
    }
  }
  if (!problems) found.throwIfAny();
}
