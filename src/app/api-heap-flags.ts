/**
 * V8 flags of the API processes `serve` forks. A 100-row GraphQL `predict` allocates about 1 MB
 * (the parsed request, graphql-js's per-field objects, the answer), and the requests in flight
 * keep theirs alive across each young-generation collection, which copies them. With V8's default
 * semi-space (16 MB on 64-bit) the API spent 18% of its CPU in those collections under load; at
 * 32 MB (the default of `MLPLANE_API_SEMI_SPACE_MB`) there are half as many, each copying about as
 * much. The flag applies to every isolate of the process, so the API's worker threads would grow
 * theirs too: a 100 MB CSV upload, parsed on the ingest thread, then raised the API's peak RSS by
 * 270-310 MB instead of 180-220 MB. {@link confineSemiSpaceToMainThread} keeps it to the main thread.
 */

import v8 from 'node:v8';

const SEMI_SPACE_FLAG = '--max-semi-space-size';

/** Whether the flags already set the semi-space size (a `--max-semi-space-size` of the user's wins). */
function setsSemiSpace(flags: readonly string[]): boolean {
  return flags.some(
    (flag) =>
      flag === SEMI_SPACE_FLAG || flag.startsWith(`${SEMI_SPACE_FLAG}=`) || flag === '--max_semi_space_size' || flag.startsWith('--max_semi_space_size='),
  );
}

/**
 * The node flags of a forked API process: this process's own, plus the semi-space size unless
 * `semiSpaceMb` is 0 (V8's default) or the flags or `NODE_OPTIONS` set one already.
 */
export function apiProcessExecArgv(execArgv: readonly string[], nodeOptions: string | undefined, semiSpaceMb: number): string[] {
  const own = [...execArgv];
  if (semiSpaceMb === 0 || setsSemiSpace(own) || setsSemiSpace((nodeOptions ?? '').split(/\s+/))) return own;
  return [...own, semiSpaceFlag(semiSpaceMb)];
}

/** The flag `apiProcessExecArgv` adds for `semiSpaceMb`. */
export function semiSpaceFlag(semiSpaceMb: number): string {
  return `${SEMI_SPACE_FLAG}=${semiSpaceMb}`;
}

/**
 * Leaves the semi-space size of this process's command line to its main thread: worker threads
 * started from now on (CSV ingest, drift tests) get V8's default young generation. V8 applies its
 * flags to every isolate it creates and a worker's `resourceLimits` cannot lower this one, so the
 * flag is reset once the main thread's heap is set up (V8 reads it when it creates an isolate).
 */
export function confineSemiSpaceToMainThread(): void {
  v8.setFlagsFromString(`${SEMI_SPACE_FLAG}=0`);
}
