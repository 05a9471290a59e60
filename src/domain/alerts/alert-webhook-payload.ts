/**
 * The JSON body of an alert's webhook notification. The alert service builds it with
 * {@link alertWebhookPayload} when it queues a delivery; the delivery stores it, signs and sends it
 * as stored, and `AlertDelivery.payload` reads it back (`webhookPayloadOf` in
 * `src/infra/db/json-columns.ts`).
 */
import type { Alert, AlertSeverity, AlertStatus } from './alert';
import type { AlertKindAndDetails } from './alert-details';

/** Why the webhook was sent: the alert opened, or repeated past its rule's cooldown. */
export type AlertWebhookEvent = 'alert.opened' | 'alert.repeated';

/** The alert as the body describes it (times as ISO 8601 text). */
export type AlertWebhookAlert = {
  id: string;
  severity: AlertSeverity;
  status: AlertStatus;
  title: string;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
} & AlertKindAndDetails;

/** The deployment the alert is about. */
export interface AlertWebhookDeployment {
  id: string;
  name: string;
}

export interface AlertWebhookPayload {
  event: AlertWebhookEvent;
  alert: AlertWebhookAlert;
  /** Null for an alert of no deployment (or of one deleted since). */
  deployment: AlertWebhookDeployment | null;
}

/** The body of the webhook that notifies `event` of `alert`. */
export function alertWebhookPayload(event: AlertWebhookEvent, alert: Alert, deployment: AlertWebhookDeployment | null): AlertWebhookPayload {
  const { id, severity, status, title, occurrences } = alert;
  return {
    event,
    alert: {
      id,
      severity,
      status,
      title,
      occurrences,
      firstSeenAt: alert.firstSeenAt.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      ...kindAndDetails(alert),
    },
    deployment,
  };
}

/** The kind and evidence of an alert, without its other fields (a switch, so that each kind keeps its evidence's type). */
function kindAndDetails(alert: AlertKindAndDetails): AlertKindAndDetails {
  switch (alert.kind) {
    case 'DATA_DRIFT':
      return { kind: alert.kind, details: alert.details };
    case 'PREDICTION_DRIFT':
      return { kind: alert.kind, details: alert.details };
    case 'PERFORMANCE_DROP':
      return { kind: alert.kind, details: alert.details };
    case 'ERROR_RATE':
      return { kind: alert.kind, details: alert.details };
    case 'LATENCY':
      return { kind: alert.kind, details: alert.details };
    case 'RUN_FAILED':
      return { kind: alert.kind, details: alert.details };
  }
}
