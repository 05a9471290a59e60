import { createMedianPruner, type Pruner } from '../../domain/optimization/median-pruner';
import type { IntermediateValue } from '../../domain/optimization/trial';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { trialHyperparametersOf } from '../../infra/db/json-columns';
import type { Architecture } from '../../ml/model-builder';
import type { ModelService } from '../models/model.service';
import { RunRepository } from '../runs/run-repository';
import type { ExecuteRun, RunExecutionContext } from '../runs/run-executor';
import { createTrainingJob, type TrainingJobDependencies } from '../training/training-job';
import { loadStudyTrials, studyDefinitionOf, trialSummaryOf, type TrialSummary } from './study-trials';

export interface TrialJobDependencies extends TrainingJobDependencies {
  prisma: PrismaClient;
}

/** The model service as the training job sees it for one trial: the model with the trial's architecture. */
function withArchitecture(models: ModelService, architecture: Architecture): ModelService {
  // The training job loads the model by id; the trial's sampled units and dropout must replace its layers.
  const adapter = Object.create(models) as ModelService;
  adapter.requireModel = async (id, field) => ({ ...(await models.requireModel(id, field)), architecture });
  return adapter;
}

/**
 * The objective a completed trial scored: the metric at the epoch whose weights the model kept
 * (the best epoch when early stopping restored it, else the last one).
 */
export function finalObjective(values: readonly IntermediateValue[], summary: { bestEpoch?: unknown; restoredBestWeights?: unknown }): number | null {
  if (values.length === 0) return null;
  if (summary.restoredBestWeights === true && typeof summary.bestEpoch === 'number') {
    const best = values.find((v) => v.step === summary.bestEpoch);
    if (best) return best.value;
  }
  return values.reduce((a, b) => (b.step > a.step ? b : a)).value;
}

/**
 * The work of a TRIAL run: a training run (same job, same model version registration) with the
 * trial's hyperparameters and architecture, that reports the study's objective per epoch and,
 * under MEDIAN pruning, judges itself after each epoch against the study's completed trials.
 *
 * A pruned trial stops training at once and ends SUCCEEDED with `summary.pruned = true` and
 * `summary.pruneReason`, and registers no model version (it was stopped before convergence).
 */
export function createTrialJob(deps: TrialJobDependencies): ExecuteRun {
  const runs = new RunRepository(deps.prisma);
  return async (trial, context) => {
    const trialSummary = trialSummaryOf(trial);
    if (!trial.parentRunId || !trialSummary) throw new Error(`run ${trial.id} is not a trial of a study`);
    const study = await runs.findRun(trial.parentRunId);
    if (!study) throw new Error(`the study ${trial.parentRunId} of trial run ${trial.id} is gone`);
    const definition = studyDefinitionOf(study);
    const { metric, direction } = definition.objective;
    const { architecture, ...hyperparameters } = trialHyperparametersOf(trial.hyperparameters);
    const pruner: Pruner | null =
      definition.pruning.kind === 'MEDIAN'
        ? createMedianPruner({ direction, metric, nStartupTrials: definition.pruning.startupTrials, nWarmupSteps: definition.pruning.warmupEpochs })
        : null;

    const values: IntermediateValue[] = [];
    let pruneReason: string | null = null;
    const trialContext: RunExecutionContext = {
      ...context,
      shouldStop: () => pruneReason !== null || context.shouldStop(),
      recordEpoch: async (epoch, metrics, timing) => {
        const stored = await context.recordEpoch(epoch, metrics, timing);
        const value = metrics[metric];
        if (typeof value === 'number') values.push({ step: epoch, value });
        if (pruner && stored && pruneReason === null) {
          // The pruner compares with other trials at this epoch only.
          const others = await loadStudyTrials(runs, study.id, metric, { epochs: epoch });
          const decision = pruner.evaluate(
            { number: trialSummary.trialNumber, state: 'RUNNING', params: trialSummary.params, intermediateValues: values },
            others.map((t) => t.record),
          );
          if (decision.prune) {
            pruneReason = decision.reason;
            context.logger.info({ epoch, reason: decision.reason }, 'trial pruned');
          }
        }
        return stored;
      },
    };
    const train = createTrainingJob({ ...deps, models: withArchitecture(deps.models, architecture) }, { hyperparameters });
    const outcome = await train(trial, trialContext);
    const summary = outcome?.summary ?? {};
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the epoch callback while `train` ran
    const pruned = pruneReason !== null;
    const result: TrialSummary = {
      trialNumber: trialSummary.trialNumber,
      params: trialSummary.params,
      objective: pruned ? null : finalObjective(values, summary),
      pruned,
      pruneReason,
    };
    return { ...outcome, summary: { ...summary, ...result } };
  };
}
