import { uuidV7 } from '../../domain/common/uuid-v7';
import { performance } from 'node:perf_hooks';
import type { Deployment } from '../../domain/deployments/deployment';
import { routesToCanary } from '../../domain/deployments/deployment-rules';
import { DomainError, InvalidStateError, NotFoundError, ValidationError, type Violation } from '../../domain/errors';
import type { FeatureRecord, PreprocessingSpec } from '../../ml/preprocessing';
import { NumericRows, numericRowsFromRecords } from '../../ml/serving/numeric-rows';
import {
  checkFiniteOutputs,
  encodeInstances,
  encodeNumericInstances,
  INSTANCE_LIST_FIELDS,
  MAX_INSTANCES_PER_REQUEST,
  type InstanceFields,
  type PredictionOutput,
} from '../../ml/serving/prediction-request';
import { encodeNumericRowVector, encodePredictionVector } from '../../ml/serving/prediction-vector';
import type { LoadedModelVersion } from '../model-versions/model-version.service';
import type { ModelCache } from '../predictions/model-cache';
import type { PredictionLog, PredictionRecord } from '../predictions/prediction-log';
import { MissingPredictionParentError } from '../predictions/prediction-repository';
import type { DeploymentCache } from './deployment-cache';
import type { InferenceBatcher } from './inference-batcher';
import type { ServingEvents, ServingRoute } from './serving-events';

/** Longest request key kept (it is stored with every prediction and hashed for canary routing). */
export const MAX_REQUEST_KEY_LENGTH = 200;

/** Instances as records, or as one numeric block (all-numeric instances: a protocol tensor, or records holding exactly the features). */
export type Instances = readonly FeatureRecord[] | NumericRows;

/** The request's instances, or how to read them once the served version's schema is known (tensors in schema order). */
export type InstanceSource = readonly FeatureRecord[] | ((spec: PreprocessingSpec) => Instances);

/** Sees the deployment a serving call resolved and throws to refuse it (a PREDICTOR key's deployment list). */
export type DeploymentGuard = (deployment: { id: string; name: string }) => void;
export const allowAnyDeployment: DeploymentGuard = () => undefined;

export interface ServeRequest {
  deployment: string;
  /** Refuses the resolved deployment before anything runs. @default every deployment */
  guard?: DeploymentGuard;
  instances: InstanceSource;
  /** Routes the request (canary share) and finds its predictions later; a new UUID when absent. */
  requestKey?: string | null;
  route: ServingRoute;
  /** Input paths errors name. @default input.instances[i] */
  fields?: InstanceFields;
  /** Problems found while reading the instances from the entry point's form, reported with the schema check's. @default none */
  formProblems?: readonly Violation[];
  /** Field errors name for the deployment. @default input.deployment */
  deploymentField?: string;
  /** Field errors name for the request key. @default input.requestKey */
  requestKeyField?: string;
}

export interface ServedPrediction {
  id: string;
  index: number;
  output: PredictionOutput;
}

export interface ServeResult {
  requestKey: string;
  deploymentId: string;
  deploymentName: string;
  modelVersionId: string;
  /** Whether the canary version served this request. */
  canary: boolean;
  predictions: ServedPrediction[];
  spec: PreprocessingSpec;
}

/** A deployment's served version, as protocol metadata describes it. */
export interface ServedVersion {
  deployment: Deployment;
  modelVersionId: string;
  spec: PreprocessingSpec;
}

export interface ServingPipelineParts {
  deployments: DeploymentCache;
  models: ModelCache;
  batcher: InferenceBatcher;
  log: PredictionLog;
  events: ServingEvents;
}

/**
 * The one path of a prediction request, whatever the entry point (GraphQL `predict`, the Open
 * Inference Protocol): resolve the deployment and the version (stable or canary, by request key),
 * check and encode the instances, infer (batched with concurrent requests), log every prediction
 * (group commit: resolves once committed), then publish `predictionsServed`, to which drift,
 * alert and metric monitors subscribe. A failure publishes `predictionFailed` and is rethrown.
 */
export class ServingPipeline {
  constructor(private readonly parts: ServingPipelineParts) {}

  async serve(request: ServeRequest): Promise<ServeResult> {
    const arrived = performance.now();
    let deployment: Deployment | null = null;
    try {
      const requestKey = checkRequestKey(request.requestKey, request.requestKeyField);
      deployment = await this.requireServingDeployment(request.deployment, request.deploymentField);
      (request.guard ?? allowAnyDeployment)(deployment);
      const canaryVersionId = deployment.canaryModelVersionId;
      const canary = canaryVersionId !== null && routesToCanary(requestKey, deployment.canaryPercent ?? 0);
      const modelVersionId = canary ? canaryVersionId : deployment.modelVersionId;
      const loaded = await this.parts.models.get(modelVersionId);
      const started = performance.now();
      const spec = loaded.preprocessing;
      const given = typeof request.instances === 'function' ? request.instances(spec) : request.instances;
      // All-numeric instances are encoded and logged as one block; anything else (or any problem) as records.
      const instances =
        given instanceof NumericRows || (request.formProblems?.length ?? 0) > 0
          ? given
          : (numericRowsFromRecords(spec.features, given, MAX_INSTANCES_PER_REQUEST) ?? given);
      const x =
        instances instanceof NumericRows
          ? encodeNumericInstances(spec, instances, request.fields ?? INSTANCE_LIST_FIELDS)
          : encodeInstances(spec, instances, request.fields ?? INSTANCE_LIST_FIELDS, request.formProblems);
      const outputs = await this.parts.batcher.infer(modelVersionId, loaded, x, deployment.batching);
      checkFiniteOutputs(outputs, request.fields ?? INSTANCE_LIST_FIELDS);
      const latencyMs = performance.now() - started;
      const createdAt = new Date();
      const predictions = outputs.map((output, index) => ({ id: uuidV7(createdAt.getTime()), index, output }));
      await this.parts.log
        .append(logRecords(deployment.id, modelVersionId, requestKey, spec, instances, predictions, latencyMs, createdAt))
        .catch((error: unknown) => {
          // Deleted while this process still served it from its cache: the log refused rows naming it.
          if (error instanceof MissingPredictionParentError)
            throw new NotFoundError('deployment', request.deployment, { field: request.deploymentField ?? 'input.deployment' });
          throw error;
        });
      this.parts.events.emit('predictionsServed', {
        deploymentId: deployment.id,
        deploymentName: deployment.name,
        modelVersionId,
        canary,
        route: request.route,
        count: predictions.length,
        createdAt,
        latencyMs,
        totalMs: performance.now() - arrived,
      });
      return { requestKey, deploymentId: deployment.id, deploymentName: deployment.name, modelVersionId, canary, predictions, spec };
    } catch (error) {
      this.parts.events.emit('predictionFailed', {
        deploymentId: deployment?.id ?? null,
        deploymentName: request.deployment,
        route: request.route,
        serverFault: isServerFault(error),
        totalMs: performance.now() - arrived,
      });
      throw error;
    }
  }

  /** The deployment's stable version and its schema (what protocol metadata describes). */
  async describe(name: string, field = 'input.deployment'): Promise<ServedVersion> {
    const deployment = await this.requireDeployment(name, field);
    const loaded: LoadedModelVersion = await this.parts.models.get(deployment.modelVersionId);
    return { deployment, modelVersionId: deployment.modelVersionId, spec: loaded.preprocessing };
  }

  /** The deployment named `name`, from this process's cache. @throws NotFoundError naming `field`. */
  async requireDeployment(name: string, field = 'input.deployment'): Promise<Deployment> {
    const deployment = await this.parts.deployments.get(name);
    if (!deployment) throw new NotFoundError('deployment', name, { field });
    return deployment;
  }

  /** {@link requireDeployment}, refused while archived: an archived deployment serves no predictions. @throws InvalidStateError */
  async requireServingDeployment(name: string, field = 'input.deployment'): Promise<Deployment> {
    const deployment = await this.requireDeployment(name, field);
    if (deployment.archivedAt) {
      throw new InvalidStateError(`deployment "${name}" is archived: it serves no predictions until it is restored (restoreDeployment)`, { field });
    }
    return deployment;
  }
}

/**
 * The request's key: the client's, else a new UUIDv7. A time-ordered key puts each request's rows at
 * the right edge of the log's (deployment, request key) index, where a random one would touch a
 * random page of it per request.
 */
function checkRequestKey(given: string | null | undefined, field = 'input.requestKey'): string {
  const requestKey = given ?? uuidV7();
  if (requestKey.length === 0 || requestKey.length > MAX_REQUEST_KEY_LENGTH) {
    throw new ValidationError(`the request key must be 1-${MAX_REQUEST_KEY_LENGTH} characters`, { field });
  }
  return requestKey;
}

/** Caller mistakes (domain errors: bad input, unknown deployment) are not server faults; anything else is. */
function isServerFault(error: unknown): boolean {
  return !(error instanceof DomainError) || error.code === ('SERVICE_UNAVAILABLE' as string) || error.code === ('INTERNAL_SERVER_ERROR' as string);
}

/** The log rows of one request: the drift vector holds the inputs; their JSON only when it cannot. */
function logRecords(
  deploymentId: string,
  modelVersionId: string,
  requestKey: string,
  spec: PreprocessingSpec,
  instances: Instances,
  predictions: readonly ServedPrediction[],
  latencyMs: number,
  createdAt: Date,
): PredictionRecord[] {
  const numeric = instances instanceof NumericRows;
  return predictions.map((prediction) => {
    const vector = numeric
      ? encodeNumericRowVector(spec, instances.values, prediction.index, prediction.output)
      : encodePredictionVector(spec, instances[prediction.index], prediction.output);
    return {
      id: prediction.id,
      deploymentId,
      modelVersionId,
      requestKey,
      instanceIndex: prediction.index,
      inputs: vector !== null ? null : numeric ? instances.record(prediction.index) : instances[prediction.index],
      output: prediction.output,
      vector,
      latencyMs,
      createdAt,
    };
  });
}
