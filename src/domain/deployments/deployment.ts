/**
 * Deployments and their change history as the services and resolvers see them: plain types, with
 * no database type in them. `src/services/deployments/deployment-repository.ts` reads and writes
 * them (the only code that touches the `deployments` and `deployment_events` tables) and maps rows
 * to these, decoding the settings columns once (`monitoring` into drift and alerting settings,
 * `serving` into batching settings, defaults filled in).
 */
import type { AlertMonitoringSettings } from '../alerts/alert-monitoring';
import type { AliasUpdateMode } from './alias-follow';
import type { BatchingSettings } from './batching';
import type { DriftMonitoringSettings } from './drift-monitoring';

/**
 * What changed in a deployment. ALIAS_FOLLOW_CHANGED: it started or stopped following an alias,
 * serving the same versions; ARCHIVED / RESTORED: it stopped / started serving again.
 */
export type DeploymentEventKind =
  'DEPLOYED' | 'UPDATED' | 'CANARY_STARTED' | 'CANARY_PROMOTED' | 'ROLLED_BACK' | 'ALIAS_FOLLOW_CHANGED' | 'ARCHIVED' | 'RESTORED';

/** The settings kept in a deployment's `monitoring` column, each with its defaults filled in. */
export interface DeploymentMonitoring {
  /** The `drift` key (`drift-monitoring.ts`). */
  drift: DriftMonitoringSettings;
  /** The alerting keys at the column's top level (`alert-monitoring.ts`). */
  alerting: AlertMonitoringSettings;
}

/** A named endpoint serving versions of one model. */
export interface Deployment {
  id: string;
  /** Unique. */
  name: string;
  /** A deployment keeps its model: every version it serves is one of this model's. */
  modelId: string;
  /** The stable version: serves every request the canary does not. */
  modelVersionId: string;
  /** The version served before the last switch: where a rollback without a canary returns to. */
  previousModelVersionId: string | null;
  canaryModelVersionId: string | null;
  /** Share of requests (0-100, exclusive) the canary serves, by a stable hash of the request key. */
  canaryPercent: number | null;
  /** The alias of the model it follows (deployed or updated by alias); null when pinned to its versions. */
  followAlias: string | null;
  /** What a move of the followed alias does; null when pinned. */
  aliasUpdate: AliasUpdateMode | null;
  /** The canary share an alias move starts when `aliasUpdate` is CANARY. */
  aliasCanaryPercent: number | null;
  monitoring: DeploymentMonitoring;
  /** Dynamic batching (the `serving` column). */
  batching: BatchingSettings;
  createdAt: Date;
  updatedAt: Date;
  /** Set while archived: hidden from lists, serves no predictions. */
  archivedAt: Date | null;
}

/** One change of a deployment: who, when, from which version to which, and why. Never changed once written. */
export interface DeploymentEvent {
  id: string;
  deploymentId: string;
  /** 1, 2, ... per deployment, in the order the changes committed (times may tie). */
  sequence: number;
  kind: DeploymentEventKind;
  /** The version serving before (the stable one for CANARY_STARTED, the canary for a canary rollback). */
  fromModelVersionId: string | null;
  /** The version serving after (the canary for CANARY_STARTED). */
  toModelVersionId: string;
  /** Canary share, for CANARY_STARTED and CANARY_PROMOTED. */
  canaryPercent: number | null;
  /** The API key's name, or `mlplane` for its own actions (automatic rollback). */
  actor: string;
  reason: string | null;
  /** The alias move (a model alias event) that made this change, when one did. */
  aliasEventId: string | null;
  createdAt: Date;
}

/** A deployment by its id and name only (what alerts and lifecycle usages name). */
export interface DeploymentRef {
  id: string;
  name: string;
}
