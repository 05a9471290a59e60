/**
 * A deployment's alerting settings, kept at the top level of `Deployment.monitoring` (the `drift`
 * key belongs to drift monitoring). Every setting has a default, so `{}` is valid:
 * - autoRollback false: a CRITICAL PERFORMANCE_DROP or ERROR_RATE alert during a canary, or within
 *   rollbackWindowSeconds after a version switch, rolls the deployment back (actor `mlplane`);
 * - rollbackWindowSeconds 3600;
 * - performanceFloor null: PERFORMANCE_DROP also fires when the primary metric (accuracy, or r2 for
 *   regression) of the newest window falls below it;
 * - performanceWindowSize 100: labelled predictions per performance window (a window that is not
 *   full yet is not judged);
 * - evaluateEveryRequests 100: serving rules (PERFORMANCE_DROP, ERROR_RATE, LATENCY) are evaluated
 *   after this many predict requests in a process, or on the first request 60 s after the last evaluation.
 */
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { integerFrom } from '../common/input-fields';

export interface AlertMonitoringSettings {
  autoRollback: boolean;
  rollbackWindowSeconds: number;
  performanceFloor: number | null;
  performanceWindowSize: number;
  evaluateEveryRequests: number;
}

/** A partial update; `null` resets a setting to its default. */
export type AlertMonitoringPatch = { [K in keyof AlertMonitoringSettings]?: AlertMonitoringSettings[K] | null };

export const DEFAULT_ALERT_MONITORING: Readonly<AlertMonitoringSettings> = Object.freeze({
  autoRollback: false,
  rollbackWindowSeconds: 3600,
  performanceFloor: null,
  performanceWindowSize: 100,
  evaluateEveryRequests: 100,
});

const MAX_WINDOW = 10_000;

/** The stored settings with defaults filled in; malformed values fall back to defaults. */
export function alertMonitoringOf(monitoring: unknown): AlertMonitoringSettings {
  const stored = (typeof monitoring === 'object' && monitoring !== null ? monitoring : {}) as Record<string, unknown>;
  const d = DEFAULT_ALERT_MONITORING;
  const positiveInt = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback);
  return {
    autoRollback: typeof stored.autoRollback === 'boolean' ? stored.autoRollback : d.autoRollback,
    rollbackWindowSeconds: positiveInt(stored.rollbackWindowSeconds, d.rollbackWindowSeconds),
    performanceFloor: typeof stored.performanceFloor === 'number' && Number.isFinite(stored.performanceFloor) ? stored.performanceFloor : d.performanceFloor,
    performanceWindowSize: positiveInt(stored.performanceWindowSize, d.performanceWindowSize),
    evaluateEveryRequests: positiveInt(stored.evaluateEveryRequests, d.evaluateEveryRequests),
  };
}

/** The shape of a patch of the alerting settings (`null` resets a setting). */
export const alertMonitoringPatchSchema = z.object({
  autoRollback: z.boolean().nullish(),
  rollbackWindowSeconds: integerFrom(1, 30 * 86_400).nullish(),
  performanceFloor: z.number({ error: 'must be a finite number' }).nullish(),
  performanceWindowSize: integerFrom(1, MAX_WINDOW).nullish(),
  evaluateEveryRequests: integerFrom(1, 1_000_000).nullish(),
});

/**
 * Checks a patch ({@link alertMonitoringPatchSchema}) and returns the JSON keys to merge into
 * `Deployment.monitoring` (null = remove the key, i.e. back to the default).
 * @throws ValidationError listing every `input.` field at fault.
 */
export function checkAlertMonitoringPatch(patch: AlertMonitoringPatch): Record<string, unknown> {
  const checked = parseInput(alertMonitoringPatchSchema, patch, 'input');
  const settings: [string, unknown][] = Object.entries(checked);
  return Object.fromEntries(settings.filter(([, value]) => value !== undefined));
}
