import type { Prisma } from '../../generated/prisma/client';
import type { ModelVersion } from '../../domain/models/model-version';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { required } from '../../domain/common/required';
import { isUuid } from '../../domain/common/uuid';
import {
  aliasFollowOf,
  aliasMoveReason,
  describeFollow,
  planAliasMove,
  sameFollow,
  type AliasFollow,
  type AliasMovePlan,
  type AliasUpdateMode,
} from '../../domain/deployments/alias-follow';
import { changeReasonSchema, checkCanaryPercent, checkDeploymentName, rollbackReasonSchema } from '../../domain/deployments/deployment-rules';
import { collectInput, parseInput } from '../../domain/common/input-schema';
import { DEFAULT_BATCHING, patchBatching, type BatchingPatch } from '../../domain/deployments/batching';
import type { Deployment, DeploymentEvent, DeploymentEventKind } from '../../domain/deployments/deployment';
import { DEFAULT_DRIFT_MONITORING, patchDriftMonitoring, type DriftMonitoringPatch } from '../../domain/deployments/drift-monitoring';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError, Violations } from '../../domain/errors';
import type { Usage } from '../../domain/lifecycle/usage';
import { checkAliasName } from '../../domain/models/model-alias';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import type { ServingEvents } from '../serving/serving-events';
import { requireUsableVersion, type AliasFollowers, type AliasMove, type ModelVersionService } from '../model-versions/model-version.service';
import { findModel, lockModelRowShared } from '../models/model-repository';
import type { ModelService } from '../models/model.service';
import { aliasTarget as aliasTargetOf, findVersion, modelIdOfVersion, versionNumbers } from '../model-versions/model-version-repository';
import { isUniqueViolation } from '../prisma-errors';
import { DeploymentRepository } from './deployment-repository';

export type { Deployment, DeploymentEvent, DeploymentEventKind } from '../../domain/deployments/deployment';

export interface DeployModelInput {
  name: string;
  /** Either a version id ... */
  modelVersionId?: string | null;
  /** ... or a model (id or name) and one of its aliases, which the deployment then follows. */
  model?: string | null;
  alias?: string | null;
  /** By alias: what a move of the alias does (default SWITCH). */
  aliasUpdate?: AliasUpdateMode | null;
  /** By alias with CANARY: the canary share an alias move starts. */
  aliasCanaryPercent?: number | null;
  /** Drift monitoring settings differing from the defaults (see drift-monitoring.ts). */
  monitoring?: { drift?: DriftMonitoringPatch | null } | null;
}

/** Give either a version (the deployment is pinned to it) or an alias of the deployment's model (it follows it). */
export interface UpdateDeploymentInput {
  deployment: string;
  modelVersionId?: string | null;
  alias?: string | null;
  aliasUpdate?: AliasUpdateMode | null;
  aliasCanaryPercent?: number | null;
  reason?: string | null;
}

export interface DeploymentChange {
  deployment: Deployment;
  event: DeploymentEvent;
}

export interface RollbackInput {
  deployment: string;
  reason: string;
  /** Roll back only if the deployment still serves these versions (automatic rollbacks decide on a read made earlier). */
  expected?: { modelVersionId: string; canaryModelVersionId: string | null };
}

type Tx = Prisma.TransactionClient;

/** Longest rollback reason kept. */

/** The alias a deployment follows and how, or null when it is pinned to its versions. */
export function followOf(deployment: Pick<Deployment, 'followAlias' | 'aliasUpdate' | 'aliasCanaryPercent'>): AliasFollow | null {
  if (deployment.followAlias === null) return null;
  return { alias: deployment.followAlias, mode: deployment.aliasUpdate ?? 'SWITCH', canaryPercent: deployment.aliasCanaryPercent };
}

function followColumns(follow: AliasFollow | null): Pick<Deployment, 'followAlias' | 'aliasUpdate' | 'aliasCanaryPercent'> {
  return { followAlias: follow?.alias ?? null, aliasUpdate: follow?.mode ?? null, aliasCanaryPercent: follow?.canaryPercent ?? null };
}

/**
 * Deployments of model versions: create, switch, canary, promote, roll back, archive and restore.
 * Every change is a `DeploymentEvent` (actor, time, from, to, why) written in the transaction that
 * makes it, then published as `deploymentChanged` scoped to the deployment's name.
 *
 * A deployment made by alias follows the alias (as MLflow's `models:/name@alias` resolves at load
 * time): a move of the alias switches it, or starts a canary, in the transaction that moves the
 * alias (see `alias-follow.ts`); one made by version id is pinned. Every transaction locks the
 * model row before deployment rows (shared here, exclusively for alias moves and version
 * lifecycle), so alias moves and deployment changes serialize without deadlocks. Rows are read and
 * written through `DeploymentRepository`, in the transaction of the change.
 */
export class DeploymentService implements AliasFollowers<DeploymentChange> {
  private readonly store: DeploymentRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly models: ModelService,
    private readonly modelVersions: ModelVersionService,
    /** This process's serving bus: a change drops the deployment from its caches at once (other processes learn it by NOTIFY). */
    private readonly serving?: ServingEvents,
  ) {
    this.store = new DeploymentRepository(prisma);
  }

  /**
   * Applies a patch to a deployment's dynamic batching settings (`null` resets one).
   * @throws NotFoundError for an unknown deployment; ValidationError for a bad setting.
   */
  async setBatching(name: string, patch: BatchingPatch): Promise<Deployment> {
    // Every bad setting is refused before the deployment is looked up (the checks do not depend on the stored settings).
    patchBatching(DEFAULT_BATCHING, patch, 'input');
    const deployment = await this.store.setBatching(name, (current) => patchBatching(current, patch, 'input'));
    if (!deployment) throw new NotFoundError('deployment', name, { field: 'input.deployment' });
    this.serving?.emit('deploymentInvalidated', { name: deployment.name });
    await this.events.publish('deploymentSettingsChanged', { deploymentId: deployment.id, name: deployment.name }, deployment.name);
    return deployment;
  }

  async findDeployment(key: { id?: string | null; name?: string | null }): Promise<Deployment | null> {
    if (key.id != null && key.name != null) throw new ValidationError('give exactly one of id and name', { field: 'name' });
    if (key.id != null) return this.store.findById(key.id);
    if (key.name == null) throw new ValidationError('give exactly one of id and name', { field: 'id' });
    return this.store.findByName(key.name);
  }

  /** The deployment named `name`. @throws NotFoundError naming `field`. */
  async requireDeployment(name: string, field = 'input.deployment'): Promise<Deployment> {
    const deployment = await this.store.findByName(name);
    if (!deployment) throw new NotFoundError('deployment', name, { field });
    return deployment;
  }

  async findDeploymentsByIds(ids: readonly string[]): Promise<Deployment[]> {
    return this.store.findByIds(ids);
  }

  /**
   * The deployment named `name`, if it serves: archived deployments serve no predictions.
   * @throws NotFoundError; InvalidStateError when it is archived.
   */
  async requireServingDeployment(name: string, field = 'input.deployment'): Promise<Deployment> {
    const deployment = await this.requireDeployment(name, field);
    if (deployment.archivedAt) {
      throw new InvalidStateError(`deployment "${name}" is archived: it serves no predictions until it is restored (restoreDeployment)`, { field });
    }
    return deployment;
  }

  /** Deployments, newest first; archived ones only when asked. */
  async listDeployments(request: PageRequest, options: { includeArchived?: boolean | null } = {}): Promise<Page<Deployment>> {
    return this.store.page(request, { includeArchived: options.includeArchived ?? false });
  }

  /** A deployment's changes, newest first (by sequence). */
  async listEvents(deploymentId: string, request: PageRequest): Promise<Page<DeploymentEvent>> {
    return required((await this.pageEvents([deploymentId], request)).get(deploymentId), `page of events of deployment ${deploymentId}`);
  }

  /** The same page of each deployment's changes (newest first), by deployment id. */
  async pageEvents(deploymentIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DeploymentEvent>>> {
    return this.store.pageEvents(deploymentIds, request);
  }

  async findEvent(id: string): Promise<DeploymentEvent | null> {
    return this.store.findEvent(id);
  }

  /**
   * Creates a deployment serving a version given by id (pinned to it), or by a model and one of its
   * aliases (resolved in the transaction; the deployment follows the alias).
   */
  async deployModel(input: DeployModelInput, actor: string): Promise<DeploymentChange> {
    const problems = new Violations();
    const name = problems.check(() => checkDeploymentName(input.name));
    const drift = problems.check(() => patchDriftMonitoring(DEFAULT_DRIFT_MONITORING, input.monitoring?.drift ?? {}, 'input.monitoring.drift'));
    const shape = deployTargetOf(input, problems);
    problems.throwIfAny();
    if (name === undefined || drift === undefined || shape === undefined) throw new Error('unreachable: checked input without a value');
    const target = await this.deployTarget(shape);
    let change: DeploymentChange;
    try {
      change = await this.prisma.$transaction(async (tx) => {
        const model = await lockModelForUse(tx, target.modelId, target.field);
        const version = target.follow
          ? await aliasTarget(tx, model, target.follow.alias, 'input.alias')
          : await versionInTransaction(tx, target.versionId, 'input.modelVersionId');
        requireUsableVersion(version, target.follow ? 'input.alias' : 'input.modelVersionId');
        const deployment = await this.store.insert(tx, { name, modelId: version.modelId, modelVersionId: version.id, drift, ...followColumns(target.follow) });
        const reason = target.follow ? `${describeFollow(target.follow)}, at version ${version.version}` : null;
        const event = await recordEvent(this.store, tx, deployment, 'DEPLOYED', null, version.id, actor, reason);
        return { deployment, event };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'name')) throw new ConflictError(`a deployment named "${name}" already exists`, { field: 'input.name' });
      throw error;
    }
    return this.announceChange(change);
  }

  /**
   * Switches the stable version (no canary may be running); the old one becomes the rollback target.
   * By version id the deployment is pinned to it (it stops following an alias); by alias it serves
   * where the alias points and follows it from then on. When only the following changes (same
   * version), the event is ALIAS_FOLLOW_CHANGED.
   */
  async updateDeployment(input: UpdateDeploymentInput, actor: string): Promise<DeploymentChange> {
    const problems = new Violations();
    const byAlias = input.alias != null;
    let follow: AliasFollow | null = null;
    if ((input.modelVersionId != null) === byAlias) problems.add('give either modelVersionId or alias', { field: 'input.modelVersionId' });
    else if (!byAlias && (input.aliasUpdate != null || input.aliasCanaryPercent != null)) {
      problems.add('aliasUpdate and aliasCanaryPercent go with alias: by version id the deployment is pinned', {
        field: input.aliasUpdate != null ? 'input.aliasUpdate' : 'input.aliasCanaryPercent',
      });
    } else if (input.alias != null) follow = checkedFollow(input.alias, input.aliasUpdate, input.aliasCanaryPercent, problems) ?? null;
    const userReason = collectInput(changeReasonSchema, input.reason, 'input.reason', problems) ?? null;
    problems.throwIfAny();
    return this.change(input.deployment, async (tx, current) => {
      if (current.canaryModelVersionId) {
        throw new InvalidStateError(`deployment "${current.name}" is running a canary: promote or roll it back first`, { field: 'input.deployment' });
      }
      const field = follow ? 'input.alias' : 'input.modelVersionId';
      const version = follow
        ? await aliasTarget(tx, await modelOf(tx, current), follow.alias, field)
        : await this.versionOfModel(tx, current, required(input.modelVersionId, 'input.modelVersionId'), field);
      requireUsableVersion(version, field);
      const before = followOf(current);
      const note = follow ? describeFollow(follow) : before ? `pinned to version ${version.version}; no longer follows alias "${before.alias}"` : null;
      const reason = [userReason, note].filter((part) => part !== null).join('; ') || null;
      if (version.id === current.modelVersionId) {
        if (sameFollow(before, follow)) {
          const how = follow ? `and follows alias "${follow.alias}" so` : 'pinned to it';
          throw new InvalidStateError(`deployment "${current.name}" already serves model version ${version.id} ${how}`, { field });
        }
        const deployment = await this.store.update(tx, current.id, { ...followColumns(follow) });
        const event = await recordEvent(this.store, tx, deployment, 'ALIAS_FOLLOW_CHANGED', current.modelVersionId, version.id, actor, reason);
        return { deployment, event };
      }
      const deployment = await this.store.update(tx, current.id, {
        modelVersionId: version.id,
        previousModelVersionId: current.modelVersionId,
        ...followColumns(follow),
      });
      const event = await recordEvent(this.store, tx, deployment, 'UPDATED', current.modelVersionId, version.id, actor, reason);
      return { deployment, event };
    });
  }

  /**
   * Sends `percent` of requests (by request-key hash) to another version of the model; a running canary is replaced.
   * @throws ValidationError listing every problem of the input (a version of another model, the percent), each
   *   naming its field, before NotFoundError (an unknown deployment, whatever its name's shape, as for every
   *   change of a deployment) or InvalidStateError.
   */
  async startCanary(input: { deployment: string; modelVersionId: string; percent: number }, actor: string): Promise<DeploymentChange> {
    const problems = new Violations();
    // The version is checked against the deployment's model here too, so that it is listed with the other problems
    // (an unknown deployment or version is left to the transaction: NOT_FOUND once the input has no problems).
    await this.checkVersionOfDeployment(input.deployment, input.modelVersionId, 'input.modelVersionId', problems);
    const percent = problems.check(() => checkCanaryPercent(input.percent));
    problems.throwIfAny();
    if (percent === undefined) throw new Error('unreachable: checked input without a value');
    return this.change(input.deployment, async (tx, current) => {
      const version = requireUsableVersion(await this.versionOfModel(tx, current, input.modelVersionId, 'input.modelVersionId'), 'input.modelVersionId');
      if (version.id === current.modelVersionId) {
        throw new InvalidStateError(`model version ${version.id} is already the stable version of "${current.name}"`, { field: 'input.modelVersionId' });
      }
      const deployment = await this.store.update(tx, current.id, { canaryModelVersionId: version.id, canaryPercent: percent });
      const event = await recordEvent(this.store, tx, deployment, 'CANARY_STARTED', current.modelVersionId, version.id, actor, null, percent);
      return { deployment, event };
    });
  }

  /** Makes the canary the stable version; the old stable one becomes the rollback target. */
  async promoteCanary(name: string, actor: string): Promise<DeploymentChange> {
    return this.change(
      name,
      async (tx, current) => {
        const canary = current.canaryModelVersionId;
        if (!canary) throw new InvalidStateError(`deployment "${current.name}" has no canary to promote`, { field: 'deployment' });
        const deployment = await this.store.update(tx, current.id, {
          modelVersionId: canary,
          previousModelVersionId: current.modelVersionId,
          canaryModelVersionId: null,
          canaryPercent: null,
        });
        const event = await recordEvent(this.store, tx, deployment, 'CANARY_PROMOTED', current.modelVersionId, canary, actor, null, current.canaryPercent);
        return { deployment, event };
      },
      'deployment',
    );
  }

  /**
   * Ends a running canary (all traffic back to the stable version); without a canary, returns to
   * the version served before the last switch. A rollback is not itself rolled back.
   * @throws ValidationError listing every problem of the reason, before NotFoundError (an unknown deployment,
   *   whatever its name's shape, as for every change of a deployment) or InvalidStateError.
   */
  async rollbackDeployment(input: RollbackInput, actor: string): Promise<DeploymentChange> {
    const reason = parseInput(rollbackReasonSchema, input.reason, 'input.reason');
    return this.change(input.deployment, async (tx, current) => {
      const { expected } = input;
      if (expected && (expected.modelVersionId !== current.modelVersionId || expected.canaryModelVersionId !== current.canaryModelVersionId)) {
        throw new InvalidStateError(`deployment "${current.name}" changed since the rollback was decided`, { field: 'input.deployment' });
      }
      if (current.canaryModelVersionId) {
        const deployment = await this.store.update(tx, current.id, { canaryModelVersionId: null, canaryPercent: null });
        const event = await recordEvent(this.store, tx, deployment, 'ROLLED_BACK', current.canaryModelVersionId, current.modelVersionId, actor, reason);
        return { deployment, event };
      }
      const previous = current.previousModelVersionId;
      if (!previous)
        throw new InvalidStateError(`deployment "${current.name}" has no canary and no previous version to roll back to`, { field: 'input.deployment' });
      const deployment = await this.store.update(tx, current.id, { modelVersionId: previous, previousModelVersionId: null });
      const event = await recordEvent(this.store, tx, deployment, 'ROLLED_BACK', current.modelVersionId, previous, actor, reason);
      return { deployment, event };
    });
  }

  /** Archives the deployment: it leaves the default lists and serves no predictions until restored (an ARCHIVED event). */
  async archiveDeployment(name: string, actor: string): Promise<DeploymentChange> {
    return this.change(
      name,
      async (tx, current) => {
        if (current.archivedAt) throw new InvalidStateError(`deployment "${name}" is already archived`, { field: 'deployment' });
        const deployment = await this.store.update(tx, current.id, { archivedAt: new Date() });
        const event = await recordEvent(this.store, tx, deployment, 'ARCHIVED', current.modelVersionId, current.modelVersionId, actor);
        return { deployment, event };
      },
      'deployment',
    );
  }

  /** Restores an archived deployment: it serves again, the versions it had (a RESTORED event). */
  async restoreDeployment(name: string, actor: string): Promise<DeploymentChange> {
    return this.change(
      name,
      async (tx, current) => {
        if (!current.archivedAt) throw new InvalidStateError(`deployment "${name}" is not archived`, { field: 'deployment' });
        const deployment = await this.store.update(tx, current.id, { archivedAt: null });
        const event = await recordEvent(this.store, tx, deployment, 'RESTORED', current.modelVersionId, current.modelVersionId, actor);
        return { deployment, event };
      },
      'deployment',
    );
  }

  /**
   * The same page of the deployments (archived ones too) following each alias, by name, keyed by
   * `${modelId}/${alias}` (alias names have no '/'), each read through the (model_id, follow_alias) index.
   */
  async pageFollowers(aliasKeys: readonly string[], request: PageRequest): Promise<Map<string, Page<Deployment>>> {
    return this.store.pageFollowers(aliasKeys, request);
  }

  /** The deployments (archived ones too) that follow an alias of a model, as usages. */
  async followersOf(tx: Tx, modelId: string, alias: string): Promise<Usage[]> {
    const rows = await this.store.followers(tx, modelId, alias);
    return rows.map((row) => ({ kind: 'DEPLOYMENT' as const, id: row.id, name: row.name, how: 'follows it' }));
  }

  /**
   * Applies an alias move to every deployment that follows the alias, in the mover's transaction
   * (which holds the model row): each is locked, planned (`planAliasMove`) and changed with an event
   * whose reason names the move and which links to it. Returns the changes, for {@link announce}.
   */
  async followMove(tx: Tx, move: AliasMove): Promise<DeploymentChange[]> {
    const changes: DeploymentChange[] = [];
    for (const current of await this.store.lockFollowers(tx, move.modelId, move.alias)) {
      const follow = required(followOf(current), `alias "${move.alias}" followed by deployment "${current.name}"`);
      const canary = current.canaryModelVersionId ? { versionId: current.canaryModelVersionId, percent: current.canaryPercent ?? 0 } : null;
      const plan = planAliasMove({ stableVersionId: current.modelVersionId, canary }, follow, move.to.id);
      if (plan) changes.push(await applyAliasMove(this.store, tx, current, plan, move));
    }
    return changes;
  }

  /** Publishes changes made in a transaction that has committed. */
  async announce(changes: readonly DeploymentChange[]): Promise<void> {
    for (const change of changes) await this.announceChange(change);
  }

  /** Runs `apply` on the locked deployment row (its model row held shared first) in one transaction, then publishes the change. */
  private async change(name: string, apply: (tx: Tx, current: Deployment) => Promise<DeploymentChange>, field = 'input.deployment'): Promise<DeploymentChange> {
    const change = await this.prisma.$transaction(async (tx) => apply(tx, await lockDeployment(this.store, tx, name, field)));
    return this.announceChange(change);
  }

  private async announceChange(change: DeploymentChange): Promise<DeploymentChange> {
    const { deployment, event } = change;
    logger.info(
      { deployment: deployment.name, kind: event.kind, from: event.fromModelVersionId, to: event.toModelVersionId, actor: event.actor },
      'deployment changed',
    );
    this.serving?.emit('deploymentInvalidated', { name: deployment.name });
    await this.events.publish('deploymentChanged', { id: event.id, deploymentId: deployment.id, name: deployment.name }, deployment.name);
    return change;
  }

  /** The target of deployModel, its shape checked: the model, and the version id or the alias to follow. */
  private async deployTarget(
    target: DeployTarget,
  ): Promise<{ modelId: string; field: string } & ({ versionId: string; follow: null } | { versionId: null; follow: AliasFollow })> {
    if ('versionId' in target) {
      const version = await this.modelVersions.requireVersion(target.versionId, 'input.modelVersionId');
      return { modelId: version.modelId, versionId: version.id, follow: null, field: 'input.modelVersionId' };
    }
    const model = await this.models.findModel(isUuid(target.model) ? { id: target.model } : { name: target.model });
    if (!model) throw new NotFoundError('model', target.model, { field: 'input.model' });
    return { modelId: model.id, versionId: null, follow: target.follow, field: 'input.model' };
  }

  /** A version of the deployment's model: a deployment keeps one model, so one feature schema family. */
  private async versionOfModel(tx: Tx, deployment: Deployment, versionId: string, field: string): Promise<ModelVersion> {
    const version = await versionInTransaction(tx, versionId, field);
    if (version.modelId !== deployment.modelId) throw new ValidationError(anotherModelMessage(version.id, deployment.name), { field });
    return version;
  }

  /** Adds a problem when both the deployment and the version exist and the version is of another model (a deployment's model never changes). */
  private async checkVersionOfDeployment(name: string, versionId: string, field: string, problems: Violations): Promise<void> {
    const [deployment, versionModelId] = await Promise.all([this.store.findByName(name), modelIdOfVersion(this.prisma, versionId)]);
    if (deployment && versionModelId !== null && versionModelId !== deployment.modelId) problems.add(anotherModelMessage(versionId, name), { field });
  }
}

/**
 * Locks a deployment for a change: its model row first (shared), then the deployment row, the order
 * every transaction here and in alias moves follows.
 */
async function lockDeployment(store: DeploymentRepository, tx: Tx, name: string, field: string): Promise<Deployment> {
  const found = await store.modelOfName(tx, name);
  if (!found) throw new NotFoundError('deployment', name, { field });
  await lockModelRowShared(tx, found.modelId);
  const locked = await store.lock(tx, found.id);
  if (!locked) throw new NotFoundError('deployment', name, { field });
  return locked;
}

/** Holds the model row shared for a new deployment of it. @throws NotFoundError; InvalidStateError when the model is archived. */
async function lockModelForUse(tx: Tx, modelId: string, field: string): Promise<{ id: string; name: string }> {
  const model = await lockModelRowShared(tx, modelId);
  if (!model) throw new NotFoundError('model', modelId, { field });
  if (model.archivedAt) throw new InvalidStateError(`model "${model.name}" is archived: restore it first (restoreModel)`, { field });
  return model;
}

async function modelOf(tx: Tx, deployment: Deployment): Promise<{ id: string; name: string }> {
  return required(await findModel(tx, deployment.modelId), `model of deployment ${deployment.name}`);
}

async function versionInTransaction(tx: Tx, versionId: string, field: string): Promise<ModelVersion> {
  const version = await findVersion(tx, versionId);
  if (!version) throw new NotFoundError('model version', versionId, { field });
  return version;
}

/** Where an alias of the model points now. @throws NotFoundError naming `field`. */
async function aliasTarget(tx: Tx, model: { id: string; name: string }, alias: string, field: string): Promise<ModelVersion> {
  const version = await aliasTargetOf(tx, model.id, alias);
  if (!version) throw new NotFoundError(`alias of model "${model.name}"`, alias, { field });
  return version;
}

/** Makes the planned change of one following deployment, with its event (reason naming the move, linked to it). */
async function applyAliasMove(
  store: DeploymentRepository,
  tx: Tx,
  current: Deployment,
  plan: NonNullable<AliasMovePlan>,
  move: AliasMove,
): Promise<DeploymentChange> {
  const ids = [move.fromVersionId, move.to.id, current.modelVersionId, current.canaryModelVersionId].filter((id): id is string => id !== null);
  const numbers = await versionNumbers(tx, ids);
  const labelOf = (id: string) => {
    const number = numbers.get(id);
    return number === undefined ? id : `v${number}`;
  };
  const reason = aliasMoveReason(
    { alias: move.alias, from: move.fromVersionId ? labelOf(move.fromVersionId) : null, to: labelOf(move.to.id), actor: move.actor },
    plan,
    labelOf,
  );
  const record = (deployment: Deployment, kind: DeploymentEventKind, from: string, to: string, percent: number | null = null) =>
    recordEvent(store, tx, deployment, kind, from, to, move.actor, reason, percent, move.aliasEventId);
  switch (plan.kind) {
    case 'UPDATED': {
      const deployment = await store.update(tx, current.id, {
        modelVersionId: plan.stableVersionId,
        previousModelVersionId: plan.previousVersionId,
        canaryModelVersionId: null,
        canaryPercent: null,
      });
      return { deployment, event: await record(deployment, 'UPDATED', plan.previousVersionId, plan.stableVersionId) };
    }
    case 'CANARY_PROMOTED': {
      const deployment = await store.update(tx, current.id, {
        modelVersionId: plan.stableVersionId,
        previousModelVersionId: plan.previousVersionId,
        canaryModelVersionId: null,
        canaryPercent: null,
      });
      return { deployment, event: await record(deployment, 'CANARY_PROMOTED', plan.previousVersionId, plan.stableVersionId, plan.percent) };
    }
    case 'CANARY_STARTED': {
      const deployment = await store.update(tx, current.id, { canaryModelVersionId: plan.canaryVersionId, canaryPercent: plan.percent });
      return { deployment, event: await record(deployment, 'CANARY_STARTED', current.modelVersionId, plan.canaryVersionId, plan.percent) };
    }
    case 'ROLLED_BACK': {
      const deployment = await store.update(tx, current.id, { canaryModelVersionId: null, canaryPercent: null });
      return { deployment, event: await record(deployment, 'ROLLED_BACK', plan.endedCanary.versionId, current.modelVersionId) };
    }
  }
}

/** What deployModel deploys, as given: a version id, or a model (id or name) and the alias it follows. */
type DeployTarget = { versionId: string } | { model: string; follow: AliasFollow };

/** The shape of deployModel's target; its problems go to `problems` (undefined then). */
function deployTargetOf(input: DeployModelInput, problems: Violations): DeployTarget | undefined {
  const byAlias = input.model != null || input.alias != null;
  if ((input.modelVersionId != null) === byAlias) {
    problems.add('give either modelVersionId, or model and alias', { field: 'input.modelVersionId' });
    return undefined;
  }
  if (input.modelVersionId != null) {
    if (input.aliasUpdate != null || input.aliasCanaryPercent != null) {
      problems.add('aliasUpdate and aliasCanaryPercent go with model and alias: a deployment by version id is pinned', {
        field: input.aliasUpdate != null ? 'input.aliasUpdate' : 'input.aliasCanaryPercent',
      });
      return undefined;
    }
    return { versionId: input.modelVersionId };
  }
  if (input.model == null || input.alias == null) {
    problems.add('model and alias go together', { field: input.model == null ? 'input.model' : 'input.alias' });
    return undefined;
  }
  const follow = checkedFollow(input.alias, input.aliasUpdate, input.aliasCanaryPercent, problems);
  return follow && { model: input.model, follow };
}

/** The alias to follow and how (`input.alias`, `input.aliasUpdate`, `input.aliasCanaryPercent`); its problems go to `problems`. */
function checkedFollow(
  alias: string,
  mode: AliasUpdateMode | null | undefined,
  canaryPercent: number | null | undefined,
  problems: Violations,
): AliasFollow | undefined {
  const name = problems.check(() => checkAliasName(alias, 'input.alias'));
  const follow = problems.check(() => aliasFollowOf(alias, mode, canaryPercent, 'input'));
  return name === undefined ? undefined : follow;
}

function anotherModelMessage(versionId: string, deploymentName: string): string {
  return `model version ${versionId} belongs to another model than deployment "${deploymentName}"`;
}

/** Appends the deployment's next event; the caller holds the deployment row (locked or just created). */
async function recordEvent(
  store: DeploymentRepository,
  tx: Tx,
  deployment: Deployment,
  kind: DeploymentEventKind,
  fromModelVersionId: string | null,
  toModelVersionId: string,
  actor: string,
  reason: string | null = null,
  canaryPercent: number | null = null,
  aliasEventId: string | null = null,
): Promise<DeploymentEvent> {
  return store.appendEvent(tx, { deploymentId: deployment.id, kind, fromModelVersionId, toModelVersionId, actor, reason, canaryPercent, aliasEventId });
}
