/**
 * What a `runUpdated` event carries: the run's state at the moment of the change, so a subscriber
 * sees that state (QUEUED once, RUNNING once, ...) however late the event is delivered, and filters
 * on it. The fields are those a status change (or a cancel request) sets; what never changes after
 * creation is read from the run. A run's summary is sent while it is not final (a trial's
 * `{ trialNumber, params }`, small); a final run never changes again, so its row is its state.
 */
import { isTerminal, type RunStatus } from '../../domain/runs/run-status';

/** The columns a status change or a cancel request sets. */
export interface RunState {
  id: string;
  status: RunStatus;
  cancelRequested: boolean;
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  summary: Record<string, unknown> | null;
}

/** The JSON payload of a `runUpdated` event. */
export interface RunUpdatedPayload {
  id: string;
  status: RunStatus;
  cancelRequested: boolean;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Present while the run is not final. */
  summary?: unknown;
}

export function runUpdatedPayload(state: RunState): RunUpdatedPayload {
  return {
    id: state.id,
    status: state.status,
    cancelRequested: state.cancelRequested,
    attempts: state.attempts,
    startedAt: state.startedAt?.toISOString() ?? null,
    finishedAt: state.finishedAt?.toISOString() ?? null,
    ...(isTerminal(state.status) ? {} : { summary: state.summary ?? null }),
  };
}

/** Whether a `runUpdated` payload names a run and a status (every version of the payload does). */
export function isRunUpdatedPayload(value: unknown): value is RunUpdatedPayload {
  const candidate = value as Partial<RunUpdatedPayload> | null;
  return typeof candidate?.id === 'string' && typeof candidate.status === 'string';
}

/** A run row as a `runUpdated` event describes it: the event's state over the row read later. */
export function runAsOfEvent<R extends RunState & { error: string | null; backend: string | null; backendReason: string | null; environment: unknown }>(
  row: R,
  event: RunUpdatedPayload,
): R {
  if (isTerminal(event.status) && row.status === event.status) return row;
  // An event from a process older than this payload: only its status is known.
  if (typeof event.attempts !== 'number') return { ...row, status: event.status };
  return {
    ...row,
    status: event.status,
    cancelRequested: event.cancelRequested,
    attempts: event.attempts,
    startedAt: event.startedAt === null ? null : new Date(event.startedAt),
    finishedAt: event.finishedAt === null ? null : new Date(event.finishedAt),
    // Set only when a run ends: none of them existed while it was queued or running.
    ...(isTerminal(event.status) ? {} : { summary: summaryOfEvent(event.summary), error: null, backend: null, backendReason: null, environment: null }),
  };
}

/** The summary an event carried: a JSON object, or null (an event of another process is checked, not trusted). */
function summaryOfEvent(summary: unknown): Record<string, unknown> | null {
  return isJsonObject(summary) ? summary : null;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
