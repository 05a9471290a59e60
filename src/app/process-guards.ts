import type { Logger } from '../infra/logger';

/** The message logged (at fatal) for a promise rejection nobody handled; fault tests look for it. */
export const UNHANDLED_REJECTION_MESSAGE = 'unhandled promise rejection (a bug: every failure must be handled)';
export const UNCAUGHT_EXCEPTION_MESSAGE = 'uncaught exception (a bug); exiting';

/**
 * Last-resort handlers of every mlplane process. Neither should ever fire: every pool, client and
 * timer handles its own errors. If one does:
 * - an unhandled rejection is logged at fatal and the process carries on (a promise nobody awaited
 *   leaves no half-done state behind, and dying would turn one bug into an outage);
 * - an uncaught exception is logged at fatal and the process exits 1 (its state is unknown); the
 *   supervisor restarts a worker, the orchestrator an API process.
 */
export function installProcessGuards(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason instanceof Error ? reason : new Error(String(reason)) }, UNHANDLED_REJECTION_MESSAGE);
  });
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, UNCAUGHT_EXCEPTION_MESSAGE);
    process.exit(1);
  });
}
