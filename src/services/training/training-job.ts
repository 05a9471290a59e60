import path from 'node:path';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import { plannedGradientSteps } from '../../domain/runs/training-warnings';
import type { EpochMetrics } from '../../ml/trainer';
import { columnImportances } from '../../ml/training/feature-importance';
import { runTrainingPipeline } from '../../ml/training/training-pipeline';
import { registerModelVersion } from '../model-versions/register-model-version';
import type { DatasetService } from '../datasets/dataset.service';
import type { EventPublisher } from '../events/event-publisher';
import type { ModelService } from '../models/model.service';
import type { ExecuteRun } from '../runs/run-executor';
import { setTrainingPlace } from '../runs/run-repository';
import { MemoryWatch } from './memory-watch';
import type { EpochMetrics as StoredEpochMetrics } from '../runs/run-store';
import { toJsonColumn, trainingHyperparametersOf } from '../../infra/db/json-columns';

export interface TrainingJobDependencies {
  datasets: DatasetService;
  models: ModelService;
  events: EventPublisher;
  /** TensorBoard event files go to `<dir>/<runId>` (native backend only). */
  tensorboardDir?: string;
  /** A run whose worker grows past this many bytes (resident set) fails. @default no limit */
  memoryLimitBytes?: number;
}

/** The trainer's nested epoch metrics as the flat record stored per epoch: `loss`, `accuracy`, `val_loss`, ... */
export function flattenEpochMetrics(metrics: EpochMetrics): StoredEpochMetrics {
  const flat: StoredEpochMetrics = {};
  for (const [name, value] of Object.entries(metrics.train)) if (typeof value === 'number') flat[name] = value;
  for (const [name, value] of Object.entries(metrics.validation ?? {})) if (typeof value === 'number') flat[`val_${name}`] = value;
  return flat;
}

export interface TrainingJobOptions {
  /** What to train with instead of the run's stored hyperparameters (a TRIAL's, stored with its architecture alongside). */
  hyperparameters?: TrainingRunHyperparameters;
}

/**
 * The work of a TRAINING run on a worker: train on the run's dataset version, then register the
 * model version (artifact, preprocessing, lineage), its test-split evaluation and feature
 * importance in the transaction that marks the run SUCCEEDED.
 */
export function createTrainingJob(deps: TrainingJobDependencies, options: TrainingJobOptions = {}): ExecuteRun {
  return async (run, context) => {
    const model = await deps.models.requireModel(run.modelId);
    const datasetVersion = await deps.datasets.requireVersion(run.datasetVersionId);
    const dataset = await deps.datasets.requireDataset(datasetVersion.datasetId);
    const startedAt = Date.now();
    const table = await deps.datasets.loadTable(datasetVersion.id);
    const loadMs = Date.now() - startedAt;
    const hyperparameters = options.hyperparameters ?? trainingHyperparametersOf(run.hyperparameters);
    context.logger.info({ rows: table.rowCount, columns: table.columns.length, model: model.name }, 'training started');
    const memory = new MemoryWatch(deps.memoryLimitBytes ?? Infinity);

    const trained = await runTrainingPipeline({
      table,
      labelColumn: dataset.labelColumn,
      labelClasses: datasetVersion.labelClasses,
      task: model.task,
      architecture: model.architecture,
      hyperparameters,
      tensorboardDir: deps.tensorboardDir ? path.join(deps.tensorboardDir, run.id) : undefined,
      shouldStop: () => context.shouldStop() || memory.exceeded(),
      onEpochEnd: async (metrics) => {
        const flat = flattenEpochMetrics(metrics);
        const { elapsedMs, epochMs, samplesPerSecond } = metrics;
        await context.recordEpoch(metrics.epoch, flat, { elapsedMs, epochMs, samplesPerSecond });
        context.logger.info({ epoch: metrics.epoch, of: hyperparameters.epochs, ...flat, samplesPerSecond: Math.round(metrics.samplesPerSecond) }, 'epoch');
      },
    });
    const pipelineMs = Date.now() - startedAt - loadMs;
    try {
      const { summary, environment, testEvaluation } = trained;
      const runSummary = {
        loss: summary.loss,
        epochsRun: summary.epochsRun,
        gradientSteps: summary.gradientSteps,
        plannedGradientSteps: plannedGradientSteps(hyperparameters, datasetVersion.rowCount).steps,
        // What the settings warned about when the run was queued (fewer than 100 gradient steps, ...).
        warnings: run.warnings.map((warning) => warning.message),
        stopReason: summary.stopReason,
        stopDetail: summary.stopDetail,
        bestEpoch: summary.bestEpoch ?? null,
        restoredBestWeights: summary.restoredBestWeights,
        batchSize: summary.batchSize,
        stepEngine: summary.stepEngine,
        durationMs: summary.durationMs,
        splitSizes: trained.splitSizes,
        // Null without a test split (split.test 0): the version has no TEST evaluation.
        testMetrics: testEvaluation?.metrics ?? null,
        // Where the run's time went: reading the data, the pipeline (of which training), feature importance.
        timingsMs: { load: loadMs, pipeline: pipelineMs, training: Math.round(summary.durationMs), importance: 0 },
        tensorboard: trained.tensorboard,
      };
      const outOfMemory = memory.failure();
      if (outOfMemory) throw outOfMemory;
      if (summary.cancelled) return { summary: runSummary };
      if (summary.stopReason === 'NON_FINITE_LOSS') throw new Error(`training diverged: ${summary.stopDetail}`);
      const importanceStartedAt = Date.now();
      const importance =
        trained.testRows.length > 0
          ? await columnImportances(trained.tf, trained.model, trained.preprocessing, table, trained.testRows, hyperparameters.seed)
          : null;
      runSummary.timingsMs.importance = Date.now() - importanceStartedAt;
      let registeredVersionId: string | undefined;
      return {
        summary: runSummary,
        finalize: async (tx, finishedRun) => {
          const version = await registerModelVersion(tx, {
            modelId: model.id,
            kind: run.kind === 'TRIAL' ? 'TRIAL' : 'STANDARD',
            runId: finishedRun.id,
            datasetVersion,
            trained,
            hyperparameters,
            featureImportance: importance,
          });
          if (testEvaluation) {
            await tx.evaluation.create({
              data: {
                modelVersionId: version.id,
                datasetVersionId: datasetVersion.id,
                split: 'TEST',
                rowCount: testEvaluation.rowCount,
                task: model.task,
                metrics: toJsonColumn(testEvaluation.metrics),
              },
            });
          }
          await setTrainingPlace(tx, finishedRun.id, {
            backend: environment.backend,
            backendReason: environment.backendReason,
            environment: toJsonColumn(environment),
          });
          registeredVersionId = version.id;
          context.logger.info({ modelVersionId: version.id, version: version.version }, 'model version registered');
        },
        afterCommit: async () => {
          if (registeredVersionId) await deps.events.publish('modelVersionRegistered', { id: registeredVersionId, modelId: model.id, runId: run.id }, model.id);
        },
      };
    } finally {
      trained.model.dispose();
    }
  };
}
