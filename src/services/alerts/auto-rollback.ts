import type { Alert } from '../../domain/alerts/alert';
import { InvalidStateError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { DeploymentRepository } from '../deployments/deployment-repository';
import { logger } from '../../infra/logger';
import type { DeploymentEventKind } from '../../domain/deployments/deployment';
import type { DeploymentChange, DeploymentService } from '../deployments/deployment.service';
import { SYSTEM_ACTOR } from '../../domain/auth/principal';
import type { AlertService } from './alert.service';

/** The kinds whose CRITICAL alerts roll a deployment back. */
const ROLLBACK_KINDS = new Set<Alert['kind']>(['PERFORMANCE_DROP', 'ERROR_RATE']);

/** The version switches a rollback undoes (a rollback is never rolled back). */
const SWITCH_EVENTS = new Set<DeploymentEventKind>(['UPDATED', 'CANARY_PROMOTED']);

/**
 * Automatic rollback: with `monitoring.autoRollback` on, a CRITICAL PERFORMANCE_DROP or ERROR_RATE
 * alert of a deployment running a canary, or raised within `monitoring.rollbackWindowSeconds` after
 * its last version switch, rolls it back as actor `mlplane` with a reason naming the alert.
 */
export class AutoRollback {
  private readonly log = logger.child({ component: 'auto-rollback' });
  private readonly store: DeploymentRepository;

  constructor(
    prisma: PrismaClient,
    private readonly deployments: DeploymentService,
  ) {
    this.store = new DeploymentRepository(prisma);
  }

  /** Hooks the rollback into every alert `alerts` raises. */
  attach(alerts: AlertService): void {
    alerts.onRaised((alert) => this.consider(alert).then(() => undefined));
  }

  /** Rolls back the alert's deployment when the policy says so; returns the change, or null. */
  async consider(alert: Alert, now = new Date()): Promise<DeploymentChange | null> {
    if (alert.severity !== 'CRITICAL' || !ROLLBACK_KINDS.has(alert.kind) || !alert.deploymentId) return null;
    const deployment = await this.store.findById(alert.deploymentId);
    if (!deployment) return null;
    const settings = deployment.monitoring.alerting;
    if (!settings.autoRollback) return null;
    let cause: string;
    if (deployment.canaryModelVersionId) {
      cause = `during the canary of model version ${deployment.canaryModelVersionId}`;
    } else {
      const last = await this.store.lastEvent(deployment.id);
      const since = last ? (now.getTime() - last.createdAt.getTime()) / 1000 : Infinity;
      if (!last || !SWITCH_EVENTS.has(last.kind) || since > settings.rollbackWindowSeconds || !deployment.previousModelVersionId) return null;
      cause = `${Math.round(since)} s after the switch to model version ${deployment.modelVersionId}`;
    }
    const reason = `automatic rollback: ${alert.severity} ${alert.kind} alert ${alert.id} (${alert.title}) ${cause}`;
    try {
      const change = await this.deployments.rollbackDeployment(
        { deployment: deployment.name, reason, expected: { modelVersionId: deployment.modelVersionId, canaryModelVersionId: deployment.canaryModelVersionId } },
        SYSTEM_ACTOR,
      );
      this.log.warn({ deployment: deployment.name, alertId: alert.id, to: change.event.toModelVersionId }, 'deployment rolled back automatically');
      return change;
    } catch (error) {
      // Another process (or a person) changed the deployment first: the decision no longer applies.
      if (error instanceof InvalidStateError) return null;
      throw error;
    }
  }
}
