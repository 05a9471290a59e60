/**
 * The CPU priority of the worker threads that run long computations (dataset ingest, drift
 * statistics) beside the API's event loop.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * Lowers the calling thread's CPU priority (nice 10), not the process's: on Linux each thread has
 * its own nice value, found through /proc/thread-self. When the cores are busy, the API's event
 * loop (its requests) goes before the thread's work. Elsewhere the thread keeps the process's priority.
 */
export function yieldToTheEventLoop(): void {
  try {
    os.setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), os.constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not Linux (or not allowed): the same priority as the event loop.
  }
}
