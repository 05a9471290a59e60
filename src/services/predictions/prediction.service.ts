import type { Prediction } from '../../domain/predictions/prediction';
import { required } from '../../domain/common/required';
import { isUuid } from '../../domain/common/uuid';
import { routesToCanary } from '../../domain/deployments/deployment-rules';
import { NotFoundError, ValidationError, Violations, type Violation } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { integratedGradients, type IntegratedGradientsResult } from '../../ml/explain/integrated-gradients';
import type { FeatureRecord, PreprocessingSpec } from '../../ml/preprocessing';
import { encodeInstances, type InstanceFields } from '../../ml/serving/prediction-request';
import { tf as loadTf } from '../../ml/tf-backend';
import type { DeploymentService } from '../deployments/deployment.service';
import type { ServingEvents } from '../serving/serving-events';
import { allowAnyDeployment, type DeploymentGuard, type ServingPipeline } from '../serving/serving-pipeline';
import type { ModelCache } from './model-cache';
import { preprocessingSpecOf } from '../../infra/db/json-columns';
import { PredictionRepository } from './prediction-repository';

export type { Prediction } from '../../domain/predictions/prediction';

/** Most actuals one `recordActuals` call may carry. */
export const MAX_ACTUALS_PER_REQUEST = 1_000;

/** Paths errors name for `explainPrediction`'s `instance`. */
const EXPLAINED_INSTANCE_FIELDS: InstanceFields = { list: 'input.instance', item: () => 'input.instance' };

export interface ExplainInput {
  deployment: string;
  instance: FeatureRecord;
  /** Input paths errors name. @default input.instance */
  fields?: InstanceFields;
  /** Problems found while reading the instance from the entry point's form, reported with the schema check's. @default none */
  formProblems?: readonly Violation[];
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
  /** The input field that carried `actual`, which its errors name. @default actual */
  actualField?: string;
}

/**
 * What follows serving: explanations of one instance, stored predictions, and actuals joining
 * them. Requests themselves go through the serving pipeline (`ServingPipeline`).
 */
export class PredictionService {
  private readonly store: PredictionRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly deployments: DeploymentService,
    private readonly serving: ServingPipeline,
    private readonly models: ModelCache,
    private readonly events: ServingEvents,
  ) {
    this.store = new PredictionRepository(prisma);
  }

  /**
   * Per-feature attributions of one instance's output (integrated gradients from the all-zero
   * preprocessed baseline: numeric features at their training means, no category set); they sum to
   * the output minus the baseline output. Nothing is logged.
   */
  async explain(input: ExplainInput, guard: DeploymentGuard = allowAnyDeployment): Promise<PredictionExplanation> {
    const deployment = await this.serving.requireServingDeployment(input.deployment);
    guard(deployment);
    const canaryVersionId = deployment.canaryModelVersionId;
    const canary = input.requestKey != null && canaryVersionId !== null && routesToCanary(input.requestKey, deployment.canaryPercent ?? 0);
    const modelVersionId = canary ? canaryVersionId : deployment.modelVersionId;
    const loaded = await this.models.get(modelVersionId);
    // From here on nothing awaits: the cache may dispose an evicted model only between requests.
    const spec = loaded.preprocessing;
    const fields = input.fields ?? EXPLAINED_INSTANCE_FIELDS;
    const x = encodeInstances(spec, [input.instance], fields, input.formProblems);
    const { inputAttributions: _perInput, ...explanation } = integratedGradients({
      tf: loadTf(),
      model: loaded.model,
      spec,
      input: x.data,
      classIndex: classIndexOf(spec, input.classLabel),
    });
    const numbers = [explanation.output, explanation.baselineOutput, ...explanation.attributions.map((a) => a.attribution)];
    if (!numbers.every(Number.isFinite)) {
      throw new ValidationError(
        "the model's output for this instance is not a finite number (its feature values are too far outside the training data's range)",
        {
          field: fields.list,
        },
      );
    }
    return { ...explanation, modelVersionId };
  }

  async findPrediction(id: string): Promise<Prediction | null> {
    return this.store.findById(id);
  }

  /**
   * Attaches true labels or values to predictions of a deployment, all or none, in one transaction.
   * An actual names its prediction by id, or by the request key of a one-instance request.
   * Recording again replaces the earlier actual.
   * @throws ValidationError listing every actual whose shape is wrong (each with its index and
   *   field), checked before anything is read; then NotFoundError for the first actual whose
   *   prediction does not exist, when it comes before every other problem, else ValidationError
   *   listing every actual at fault (a request key with several predictions, a prediction given
   *   twice, a value that does not fit the model).
   */
  async recordActuals(
    input: { deployment: string; actuals: readonly ActualInput[] },
    guard: DeploymentGuard = allowAnyDeployment,
  ): Promise<{ recorded: number }> {
    const { actuals } = input;
    if (actuals.length === 0) throw new ValidationError('give at least one actual', { field: 'input.actuals' });
    if (actuals.length > MAX_ACTUALS_PER_REQUEST) {
      throw new ValidationError(`at most ${MAX_ACTUALS_PER_REQUEST} actuals per request, got ${actuals.length}`, { field: 'input.actuals' });
    }
    const shapes = new Violations();
    actuals.forEach((item, index) => {
      if ((item.predictionId == null) === (item.requestKey == null)) {
        shapes.add(`actual ${index}: give exactly one of predictionId and requestKey`, { field: `input.actuals[${index}]`, index });
      }
    });
    shapes.throwIfAny();
    const deployment = await this.deployments.requireDeployment(input.deployment);
    guard(deployment);
    const result = await this.prisma.$transaction(async (tx) => {
      const ids = actuals.flatMap((item) => (item.predictionId != null && isUuid(item.predictionId) ? [item.predictionId] : []));
      const keys = actuals.flatMap((item) => (item.requestKey != null ? [item.requestKey] : []));
      const { byId, byKey } = await this.store.findActualTargets(tx, deployment.id, ids, keys);
      const predictionsById = new Map(byId.map((row) => [row.id, row]));
      const predictionsByKey = new Map<string, (typeof byKey)[number][]>();
      for (const row of byKey) predictionsByKey.set(row.requestKey, [...(predictionsByKey.get(row.requestKey) ?? []), row]);
      const versionIds = [...new Set([...byId, ...byKey].map((row) => row.modelVersionId))];
      const versions = await tx.modelVersion.findMany({ where: { id: { in: versionIds } }, select: { id: true, preprocessing: true } });
      const specs = new Map(versions.map((version) => [version.id, preprocessingSpecOf(version.preprocessing)]));

      const seen = new Set<string>();
      const problems = new Violations();
      // A missing prediction is reported alone (NOT_FOUND) when no other problem comes before it.
      const missing: NotFoundError[] = [];
      const updates = actuals.flatMap((item, index) => {
        let prediction;
        if (item.predictionId != null) {
          prediction = predictionsById.get(item.predictionId);
          if (!prediction) {
            if (problems.count === 0 && missing.length === 0) {
              missing.push(
                new NotFoundError(`prediction of deployment "${deployment.name}"`, item.predictionId, {
                  field: `input.actuals[${index}].predictionId`,
                  index,
                }),
              );
            }
            return [];
          }
        } else {
          const requestKey = required(item.requestKey, `input.actuals[${index}].requestKey`);
          const matches = predictionsByKey.get(requestKey) ?? [];
          if (matches.length === 0) {
            if (problems.count === 0 && missing.length === 0) {
              missing.push(
                new NotFoundError(`prediction of deployment "${deployment.name}" with request key`, requestKey, {
                  field: `input.actuals[${index}].requestKey`,
                  index,
                }),
              );
            }
            return [];
          }
          if (matches.length > 1) {
            problems.add(`actual ${index}: request key "${requestKey}" has ${matches.length} predictions; name one by predictionId`, {
              field: `input.actuals[${index}].requestKey`,
              index,
            });
            return [];
          }
          prediction = matches[0];
        }
        if (seen.has(prediction.id)) {
          problems.add(`actual ${index}: prediction ${prediction.id} is given more than once`, { field: `input.actuals[${index}]`, index });
          return [];
        }
        seen.add(prediction.id);
        const spec = required(specs.get(prediction.modelVersionId), `preprocessing of model version ${prediction.modelVersionId}`);
        const actual = problems.check(() => checkActual(spec, item.actual, index, `input.actuals[${index}].${item.actualField ?? 'actual'}`));
        return actual === undefined ? [] : [{ id: prediction.id, actual }];
      });
      if (missing.length > 0) throw missing[0];
      problems.throwIfAny();
      return { recorded: await this.store.recordActuals(tx, updates) };
    });
    if (result.recorded > 0) this.events.emit('actualsRecorded', { deploymentId: deployment.id, recorded: result.recorded });
    return result;
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
function checkActual(spec: PreprocessingSpec, actual: unknown, index: number, field: string): string | number {
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
