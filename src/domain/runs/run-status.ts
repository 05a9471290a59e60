/**
 * The life cycle of a run:
 *
 * ```
 * QUEUED ──claim──▶ RUNNING ──▶ SUCCEEDED | FAILED | CANCELLED
 *   │                  │
 *   └──cancel──▶ CANCELLED   RUNNING ──▶ QUEUED only when the reaper re-queues a run whose worker died
 * ```
 *
 * A terminal status never changes again. Persistence enforces this table with guarded updates
 * (`UPDATE ... WHERE status = <from>`); this module is the single statement of it.
 */
import { InvalidStateError } from '../errors';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run ends in. */
export const TERMINAL_RUN_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];

/** Why a transition happens; `RUNNING -> QUEUED` is allowed for the crash re-queue only. */
export type RunTransitionCause = 'normal' | 'crash-requeue';

const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  QUEUED: ['RUNNING', 'CANCELLED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELLED', 'QUEUED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

/** Whether `status` is final. */
export function isTerminal(status: RunStatus): status is TerminalRunStatus {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/** Whether a run may move from `from` to `to` for the given cause. */
export function canTransition(from: RunStatus, to: RunStatus, cause: RunTransitionCause = 'normal'): boolean {
  if (from === 'RUNNING' && to === 'QUEUED') return cause === 'crash-requeue';
  return NEXT[from].includes(to);
}

/**
 * The statuses from which a run may move to `to` (what a guarded update puts in its `WHERE`).
 */
export function sourcesOf(to: RunStatus, cause: RunTransitionCause = 'normal'): RunStatus[] {
  return RUN_STATUSES.filter((from) => canTransition(from, to, cause));
}

/**
 * @throws InvalidStateError when the run cannot move from `from` to `to`.
 */
export function assertTransition(from: RunStatus, to: RunStatus, cause: RunTransitionCause = 'normal'): void {
  if (canTransition(from, to, cause)) return;
  const reason = isTerminal(from)
    ? `the run already ended as ${from}`
    : from === 'RUNNING' && to === 'QUEUED'
      ? 'a running run goes back to the queue only when its worker stopped heartbeating'
      : `${from} cannot become ${to}`;
  throw new InvalidStateError(`Run cannot move from ${from} to ${to}: ${reason}`);
}
