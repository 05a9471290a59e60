import type { Deployment, DeploymentEvent, DeploymentEventKind, ModelVersion, Prisma } from '../../generated/prisma/client';
import { checkPageSize, decodeCursor, encodeCursor, type Page, type PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import { checkCanaryPercent, checkDeploymentName } from '../../domain/deployments/deployment-rules';
import { DEFAULT_DRIFT_MONITORING, patchDriftMonitoring, type DriftMonitoringPatch } from '../../domain/deployments/drift-monitoring';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import type { ModelVersionService } from '../model-versions/model-version.service';
import type { ModelService } from '../models/model.service';
import { isUniqueViolation } from '../prisma-errors';

export type { Deployment, DeploymentEvent, DeploymentEventKind } from '../../generated/prisma/client';

export interface DeployModelInput {
  name: string;
  /** Either a version id ... */
  modelVersionId?: string | null;
  /** ... or a model (id or name) and one of its aliases. */
  model?: string | null;
  alias?: string | null;
  /** Drift monitoring settings differing from the defaults (see drift-monitoring.ts). */
  monitoring?: { drift?: DriftMonitoringPatch | null } | null;
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
const MAX_REASON_LENGTH = 2_000;

/**
 * Deployments of model versions: create, switch, canary, promote and roll back. Every change is a
 * `DeploymentEvent` (actor, time, from, to, why) written in the transaction that makes it, then
 * published as `deploymentChanged` scoped to the deployment's name.
 */
export class DeploymentService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly models: ModelService,
    private readonly modelVersions: ModelVersionService,
  ) {}

  async findDeployment(key: { id?: string | null; name?: string | null }): Promise<Deployment | null> {
    if ((key.id == null) === (key.name == null)) {
      throw new ValidationError('give exactly one of id and name', { field: key.id == null ? 'id' : 'name' });
    }
    if (key.id != null) return isUuid(key.id) ? this.prisma.deployment.findUnique({ where: { id: key.id } }) : null;
    return this.prisma.deployment.findUnique({ where: { name: key.name ?? '' } });
  }

  /** The deployment named `name`. @throws NotFoundError naming `field`. */
  async requireDeployment(name: string, field = 'input.deployment'): Promise<Deployment> {
    const deployment = await this.prisma.deployment.findUnique({ where: { name } });
    if (!deployment) throw new NotFoundError('deployment', name, { field });
    return deployment;
  }

  async findDeploymentsByIds(ids: readonly string[]): Promise<Deployment[]> {
    return this.prisma.deployment.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  }

  /** Deployments, newest first. */
  async listDeployments(request: PageRequest): Promise<Page<Deployment>> {
    const first = checkPageSize(request.first);
    const after = request.after ? decodeCursor(request.after) : undefined;
    const where: Prisma.DeploymentWhereInput = after
      ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
      : {};
    const [rows, totalCount] = await Promise.all([
      this.prisma.deployment.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first + 1 }),
      this.prisma.deployment.count(),
    ]);
    return { items: rows.slice(0, first), hasNextPage: rows.length > first, totalCount, cursorOf: encodeCursor };
  }

  /** A deployment's changes, newest first; `after` is a cursor from a previous page. */
  async listEvents(deploymentId: string, request: PageRequest): Promise<Page<DeploymentEvent>> {
    const first = checkPageSize(request.first);
    const before = request.after ? decodeSequenceCursor(request.after) : undefined;
    const where: Prisma.DeploymentEventWhereInput = before === undefined ? { deploymentId } : { deploymentId, sequence: { lt: before } };
    const [rows, totalCount] = await Promise.all([
      this.prisma.deploymentEvent.findMany({ where, orderBy: { sequence: 'desc' }, take: first + 1 }),
      this.prisma.deploymentEvent.count({ where: { deploymentId } }),
    ]);
    return { items: rows.slice(0, first), hasNextPage: rows.length > first, totalCount, cursorOf: (event) => encodeSequenceCursor(event.sequence) };
  }

  async findEvent(id: string): Promise<DeploymentEvent | null> {
    return isUuid(id) ? this.prisma.deploymentEvent.findUnique({ where: { id } }) : null;
  }

  /** Creates a deployment serving a version given by id, or by a model and one of its aliases. */
  async deployModel(input: DeployModelInput, actor: string): Promise<DeploymentChange> {
    const name = checkDeploymentName(input.name);
    const drift = patchDriftMonitoring(DEFAULT_DRIFT_MONITORING, input.monitoring?.drift ?? {}, 'input.monitoring.drift');
    const version = await this.versionToDeploy(input);
    let change: DeploymentChange;
    try {
      change = await this.prisma.$transaction(async (tx) => {
        const deployment = await tx.deployment.create({
          data: { name, modelId: version.modelId, modelVersionId: version.id, monitoring: { drift } as unknown as Prisma.InputJsonValue },
        });
        const event = await recordEvent(tx, deployment, 'DEPLOYED', null, version.id, actor);
        return { deployment, event };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'name')) throw new ConflictError(`a deployment named "${name}" already exists`, { field: 'input.name' });
      throw error;
    }
    return this.announce(change);
  }

  /** Switches the stable version (no canary may be running); the old one becomes the rollback target. */
  async updateDeployment(input: { deployment: string; modelVersionId: string; reason?: string | null }, actor: string): Promise<DeploymentChange> {
    return this.change(input.deployment, async (tx, current) => {
      if (current.canaryModelVersionId) {
        throw new InvalidStateError(`deployment "${current.name}" is running a canary: promote or roll it back first`, { field: 'input.deployment' });
      }
      const version = await this.versionOfModel(current, input.modelVersionId, 'input.modelVersionId');
      if (version.id === current.modelVersionId) {
        throw new InvalidStateError(`deployment "${current.name}" already serves model version ${version.id}`, { field: 'input.modelVersionId' });
      }
      const deployment = await tx.deployment.update({
        where: { id: current.id },
        data: { modelVersionId: version.id, previousModelVersionId: current.modelVersionId, updatedAt: new Date() },
      });
      const event = await recordEvent(tx, deployment, 'UPDATED', current.modelVersionId, version.id, actor, optionalReason(input.reason));
      return { deployment, event };
    });
  }

  /** Sends `percent` of requests (by request-key hash) to another version of the model; a running canary is replaced. */
  async startCanary(input: { deployment: string; modelVersionId: string; percent: number }, actor: string): Promise<DeploymentChange> {
    const percent = checkCanaryPercent(input.percent);
    return this.change(input.deployment, async (tx, current) => {
      const version = await this.versionOfModel(current, input.modelVersionId, 'input.modelVersionId');
      if (version.id === current.modelVersionId) {
        throw new InvalidStateError(`model version ${version.id} is already the stable version of "${current.name}"`, { field: 'input.modelVersionId' });
      }
      const deployment = await tx.deployment.update({
        where: { id: current.id },
        data: { canaryModelVersionId: version.id, canaryPercent: percent, updatedAt: new Date() },
      });
      const event = await recordEvent(tx, deployment, 'CANARY_STARTED', current.modelVersionId, version.id, actor, null, percent);
      return { deployment, event };
    });
  }

  /** Makes the canary the stable version; the old stable one becomes the rollback target. */
  async promoteCanary(name: string, actor: string): Promise<DeploymentChange> {
    return this.change(name, async (tx, current) => {
      const canary = current.canaryModelVersionId;
      if (!canary) throw new InvalidStateError(`deployment "${current.name}" has no canary to promote`, { field: 'deployment' });
      const deployment = await tx.deployment.update({
        where: { id: current.id },
        data: { modelVersionId: canary, previousModelVersionId: current.modelVersionId, canaryModelVersionId: null, canaryPercent: null, updatedAt: new Date() },
      });
      const event = await recordEvent(tx, deployment, 'CANARY_PROMOTED', current.modelVersionId, canary, actor, null, current.canaryPercent);
      return { deployment, event };
    }, 'deployment');
  }

  /**
   * Ends a running canary (all traffic back to the stable version); without a canary, returns to
   * the version served before the last switch. A rollback is not itself rolled back.
   */
  async rollbackDeployment(input: RollbackInput, actor: string): Promise<DeploymentChange> {
    const reason = input.reason.trim();
    if (reason.length === 0) throw new ValidationError('a rollback needs a reason', { field: 'input.reason' });
    return this.change(input.deployment, async (tx, current) => {
      const { expected } = input;
      if (expected && (expected.modelVersionId !== current.modelVersionId || expected.canaryModelVersionId !== current.canaryModelVersionId)) {
        throw new InvalidStateError(`deployment "${current.name}" changed since the rollback was decided`, { field: 'input.deployment' });
      }
      if (current.canaryModelVersionId) {
        const deployment = await tx.deployment.update({
          where: { id: current.id },
          data: { canaryModelVersionId: null, canaryPercent: null, updatedAt: new Date() },
        });
        const event = await recordEvent(tx, deployment, 'ROLLED_BACK', current.canaryModelVersionId, current.modelVersionId, actor, limitReason(reason));
        return { deployment, event };
      }
      const previous = current.previousModelVersionId;
      if (!previous) throw new InvalidStateError(`deployment "${current.name}" has no canary and no previous version to roll back to`, { field: 'input.deployment' });
      const deployment = await tx.deployment.update({
        where: { id: current.id },
        data: { modelVersionId: previous, previousModelVersionId: null, updatedAt: new Date() },
      });
      const event = await recordEvent(tx, deployment, 'ROLLED_BACK', current.modelVersionId, previous, actor, limitReason(reason));
      return { deployment, event };
    });
  }

  /** Runs `apply` on the locked deployment row in one transaction, then publishes the change. */
  private async change(name: string, apply: (tx: Tx, current: Deployment) => Promise<DeploymentChange>, field = 'input.deployment'): Promise<DeploymentChange> {
    const change = await this.prisma.$transaction(async (tx) => {
      const locked = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM deployments WHERE name = ${name} FOR UPDATE`).at(0);
      if (!locked) throw new NotFoundError('deployment', name, { field });
      const current = await tx.deployment.findUniqueOrThrow({ where: { id: locked.id } });
      return apply(tx, current);
    });
    return this.announce(change);
  }

  private async announce(change: DeploymentChange): Promise<DeploymentChange> {
    const { deployment, event } = change;
    logger.info(
      { deployment: deployment.name, kind: event.kind, from: event.fromModelVersionId, to: event.toModelVersionId, actor: event.actor },
      'deployment changed',
    );
    await this.events.publish('deploymentChanged', { id: event.id, deploymentId: deployment.id }, deployment.name);
    return change;
  }

  private async versionToDeploy(input: DeployModelInput): Promise<ModelVersion> {
    const byAlias = input.model != null || input.alias != null;
    if ((input.modelVersionId != null) === byAlias) {
      throw new ValidationError('give either modelVersionId, or model and alias', { field: 'input.modelVersionId' });
    }
    if (input.modelVersionId != null) return this.modelVersions.requireVersion(input.modelVersionId, 'input.modelVersionId');
    if (input.model == null || input.alias == null) {
      throw new ValidationError('model and alias go together', { field: input.model == null ? 'input.model' : 'input.alias' });
    }
    const model = await this.models.findModel(isUuid(input.model) ? { id: input.model } : { name: input.model });
    if (!model) throw new NotFoundError('model', input.model, { field: 'input.model' });
    const version = await this.modelVersions.resolveAlias(model.id, input.alias);
    if (!version) throw new NotFoundError(`alias of model "${model.name}"`, input.alias, { field: 'input.alias' });
    return version;
  }

  /** A version of the deployment's model: a deployment keeps one model, so one feature schema family. */
  private async versionOfModel(deployment: Deployment, versionId: string, field: string): Promise<ModelVersion> {
    const version = await this.modelVersions.requireVersion(versionId, field);
    if (version.modelId !== deployment.modelId) {
      throw new ValidationError(`model version ${version.id} belongs to another model than deployment "${deployment.name}"`, { field });
    }
    return version;
  }
}

function optionalReason(reason: string | null | undefined): string | null {
  const trimmed = reason?.trim();
  return trimmed ? limitReason(trimmed) : null;
}

function limitReason(reason: string): string {
  if (reason.length > MAX_REASON_LENGTH) {
    throw new ValidationError(`reason is longer than ${MAX_REASON_LENGTH} characters`, { field: 'input.reason' });
  }
  return reason;
}

/** Appends the deployment's next event; the caller holds the deployment row (locked or just created). */
async function recordEvent(
  tx: Tx,
  deployment: Deployment,
  kind: DeploymentEventKind,
  fromModelVersionId: string | null,
  toModelVersionId: string,
  actor: string,
  reason: string | null = null,
  canaryPercent: number | null = null,
): Promise<DeploymentEvent> {
  const last = await tx.deploymentEvent.aggregate({ where: { deploymentId: deployment.id }, _max: { sequence: true } });
  return tx.deploymentEvent.create({
    data: { deploymentId: deployment.id, sequence: (last._max.sequence ?? 0) + 1, kind, fromModelVersionId, toModelVersionId, actor, reason, canaryPercent },
  });
}

function encodeSequenceCursor(sequence: number): string {
  return Buffer.from(`event|${sequence}`).toString('base64url');
}

/** @throws ValidationError (field `after`) for a cursor this API did not issue. */
function decodeSequenceCursor(cursor: string): number {
  const [tag, value] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const sequence = Number(value);
  if (tag !== 'event' || !Number.isInteger(sequence) || sequence < 1) throw new ValidationError(`"${cursor}" is not a valid cursor`, { field: 'after' });
  return sequence;
}
