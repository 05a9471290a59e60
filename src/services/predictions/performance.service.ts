import type { Deployment } from '../../domain/deployments/deployment';
import { checkPerformanceQuery } from '../../domain/deployments/performance-query';
import { ValidationError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import type { Evaluation } from '../../ml/metrics/evaluate-predictions';
import { compareMetrics, evaluateWindow, type MetricComparison } from '../../ml/serving/window-performance';
import { PredictionRepository } from './prediction-repository';
import { evaluationsOfVersion, findVersion } from '../model-versions/model-version-repository';

export interface PerformanceWindow {
  /** Labelled predictions in the window (the oldest window may hold fewer than the window size). */
  count: number;
  from: Date;
  to: Date;
  evaluation: Evaluation;
  comparison: MetricComparison[];
}

export interface DeploymentPerformance {
  modelVersionId: string;
  /** The evaluation compared with: the version's held-out TEST split, else its latest one; null when none. */
  baseline: { id: string; split: string; metrics: Evaluation } | null;
  /** Newest first: consecutive windows of `window` labelled predictions. */
  windows: PerformanceWindow[];
}

/**
 * Performance of a served version once actuals arrive: its labelled predictions, newest first, cut
 * into windows of a fixed number of predictions, each scored with the training metrics of the task
 * and compared with the version's evaluation.
 */
export class PerformanceService {
  private readonly predictions: PredictionRepository;

  constructor(private readonly prisma: PrismaClient) {
    this.predictions = new PredictionRepository(prisma);
  }

  async performance(
    deployment: Pick<Deployment, 'id' | 'modelVersionId'>,
    options: { window: number; windows: number; modelVersionId?: string | null },
  ): Promise<DeploymentPerformance> {
    const { window, windows } = checkPerformanceQuery(options);
    const modelVersionId = options.modelVersionId ?? deployment.modelVersionId;
    const version = await findVersion(this.prisma, modelVersionId);
    if (!version) throw new ValidationError(`model version ${modelVersionId} does not exist`, { field: 'modelVersionId' });
    const spec = version.preprocessing;
    const [rows, evaluations] = await Promise.all([
      this.predictions.labelled(deployment.id, modelVersionId, window * windows),
      evaluationsOfVersion(this.prisma, modelVersionId),
    ]);
    const chosen = evaluations.find((evaluation) => evaluation.split === 'TEST') ?? evaluations.at(0);
    const baseline = chosen ? { id: chosen.id, split: chosen.split, metrics: chosen.metrics } : null;
    const threshold = baseline?.metrics.task === 'BINARY_CLASSIFICATION' ? baseline.metrics.threshold : 0.5;
    const result: PerformanceWindow[] = [];
    for (let start = 0; start < rows.length; start += window) {
      const slice = rows.slice(start, start + window);
      const evaluation = evaluateWindow(spec, slice, threshold);
      result.push({
        count: slice.length,
        from: slice[slice.length - 1].createdAt,
        to: slice[0].createdAt,
        evaluation,
        comparison: compareMetrics(evaluation, baseline?.metrics ?? null),
      });
    }
    return { modelVersionId, baseline, windows: result };
  }
}
