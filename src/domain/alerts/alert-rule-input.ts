import { z } from 'zod';
import { collectInput } from '../common/input-schema';
import { formatLimit, integerFrom } from '../common/input-fields';
import { Violations } from '../errors';
import type { AlertKind } from './alert';

/** The settable part of an alert rule; omitted or null values take the defaults of the kind. */
export interface AlertRuleSettings {
  kind: AlertKind;
  enabled?: boolean | null;
  severity?: 'INFO' | 'WARNING' | 'CRITICAL' | null;
  threshold?: number | null;
  windowSeconds?: number | null;
  cooldownSeconds?: number | null;
  autoResolveAfter?: number | null;
  webhookUrl?: string | null;
  webhookSecret?: string | null;
}

/** The kinds a deployment's rules may have (RUN_FAILED alerts are raised for runs). */
export const DEPLOYMENT_RULE_KINDS = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'PERFORMANCE_DROP', 'ERROR_RATE', 'LATENCY'] as const;

const MAX_SECONDS = 30 * 86_400;

/** Shortest webhook signing secret accepted; omitted secrets are generated (43 characters). */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;
/** Longest webhook signing secret accepted. */
export const MAX_WEBHOOK_SECRET_LENGTH = 512;

/** A rule's threshold: ERROR_RATE a share in (0, 1]; LATENCY a p99 in ms above 0; PERFORMANCE_DROP the largest tolerated drop of the primary metric, above 0. */
function thresholdSchema(kind: AlertKind): z.ZodNumber {
  if (kind === 'ERROR_RATE') {
    const error = 'must be a share above 0 and at most 1 for an ERROR_RATE rule';
    return z.number({ error }).gt(0, { error }).max(1, { error });
  }
  const error = 'must be a number above 0';
  return z.number({ error }).gt(0, { error });
}

const webhookSecretError = `must have ${MIN_WEBHOOK_SECRET_LENGTH} to ${formatLimit(MAX_WEBHOOK_SECRET_LENGTH)} characters (omit it and mlplane generates one)`;

/**
 * The shape of a rule's settings for `kind` (the threshold's range depends on it). The webhook
 * URL is checked by the webhook guard, which also resolves its host.
 */
export function alertRuleSettingsSchema(kind: AlertKind) {
  return z.object({
    kind: z.enum(DEPLOYMENT_RULE_KINDS, { error: 'must be a deployment rule kind: RUN_FAILED alerts belong to runs, not to a deployment rule' }),
    threshold: thresholdSchema(kind).nullish(),
    windowSeconds: integerFrom(1, MAX_SECONDS).nullish(),
    cooldownSeconds: integerFrom(0, MAX_SECONDS).nullish(),
    autoResolveAfter: integerFrom(1, 10_000).nullish(),
    webhookSecret: z
      .string()
      .min(MIN_WEBHOOK_SECRET_LENGTH, { error: webhookSecretError })
      .max(MAX_WEBHOOK_SECRET_LENGTH, { error: webhookSecretError })
      .nullish(),
  });
}

/**
 * Checks a rule's settings ({@link alertRuleSettingsSchema}); a webhook secret also needs a
 * webhook URL. Every problem is reported: into `problems` when given, else thrown as one
 * ValidationError naming each `input.` field.
 */
export function checkAlertRuleSettings(settings: AlertRuleSettings, problems?: Violations): void {
  const found = problems ?? new Violations();
  collectInput(alertRuleSettingsSchema(settings.kind), settings, 'input', found);
  if (settings.webhookSecret != null && settings.webhookUrl == null) {
    found.add('input.webhookSecret needs a webhookUrl: the secret signs its deliveries', { field: 'input.webhookSecret' });
  }
  if (!problems) found.throwIfAny();
}
