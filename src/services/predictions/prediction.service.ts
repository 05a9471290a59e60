import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Prediction } from '../../generated/prisma/client';
import { isUuid } from '../../domain/common/uuid';
import { routesToCanary } from '../../domain/deployments/deployment-rules';
import { NotFoundError, ValidationError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { integratedGradients, type IntegratedGradientsResult } from '../../ml/explain/integrated-gradients';
import { predict } from '../../ml/predictor';
import type { FeatureRecord, PreprocessingSpec } from '../../ml/preprocessing';
import { encodeInstances, predictionOutputs, type PredictionOutput } from '../../ml/serving/prediction-request';
import { encodePredictionVector } from '../../ml/serving/prediction-vector';
import { tf as loadTf } from '../../ml/tf-backend';
import type { DeploymentService } from '../deployments/deployment.service';
import { ModelCache } from './model-cache';
import { PredictionLog } from './prediction-log';
import type { ModelVersionService } from '../model-versions/model-version.service';

/** Sees the deployment a serving call resolved and throws to refuse it. */
export type DeploymentGuard = (deployment: { id: string; name: string }) => void;
const allowAnyDeployment: DeploymentGuard = () => undefined;

export type { Prediction } from '../../generated/prisma/client';

/** Longest request key kept (it is stored with every prediction and hashed for canary routing). */
export const MAX_REQUEST_KEY_LENGTH = 200;
/** Most actuals one `recordActuals` call may carry. */
export const MAX_ACTUALS_PER_REQUEST = 1_000;

export interface PredictInput {
  deployment: string;
  instances: readonly FeatureRecord[];
  /** Routes the request (canary share) and finds its predictions later; a new UUID when absent. */
  requestKey?: string | null;
}

export interface ServedPrediction {
  id: string;
  index: number;
  output: PredictionOutput;
}

export interface PredictResult {
  requestKey: string;
  deploymentId: string;
  modelVersionId: string;
  /** Whether the canary version served this request. */
  canary: boolean;
  predictions: ServedPrediction[];
}

export interface ExplainInput {
  deployment: string;
  instance: FeatureRecord;
  /** Picks stable or canary as `predict` would; the stable version when absent. */
  requestKey?: string | null;
  /** Multiclass: the class whose probability is explained (default the predicted one). */
  classLabel?: string | null;
}

export interface PredictionExplanation extends Omit<IntegratedGradientsResult, 'inputAttributions'> {
  modelVersionId: string;
}

export interface ActualInput {
  predictionId?: string | null;
  requestKey?: string | null;
  /** The true label (classification: a class, as string or number) or value (regression). */
  actual: unknown;
}

/**
 * Serving: route a request to the stable or canary version, check and encode its instances, run
 * the model (kept in a per-process cache), and log every prediction through group commit before
 * answering, so an answered prediction is always in the database. Later, actuals join them.
 */
export class PredictionService {
  readonly models: ModelCache;
  readonly log: PredictionLog;
  /** Told of every committed request (deployment id, predictions, their stamp); must not throw or block. */
  afterLog: ((deploymentId: string, count: number, createdAt: Date) => void) | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly deployments: DeploymentService,
    modelVersions: ModelVersionService,
  ) {
    this.models = new ModelCache((id) => modelVersions.loadModel(id));
    this.log = new PredictionLog(prisma);
  }

  /**
   * Predicts every instance; resolves only once the predictions are committed. `guard` sees the
   * deployment before anything runs and throws to refuse it (a PREDICTOR key's deployment list).
   */
  async predict(input: PredictInput, guard: DeploymentGuard = allowAnyDeployment): Promise<PredictResult> {
    const started = performance.now();
    const requestKey = input.requestKey ?? randomUUID();
    if (requestKey.length === 0 || requestKey.length > MAX_REQUEST_KEY_LENGTH) {
      throw new ValidationError(`requestKey must be 1-${MAX_REQUEST_KEY_LENGTH} characters`, { field: 'input.requestKey' });
    }
    const deployment = await this.deployments.requireDeployment(input.deployment);
    guard(deployment);
    const canary = deployment.canaryModelVersionId !== null && routesToCanary(requestKey, deployment.canaryPercent ?? 0);
    const modelVersionId = canary ? (deployment.canaryModelVersionId ?? deployment.modelVersionId) : deployment.modelVersionId;
    const loaded = await this.models.get(modelVersionId);
    // From here to the outputs nothing awaits: the cache may dispose an evicted model only between requests.
    const x = encodeInstances(loaded.preprocessing, input.instances);
    const outputs = predictionOutputs(predict(loadTf(), loaded.model, loaded.preprocessing, x));
    const latencyMs = performance.now() - started;
    const createdAt = new Date();
    const predictions = outputs.map((output, index) => ({ id: randomUUID(), index, output }));
    await this.log.append(
      predictions.map((prediction) => ({
        id: prediction.id,
        deploymentId: deployment.id,
        modelVersionId,
        requestKey,
        instanceIndex: prediction.index,
        inputs: input.instances[prediction.index],
        output: prediction.output,
        vector: encodePredictionVector(loaded.preprocessing, input.instances[prediction.index], prediction.output),
        latencyMs,
        createdAt,
      })),
    );
    this.afterLog?.(deployment.id, predictions.length, createdAt);
    return { requestKey, deploymentId: deployment.id, modelVersionId, canary, predictions };
  }

  /**
   * Per-feature attributions of one instance's output (integrated gradients from the all-zero
   * preprocessed baseline: numeric features at their training means, no category set); they sum to
   * the output minus the baseline output. Nothing is logged.
   */
  async explain(input: ExplainInput, guard: DeploymentGuard = allowAnyDeployment): Promise<PredictionExplanation> {
    const deployment = await this.deployments.requireDeployment(input.deployment);
    guard(deployment);
    const canary = input.requestKey != null && deployment.canaryModelVersionId !== null && routesToCanary(input.requestKey, deployment.canaryPercent ?? 0);
    const modelVersionId = canary ? (deployment.canaryModelVersionId ?? deployment.modelVersionId) : deployment.modelVersionId;
    const loaded = await this.models.get(modelVersionId);
    // From here on nothing awaits: the cache may dispose an evicted model only between requests.
    const spec = loaded.preprocessing;
    const x = encodeInstances(spec, [input.instance], { list: 'input.instance', item: () => 'input.instance' });
    const { inputAttributions: _perInput, ...explanation } = integratedGradients({
      tf: loadTf(),
      model: loaded.model,
      spec,
      input: x.data,
      classIndex: classIndexOf(spec, input.classLabel),
    });
    return { ...explanation, modelVersionId };
  }

  async findPrediction(id: string): Promise<Prediction | null> {
    return isUuid(id) ? this.prisma.prediction.findUnique({ where: { id } }) : null;
  }

  /**
   * Attaches true labels or values to predictions of a deployment, all or none, in one transaction.
   * An actual names its prediction by id, or by the request key of a one-instance request.
   * Recording again replaces the earlier actual.
   * @throws ValidationError / NotFoundError naming the index of the first actual at fault.
   */
  async recordActuals(input: { deployment: string; actuals: readonly ActualInput[] }, guard: DeploymentGuard = allowAnyDeployment): Promise<{ recorded: number }> {
    const { actuals } = input;
    if (actuals.length === 0) throw new ValidationError('give at least one actual', { field: 'input.actuals' });
    if (actuals.length > MAX_ACTUALS_PER_REQUEST) {
      throw new ValidationError(`at most ${MAX_ACTUALS_PER_REQUEST} actuals per request, got ${actuals.length}`, { field: 'input.actuals' });
    }
    actuals.forEach((item, index) => {
      if ((item.predictionId == null) === (item.requestKey == null)) {
        throw new ValidationError(`actual ${index}: give exactly one of predictionId and requestKey`, { field: `input.actuals[${index}]`, index });
      }
    });
    const deployment = await this.deployments.requireDeployment(input.deployment);
    guard(deployment);
    return this.prisma.$transaction(async (tx) => {
      const ids = actuals.flatMap((item) => (item.predictionId != null && isUuid(item.predictionId) ? [item.predictionId] : []));
      const keys = actuals.flatMap((item) => (item.requestKey != null ? [item.requestKey] : []));
      const select = { id: true, requestKey: true, modelVersionId: true } as const;
      const [byId, byKey] = await Promise.all([
        ids.length ? tx.prediction.findMany({ where: { deploymentId: deployment.id, id: { in: ids } }, select }) : [],
        keys.length ? tx.prediction.findMany({ where: { deploymentId: deployment.id, requestKey: { in: keys } }, select }) : [],
      ]);
      const predictionsById = new Map(byId.map((row) => [row.id, row]));
      const predictionsByKey = new Map<string, (typeof byKey)[number][]>();
      for (const row of byKey) predictionsByKey.set(row.requestKey, [...(predictionsByKey.get(row.requestKey) ?? []), row]);
      const versionIds = [...new Set([...byId, ...byKey].map((row) => row.modelVersionId))];
      const versions = await tx.modelVersion.findMany({ where: { id: { in: versionIds } }, select: { id: true, preprocessing: true } });
      const specs = new Map(versions.map((version) => [version.id, version.preprocessing as unknown as PreprocessingSpec]));

      const seen = new Set<string>();
      const updates = actuals.map((item, index) => {
        let prediction;
        if (item.predictionId != null) {
          prediction = predictionsById.get(item.predictionId);
          if (!prediction) throw new NotFoundError(`prediction of deployment "${deployment.name}"`, item.predictionId, { field: `input.actuals[${index}].predictionId`, index });
        } else {
          // Validated above: an actual without a predictionId has a requestKey.
          const requestKey = item.requestKey ?? '';
          const matches = predictionsByKey.get(requestKey) ?? [];
          if (matches.length === 0) throw new NotFoundError(`prediction of deployment "${deployment.name}" with request key`, requestKey, { field: `input.actuals[${index}].requestKey`, index });
          if (matches.length > 1) {
            throw new ValidationError(`actual ${index}: request key "${requestKey}" has ${matches.length} predictions; name one by predictionId`, {
              field: `input.actuals[${index}].requestKey`,
              index,
            });
          }
          prediction = matches[0];
        }
        if (seen.has(prediction.id)) {
          throw new ValidationError(`actual ${index}: prediction ${prediction.id} is given more than once`, { field: `input.actuals[${index}]`, index });
        }
        seen.add(prediction.id);
        const spec = specs.get(prediction.modelVersionId);
        if (!spec) throw new Error(`no preprocessing spec was loaded for model version ${prediction.modelVersionId}`);
        return { id: prediction.id, actual: checkActual(spec, item.actual, index) };
      });
      const updateIds = updates.map((update) => update.id);
      const values = updates.map((update) => JSON.stringify(update.actual));
      const recorded = await tx.$executeRaw`
        UPDATE predictions AS p SET actual = a.actual, actual_recorded_at = now()
        FROM unnest(${updateIds}::uuid[], ${values}::jsonb[]) AS a(id, actual)
        WHERE p.id = a.id`;
      return { recorded };
    });
  }
}

function classIndexOf(spec: PreprocessingSpec, label: string | null | undefined): number | undefined {
  if (label == null) return undefined;
  const classes = spec.label.kind === 'CLASSES' ? spec.label.classes : [];
  if (spec.task !== 'MULTICLASS_CLASSIFICATION') {
    throw new ValidationError('classLabel applies to multiclass models only (binary models explain the positive class)', { field: 'input.classLabel' });
  }
  const index = classes.indexOf(label);
  if (index < 0) throw new ValidationError(`"${label.slice(0, 100)}" is not one of the classes (${classes.join(', ')})`, { field: 'input.classLabel' });
  return index;
}

/** The actual as stored: a class name (classification) or a finite number (regression). */
function checkActual(spec: PreprocessingSpec, actual: unknown, index: number): string | number {
  const field = `input.actuals[${index}].actual`;
  if (spec.label.kind === 'TARGET') {
    if (typeof actual !== 'number' || !Number.isFinite(actual)) {
      throw new ValidationError(`actual ${index}: a regression actual must be a finite number`, { field, index });
    }
    return actual;
  }
  if (typeof actual !== 'string' && (typeof actual !== 'number' || !Number.isFinite(actual))) {
    throw new ValidationError(`actual ${index}: a classification actual must be a class (string or number)`, { field, index });
  }
  const label = String(actual);
  if (!spec.label.classes.includes(label)) {
    throw new ValidationError(`actual ${index}: "${label.slice(0, 100)}" is not one of the classes (${spec.label.classes.join(', ')})`, { field, index });
  }
  return label;
}
