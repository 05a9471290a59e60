/**
 * Alerts, their rules and their webhook deliveries as the services and resolvers see them: plain
 * types, with no database type in them. `alert-repository.ts` reads and writes them (the only code
 * that touches the `alerts`, `alert_rules` and `alert_deliveries` tables) and maps rows to these.
 */
import type { AlertKindAndDetails } from './alert-details';
import type { AlertWebhookPayload } from './alert-webhook-payload';

/** What an alert is about: RUN_FAILED alerts belong to runs, the others to deployments. */
export type AlertKind = 'DATA_DRIFT' | 'PREDICTION_DRIFT' | 'PERFORMANCE_DROP' | 'ERROR_RATE' | 'LATENCY' | 'RUN_FAILED';

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

/** OPEN -> ACKNOWLEDGED -> RESOLVED (OPEN may resolve directly). */
export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';

export type AlertDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** An alert's fields but its kind and evidence (see {@link Alert}). */
export interface AlertFields {
  id: string;
  severity: AlertSeverity;
  status: AlertStatus;
  dedupKey: string;
  title: string;
  /** The failed run of a RUN_FAILED alert. */
  runId: string | null;
  deploymentId: string | null;
  /** Clean windows in a row while open. */
  cleanWindows: number;
  /** The last notification (opened, or repeated past the rule's cooldown). */
  notifiedAt: Date | null;
  occurrences: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

/**
 * Something that needs attention; one OPEN or ACKNOWLEDGED alert per `dedupKey`, repeats count
 * occurrences. `details`, the evidence of the latest occurrence, has the shape of its `kind`
 * (`alert.kind === 'LATENCY'` narrows it to `LatencyAlertDetails`).
 */
export type Alert = AlertFields & AlertKindAndDetails;

/** The settings of one alert rule, whether stored or defaulted. */
export interface EffectiveAlertRule {
  /** The stored rule's id; null when the defaults apply. */
  id: string | null;
  kind: AlertKind;
  enabled: boolean;
  severity: AlertSeverity;
  threshold: number | null;
  windowSeconds: number | null;
  cooldownSeconds: number;
  autoResolveAfter: number;
  webhookUrl: string | null;
  webhookSecret: string | null;
}

/** A deployment's stored rule of one kind. */
export interface AlertRule extends EffectiveAlertRule {
  id: string;
  deploymentId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The settings a stored rule is written with (every one given: defaults are filled in before). */
export type AlertRuleValues = Omit<EffectiveAlertRule, 'id' | 'kind'>;

/** One webhook notification of an alert and its attempts. */
export interface AlertDelivery {
  id: string;
  alertId: string;
  /** The rule whose webhook it goes to; null once that rule is deleted. */
  ruleId: string | null;
  url: string;
  /** The JSON body sent, as read back. */
  payload: AlertWebhookPayload;
  /** The exact text sent and signed: the stored body serialized (jsonb keeps keys in its own order). */
  body: string;
  /** `sha256=<hex HMAC of the body>`, sent as X-Mlplane-Signature. */
  signature: string;
  status: AlertDeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  /** How long the last attempt waited for the answer's status (ms). */
  lastDurationMs: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}
