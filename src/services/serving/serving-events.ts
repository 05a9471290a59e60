import { logger } from '../../infra/logger';

/** Where a prediction request came in. */
export type ServingRoute = 'graphql' | 'v2';

/** One request answered: its predictions are committed to the log. */
export interface PredictionsServed {
  deploymentId: string;
  deploymentName: string;
  modelVersionId: string;
  canary: boolean;
  route: ServingRoute;
  /** Predictions (instances) of the request. */
  count: number;
  /** When the predictions were stamped (before their commit). */
  createdAt: Date;
  /** Validate + encode + infer, in milliseconds (what the log stores). */
  latencyMs: number;
  /** From arrival to commit, in milliseconds. */
  totalMs: number;
}

/** One request refused or failed; `deploymentId` is null when the deployment could not be resolved. */
export interface PredictionFailed {
  deploymentId: string | null;
  deploymentName: string;
  route: ServingRoute;
  /** A server fault (counts toward ERROR_RATE), not a caller's mistake. */
  serverFault: boolean;
  totalMs: number;
}

/** One model call that answered `requests` requests with `rows` rows in total. */
export interface BatchInferred {
  modelVersionId: string;
  requests: number;
  rows: number;
  inferMs: number;
}

/** One group commit of the prediction log. */
export interface LogCommitted {
  rows: number;
  requests: number;
  commitMs: number;
  ok: boolean;
}

/** A deployment changed (version, canary, settings) in this or another process: caches drop it. */
export interface DeploymentInvalidated {
  /** Deployment name; null: every deployment (e.g. the event bus reconnected and may have missed some). */
  name: string | null;
}

/** Actuals were attached to a deployment's predictions (a performance window may be complete). */
export interface ActualsRecorded {
  deploymentId: string;
  recorded: number;
}

export interface DriftReportStored {
  deploymentName: string;
  drifted: boolean;
}

/** The typed in-process events of serving, by name. */
export interface ServingEventMap {
  predictionsServed: PredictionsServed;
  predictionFailed: PredictionFailed;
  batchInferred: BatchInferred;
  logCommitted: LogCommitted;
  deploymentInvalidated: DeploymentInvalidated;
  driftReported: DriftReportStored;
  actualsRecorded: ActualsRecorded;
}

type Listener<T> = (event: T) => void;

/**
 * The in-process bus of serving: the pipeline publishes what happened, monitors (drift, alerts,
 * metrics) and caches subscribe. Delivery is synchronous and isolated: a throwing listener is
 * logged and the others still run, so a monitor can never fail or delay a request. Listeners must
 * not block (start background work and return).
 */
export class ServingEvents {
  private readonly listeners = new Map<keyof ServingEventMap, Set<Listener<never>>>();

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof ServingEventMap>(name: K, listener: Listener<ServingEventMap[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof ServingEventMap>(name: K, event: ServingEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<ServingEventMap[K]>)(event);
      } catch (error) {
        logger.error({ err: error, event: name }, 'serving event listener failed');
      }
    }
  }
}
