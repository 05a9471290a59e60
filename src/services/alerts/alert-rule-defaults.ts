import type { AlertKind, AlertSeverity, EffectiveAlertRule } from '../../domain/alerts/alert';

export type { EffectiveAlertRule } from '../../domain/alerts/alert';

/**
 * The rule of a kind when a deployment stores none (also documented in the README):
 * - DATA_DRIFT, PREDICTION_DRIFT: WARNING; raised by drift reports (threshold unused).
 * - PERFORMANCE_DROP: CRITICAL; threshold 0.05 = the largest tolerated drop of the primary metric
 *   from the version's TEST evaluation (a floor is set with `monitoring.performanceFloor`).
 * - ERROR_RATE: CRITICAL; threshold 0.05 = share of failed predict requests over 300 s.
 * - LATENCY: WARNING; threshold 1000 = p99 prediction latency in ms over 300 s.
 * - RUN_FAILED: WARNING (opened by the run store, one per failed run).
 * Every kind: enabled, cooldown 300 s, automatic resolution after 3 clean windows, no webhook.
 */
export const DEFAULT_ALERT_RULES: Readonly<Record<AlertKind, { severity: AlertSeverity; threshold: number | null; windowSeconds: number | null }>> = {
  DATA_DRIFT: { severity: 'WARNING', threshold: null, windowSeconds: null },
  PREDICTION_DRIFT: { severity: 'WARNING', threshold: null, windowSeconds: null },
  PERFORMANCE_DROP: { severity: 'CRITICAL', threshold: 0.05, windowSeconds: null },
  ERROR_RATE: { severity: 'CRITICAL', threshold: 0.05, windowSeconds: 300 },
  LATENCY: { severity: 'WARNING', threshold: 1000, windowSeconds: 300 },
  RUN_FAILED: { severity: 'WARNING', threshold: null, windowSeconds: null },
};

export const DEFAULT_COOLDOWN_SECONDS = 300;
export const DEFAULT_AUTO_RESOLVE_AFTER = 3;

/** The default rule of `kind`. */
export function defaultAlertRule(kind: AlertKind): EffectiveAlertRule {
  const base = DEFAULT_ALERT_RULES[kind];
  return {
    id: null,
    kind,
    enabled: true,
    severity: base.severity,
    threshold: base.threshold,
    windowSeconds: base.windowSeconds,
    cooldownSeconds: DEFAULT_COOLDOWN_SECONDS,
    autoResolveAfter: DEFAULT_AUTO_RESOLVE_AFTER,
    webhookUrl: null,
    webhookSecret: null,
  };
}
