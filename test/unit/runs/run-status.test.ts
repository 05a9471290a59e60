import { InvalidStateError } from '../../../src/domain/errors';
import { assertTransition, canTransition, isTerminal, RUN_STATUSES, sourcesOf, type RunStatus } from '../../../src/domain/runs/run-status';

/** The whole table, written out by hand from the issue: [from, to, normal, crash-requeue]. */
const TABLE: Array<[RunStatus, RunStatus, boolean, boolean]> = [
  ['QUEUED', 'QUEUED', false, false],
  ['QUEUED', 'RUNNING', true, true],
  ['QUEUED', 'SUCCEEDED', false, false],
  ['QUEUED', 'FAILED', false, false],
  ['QUEUED', 'CANCELLED', true, true],
  ['RUNNING', 'QUEUED', false, true],
  ['RUNNING', 'RUNNING', false, false],
  ['RUNNING', 'SUCCEEDED', true, true],
  ['RUNNING', 'FAILED', true, true],
  ['RUNNING', 'CANCELLED', true, true],
  ...(['SUCCEEDED', 'FAILED', 'CANCELLED'] as const).flatMap((from) =>
    RUN_STATUSES.map((to): [RunStatus, RunStatus, boolean, boolean] => [from, to, false, false]),
  ),
];

describe('run status machine', () => {
  it('covers every pair of statuses', () => {
    expect(TABLE).toHaveLength(RUN_STATUSES.length * RUN_STATUSES.length);
  });

  it.each(TABLE)('%s -> %s: normal %s, crash re-queue %s', (from, to, normal, requeue) => {
    expect(canTransition(from, to)).toBe(normal);
    expect(canTransition(from, to, 'crash-requeue')).toBe(requeue);
    if (normal) expect(() => assertTransition(from, to)).not.toThrow();
    else expect(() => assertTransition(from, to)).toThrow(InvalidStateError);
  });

  it('names the terminal statuses', () => {
    expect(RUN_STATUSES.filter(isTerminal)).toEqual(['SUCCEEDED', 'FAILED', 'CANCELLED']);
  });

  it('explains a refused transition', () => {
    expect(() => assertTransition('SUCCEEDED', 'FAILED')).toThrow('Run cannot move from SUCCEEDED to FAILED: the run already ended as SUCCEEDED');
    expect(() => assertTransition('RUNNING', 'QUEUED')).toThrow(/only when its worker stopped heartbeating/);
    expect(() => assertTransition('QUEUED', 'SUCCEEDED')).toThrow('Run cannot move from QUEUED to SUCCEEDED: QUEUED cannot become SUCCEEDED');
    expect(() => assertTransition('RUNNING', 'QUEUED', 'crash-requeue')).not.toThrow();
  });

  it('lists the sources a guarded update accepts', () => {
    expect(sourcesOf('RUNNING')).toEqual(['QUEUED']);
    expect(sourcesOf('CANCELLED')).toEqual(['QUEUED', 'RUNNING']);
    expect(sourcesOf('SUCCEEDED')).toEqual(['RUNNING']);
    expect(sourcesOf('QUEUED')).toEqual([]);
    expect(sourcesOf('QUEUED', 'crash-requeue')).toEqual(['RUNNING']);
  });
});
