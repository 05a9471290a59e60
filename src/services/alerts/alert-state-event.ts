/**
 * What an `alertRaised` / `alertUpdated` event carries: the fields subscription filters match on
 * (deployment name, kind, severity) and the alert's state as the change left it, so a subscriber
 * sees that state (the occurrence count, status and acknowledgement of that event) however late it
 * is delivered. A RESOLVED alert never changes again, so its row is its state. `details` (the
 * evidence of the latest occurrence) travels when its JSON fits in {@link MAX_EVENT_DETAILS_BYTES};
 * larger evidence is read when the event is delivered.
 */
import type { Alert } from '../../domain/alerts/alert';
import { alertDetailsOf } from '../../infra/db/json-columns';

/** NOTIFY payloads must stay under 8,000 bytes: the evidence gets at most this much of them. */
export const MAX_EVENT_DETAILS_BYTES = 4_000;

export interface AlertEventPayload {
  id: string;
  deploymentId: string | null;
  deployment: string | null;
  kind: Alert['kind'];
  severity: Alert['severity'];
  status: Alert['status'];
  occurrences: number;
  cleanWindows: number;
  lastSeenAt: string;
  notifiedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** Absent when its JSON is over {@link MAX_EVENT_DETAILS_BYTES}; read by the alert's kind as the stored column is. */
  details?: unknown;
}

export function alertEventPayload(alert: Alert, deploymentName: string | null): AlertEventPayload {
  const detailsBytes = Buffer.byteLength(JSON.stringify(alert.details));
  return {
    id: alert.id,
    deploymentId: alert.deploymentId,
    deployment: deploymentName,
    kind: alert.kind,
    severity: alert.severity,
    status: alert.status,
    occurrences: alert.occurrences,
    cleanWindows: alert.cleanWindows,
    lastSeenAt: alert.lastSeenAt.toISOString(),
    notifiedAt: alert.notifiedAt?.toISOString() ?? null,
    acknowledgedAt: alert.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: alert.acknowledgedBy,
    ...(detailsBytes <= MAX_EVENT_DETAILS_BYTES ? { details: alert.details } : {}),
  };
}

/** An alert row as an event describes it: the event's state over the row read later. */
export function alertAsOfEvent(row: Alert, event: AlertEventPayload): Alert {
  if (event.status === 'RESOLVED' && row.status === 'RESOLVED') return row;
  // An event from a process older than this payload: only its status and severity are known.
  if (typeof event.occurrences !== 'number') return { ...row, status: event.status, severity: event.severity };
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return {
    ...row,
    severity: event.severity,
    status: event.status,
    occurrences: event.occurrences,
    cleanWindows: event.cleanWindows,
    lastSeenAt: new Date(event.lastSeenAt),
    notifiedAt: date(event.notifiedAt),
    acknowledgedAt: date(event.acknowledgedAt),
    acknowledgedBy: event.acknowledgedBy,
    ...('details' in event ? alertDetailsOf(row.kind, event.details) : {}),
    // Set only by resolving: an event before that saw none of them.
    ...(event.status === 'RESOLVED' ? {} : { resolvedAt: null, resolvedBy: null, resolutionNote: null }),
  };
}
