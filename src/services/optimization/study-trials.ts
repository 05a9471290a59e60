/**
 * A study's trials as the search algorithms see them, read from the database: everything the
 * coordinator, the trial jobs and the API need is rebuilt from the TRIAL runs and their epochs,
 * so no process holds state a crash could lose.
 *
 * A TRIAL run's `summary` carries `{ trialNumber, params }` from creation on, and after it ends
 * successfully also `{ objective, pruned, pruneReason }`. Its status maps to the trial state:
 * QUEUED/RUNNING -> RUNNING; SUCCEEDED with `pruned` -> PRUNED; SUCCEEDED -> COMPLETE (value =
 * `objective`); FAILED/CANCELLED -> FAILED.
 */
import type { StudyDefinition } from '../../domain/optimization/study-definition';
import type { IntermediateValue, Params, TrialRecord, TrialState } from '../../domain/optimization/trial';
import type { Run } from '../../domain/runs/run';
import { studyDefinitionOf as studyDefinitionColumnOf, trialSummaryOf as trialSummaryColumnOf } from '../../infra/db/json-columns';
import type { EpochValues, RunRepository } from '../runs/run-repository';

/** What a TRIAL run's summary holds (the training summary's fields come alongside). */
export interface TrialSummary {
  trialNumber: number;
  params: Params;
  /** The objective metric at the epoch whose weights the trial kept; null when it did not finish. */
  objective?: number | null;
  pruned?: boolean;
  /** Why the trial was pruned (MEDIAN pruner's words). */
  pruneReason?: string | null;
}

/** A trial run with its search record. */
export interface StudyTrial {
  run: Run;
  record: TrialRecord;
}

/** The trial's summary fields, or null for a run that is not a trial. */
export function trialSummaryOf(run: Pick<Run, 'summary'>): TrialSummary | null {
  return trialSummaryColumnOf(run.summary);
}

/** The study stored on an OPTIMIZATION run. */
export function studyDefinitionOf(run: Pick<Run, 'hyperparameters'>): StudyDefinition {
  return studyDefinitionColumnOf(run.hyperparameters);
}

/** A study: its OPTIMIZATION run with the definition the run stores, decoded once. */
export interface Study extends Run {
  definition: StudyDefinition;
}

/** The study an OPTIMIZATION run is. */
export function studyOf(run: Run): Study {
  return { ...run, definition: studyDefinitionOf(run) };
}

function stateOf(run: Run, summary: TrialSummary): TrialState {
  switch (run.status) {
    case 'QUEUED':
    case 'RUNNING':
      return 'RUNNING';
    case 'SUCCEEDED':
      return summary.pruned ? 'PRUNED' : 'COMPLETE';
    default:
      return 'FAILED';
  }
}

/** The objective's values per epoch, in epoch order (epochs without the metric are left out). */
export function intermediateValuesOf(epochs: readonly EpochValues[], metric: string): IntermediateValue[] {
  const values: IntermediateValue[] = [];
  for (const epoch of epochs) {
    const value = epoch.metrics[metric];
    if (typeof value === 'number') values.push({ step: epoch.epoch, value });
  }
  return values.sort((a, b) => a.step - b.step);
}

/** The search record of one trial run. */
export function trialRecordOf(run: Run, epochs: readonly EpochValues[], metric: string): TrialRecord | null {
  const summary = trialSummaryOf(run);
  if (!summary) return null;
  const state = stateOf(run, summary);
  return {
    number: summary.trialNumber,
    state,
    params: summary.params,
    value: state === 'COMPLETE' ? (summary.objective ?? null) : null,
    intermediateValues: intermediateValuesOf(epochs, metric),
  };
}

/**
 * Every trial of a study with its record, in trial-number order.
 * @param options.epochs which epochs make the intermediate values: all (default), only the given
 *   1-based epoch (what the pruner compares), or none (cheapest).
 */
export async function loadStudyTrials(
  runs: RunRepository,
  studyId: string,
  metric: string,
  options: { epochs?: 'ALL' | 'NONE' | number } = {},
): Promise<StudyTrial[]> {
  const trials: StudyTrial[] = [];
  for (const { run, epochs } of await runs.findTrials(studyId, options.epochs ?? 'ALL')) {
    const record = trialRecordOf(run, epochs, metric);
    if (record) trials.push({ run, record });
  }
  return trials.sort((a, b) => a.record.number - b.record.number);
}
