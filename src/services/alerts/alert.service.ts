import { createHmac, randomBytes } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client';
import type { Deployment } from '../../domain/deployments/deployment';
import type { Run } from '../../domain/runs/run';
import type { Alert, AlertDelivery, AlertKind, AlertRule, AlertSeverity, AlertStatus, EffectiveAlertRule } from '../../domain/alerts/alert';
import type { AlertDetailsByKind, RunFailedAlertDetails } from '../../domain/alerts/alert-details';
import { alertWebhookPayload, type AlertWebhookEvent } from '../../domain/alerts/alert-webhook-payload';
import { checkAlertMonitoringPatch, type AlertMonitoringPatch } from '../../domain/alerts/alert-monitoring';
import { checkAlertRuleSettings, DEPLOYMENT_RULE_KINDS, type AlertRuleSettings } from '../../domain/alerts/alert-rule-input';
import { resolutionNoteSchema } from '../../domain/alerts/resolution-note';
import { parseInput } from '../../domain/common/input-schema';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { SYSTEM_ACTOR } from '../../domain/auth/principal';
import { InvalidStateError, NotFoundError, ValidationError, Violations } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import { alertEventPayload } from './alert-state-event';
import { defaultAlertRule } from './alert-rule-defaults';
import { AlertRepository, type AlertChanges } from './alert-repository';
import { WebhookTargetGuard } from './webhook-target';
import { DeploymentRepository } from '../deployments/deployment-repository';

export type { Alert, AlertDelivery, AlertKind, AlertRule, AlertSeverity, AlertStatus, EffectiveAlertRule } from '../../domain/alerts/alert';

/** What `raise` did: opened a new alert, repeated an open one (notifying again), repeated it inside the cooldown, or nothing (rule disabled). */
export type RaiseOutcome = 'OPENED' | 'REPEATED' | 'SUPPRESSED' | 'DISABLED';

/** The kinds of alerts raised on deployments (RUN_FAILED alerts belong to runs). */
export type DeploymentAlertKind = Exclude<AlertKind, 'RUN_FAILED'>;

export interface RaiseAlertInput<K extends DeploymentAlertKind = DeploymentAlertKind> {
  deploymentId: string;
  kind: K;
  /** Used when the deployment stores no rule of this kind (a stored rule's severity wins). */
  severity?: AlertSeverity;
  title: string;
  /** The evidence of this occurrence, in the shape of `kind`. */
  details: AlertDetailsByKind[K];
}

export interface RaiseResult {
  /** The open alert; null when the rule is disabled. */
  alert: Alert | null;
  outcome: RaiseOutcome;
}

export interface AlertFilter {
  deploymentId?: string | null;
  kind?: AlertKind | null;
  severity?: AlertSeverity | null;
  status?: AlertStatus | null;
}

/** What `setAlertRule` stored; `generatedWebhookSecret` is set when mlplane generated the secret (returned this once). */
export type SetAlertRuleResult = EffectiveAlertRule & { generatedWebhookSecret: string | null };

/** Called after every raise that found the rule enabled, inside the cooldown too (automatic rollback hooks in here). */
export type AlertListener = (alert: Alert, outcome: Exclude<RaiseOutcome, 'DISABLED'>) => Promise<void>;

/** The dedup key of a deployment's alert of one kind. */
export function alertDedupKey(kind: AlertKind, deploymentId: string): string {
  return `${kind.toLowerCase()}:${deploymentId}`;
}

/** The dedup key of a run's RUN_FAILED alert. */
export function runFailedDedupKey(runId: string): string {
  return `run_failed:${runId}`;
}

/** The RUN_FAILED alert a run's failure opened or repeated, to announce once the failure commits. */
export interface RunFailedRaise {
  alert: Alert;
  outcome: 'OPENED' | 'REPEATED';
}

/** What a run store needs of the alert service: the RUN_FAILED alert in the failure's transaction, announced after it commits. */
export interface RunFailureAlerts {
  openRunFailedAlert(tx: Prisma.TransactionClient, run: Run): Promise<RunFailedRaise>;
  announce(raise: RunFailedRaise): Promise<void>;
}

/** `sha256=<hex>`: the X-Mlplane-Signature of a webhook body. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The kinds a deployment has rules for (RUN_FAILED alerts belong to runs). */
export const DEPLOYMENT_ALERT_KINDS: readonly DeploymentAlertKind[] = DEPLOYMENT_RULE_KINDS;

type Tx = Prisma.TransactionClient;

/**
 * The lifecycle of deployment alerts: raise (deduplicated per deployment and kind, with a cooldown
 * between notifications), clean windows and automatic resolution, acknowledgement and resolution.
 * Notifications are `alertRaised` / `alertUpdated` events and, when the rule has a webhook, an
 * `AlertDelivery` row that the webhook dispatcher sends.
 */
export class AlertService implements RunFailureAlerts {
  private readonly listeners: AlertListener[] = [];
  private readonly log = logger.child({ component: 'alerts' });
  private readonly store: AlertRepository;
  private readonly deployments: DeploymentRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly webhookGuard: WebhookTargetGuard = new WebhookTargetGuard(),
  ) {
    this.store = new AlertRepository(prisma);
    this.deployments = new DeploymentRepository(prisma);
  }

  /** Registers `listener` for every raised alert; its failures are logged, never thrown to the raiser. */
  onRaised(listener: AlertListener): void {
    this.listeners.push(listener);
  }

  /** The rule of `kind` for a deployment: the stored one, else the defaults. */
  async effectiveRule(deploymentId: string, kind: AlertKind, db: Tx = this.prisma): Promise<EffectiveAlertRule> {
    const stored = await this.store.findRule(db, deploymentId, kind);
    return stored ? toEffectiveRule(stored) : defaultAlertRule(kind);
  }

  /**
   * Raises an alert of `kind` on a deployment. One OPEN or ACKNOWLEDGED alert per (deployment, kind):
   * a repeat counts an occurrence, moves lastSeenAt and resets the clean-window count; it notifies
   * again only once the rule's cooldown has passed since the last notification.
   */
  async raise<K extends DeploymentAlertKind>(input: RaiseAlertInput<K>): Promise<RaiseResult> {
    const dedupKey = alertDedupKey(input.kind, input.deploymentId);
    const result = await this.store.transaction(async (tx) => {
      // Serializes raisers of the same key across processes (no unique index on open alerts).
      await this.store.lockDedupKey(tx, dedupKey);
      const rule = await this.effectiveRule(input.deploymentId, input.kind, tx);
      if (!rule.enabled) return { alert: null, outcome: 'DISABLED' as const, rule };
      const severity = rule.id ? rule.severity : (input.severity ?? rule.severity);
      const now = new Date();
      const open = await this.store.findOpen(tx, dedupKey);
      if (!open) {
        const alert = await this.store.insert(tx, {
          kind: input.kind,
          severity,
          dedupKey,
          title: input.title,
          details: input.details,
          deploymentId: input.deploymentId,
          firstSeenAt: now,
          lastSeenAt: now,
          notifiedAt: now,
        });
        await this.queueWebhook(tx, alert, rule, 'alert.opened');
        return { alert, outcome: 'OPENED' as const, rule };
      }
      const notify = open.notifiedAt === null || now.getTime() - open.notifiedAt.getTime() >= rule.cooldownSeconds * 1000;
      const alert = await this.store.repeat(tx, open.id, {
        lastSeenAt: now,
        cleanWindows: 0,
        severity,
        title: input.title,
        details: input.details,
        ...(notify ? { notifiedAt: now } : {}),
      });
      if (notify) await this.queueWebhook(tx, alert, rule, 'alert.repeated');
      return { alert, outcome: notify ? ('REPEATED' as const) : ('SUPPRESSED' as const), rule };
    });
    const { alert, outcome } = result;
    if (alert === null) return { alert: null, outcome: 'DISABLED' };
    await this.notify(alert, outcome);
    return { alert, outcome };
  }

  /**
   * Opens the RUN_FAILED alert of a failed run, or counts one more occurrence of its open one, in
   * `tx`: the transaction that moves the run to FAILED, so the alert exists exactly when the run
   * failed. Raisers of the same run are serialized like `raise`'s. RUN_FAILED alerts have no rule:
   * always WARNING, no cooldown, no webhook. Pass the result to `announce` once `tx` has committed.
   */
  async openRunFailedAlert(tx: Tx, run: Run): Promise<RunFailedRaise> {
    const dedupKey = runFailedDedupKey(run.id);
    await this.store.lockDedupKey(tx, dedupKey);
    const details: RunFailedAlertDetails = {
      runId: run.id,
      kind: run.kind,
      modelId: run.modelId,
      datasetVersionId: run.datasetVersionId,
      error: run.error,
      attempts: run.attempts,
      workerId: run.workerId,
    };
    const open = await this.store.findOpen(tx, dedupKey);
    if (open) {
      const alert = await this.store.repeat(tx, open.id, { lastSeenAt: new Date(), details });
      return { alert, outcome: 'REPEATED' };
    }
    const alert = await this.store.insert(tx, {
      kind: 'RUN_FAILED',
      severity: 'WARNING',
      dedupKey,
      title: `${run.kind.toLowerCase()} run ${run.id} failed`,
      details,
      runId: run.id,
    });
    return { alert, outcome: 'OPENED' };
  }

  /** Announces a committed RUN_FAILED raise as `raise` announces its own: logged, published, passed to the listeners. */
  async announce({ alert, outcome }: RunFailedRaise): Promise<void> {
    await this.notify(alert, outcome);
  }

  /** After a raise commits: logs and publishes it unless the cooldown suppressed it, then calls every listener. */
  private async notify(alert: Alert, outcome: Exclude<RaiseOutcome, 'DISABLED'>): Promise<void> {
    if (outcome !== 'SUPPRESSED') {
      this.log.info(
        { alertId: alert.id, kind: alert.kind, deploymentId: alert.deploymentId, runId: alert.runId ?? undefined, occurrences: alert.occurrences, outcome },
        'alert notified',
      );
      await this.publish(outcome === 'OPENED' ? 'alertRaised' : 'alertUpdated', alert);
    }
    for (const listener of this.listeners) {
      try {
        await listener(alert, outcome);
      } catch (error) {
        this.log.error({ err: error, alertId: alert.id }, 'an alert listener failed');
      }
    }
  }

  /**
   * Counts a clean window for the deployment's open alert of `kind` and resolves it (by `mlplane`)
   * once the rule's `autoResolveAfter` clean windows have passed in a row.
   * @returns the alert after the update, or null when none is open.
   */
  async recordCleanWindow(deploymentId: string, kind: AlertKind): Promise<Alert | null> {
    const dedupKey = alertDedupKey(kind, deploymentId);
    const result = await this.store.transaction(async (tx) => {
      await this.store.lockDedupKey(tx, dedupKey);
      const open = await this.store.findOpen(tx, dedupKey);
      if (!open) return null;
      const rule = await this.effectiveRule(deploymentId, kind, tx);
      const cleanWindows = open.cleanWindows + 1;
      if (cleanWindows < rule.autoResolveAfter) {
        return { alert: await this.store.update(tx, open.id, { cleanWindows }), resolved: false };
      }
      const alert = await this.store.update(tx, open.id, {
        cleanWindows,
        status: 'RESOLVED',
        resolvedAt: new Date(),
        resolvedBy: SYSTEM_ACTOR,
        resolutionNote: `resolved automatically after ${cleanWindows} clean windows in a row`,
      });
      return { alert, resolved: true };
    });
    if (!result) return null;
    if (result.resolved) {
      this.log.info({ alertId: result.alert.id, kind, deploymentId }, 'alert resolved automatically');
      await this.publish('alertUpdated', result.alert);
    }
    return result.alert;
  }

  async findAlert(id: string): Promise<Alert | null> {
    return this.store.findAlert(id);
  }

  async findAlertsByIds(ids: readonly string[]): Promise<Alert[]> {
    return this.store.findAlerts(ids);
  }

  /** Marks an open alert as seen by `actor`. @throws NotFoundError; InvalidStateError when resolved. */
  async acknowledgeAlert(id: string, actor: string): Promise<Alert> {
    const alert = await this.transition(id, (current) => {
      if (current.status === 'RESOLVED') throw new InvalidStateError(`alert ${id} is resolved`, { field: 'id' });
      if (current.status === 'ACKNOWLEDGED') return null;
      return { status: 'ACKNOWLEDGED', acknowledgedAt: new Date(), acknowledgedBy: actor };
    });
    return alert;
  }

  /** Resolves an alert with a note. @throws NotFoundError; InvalidStateError when already resolved. */
  async resolveAlert(input: { id: string; note?: string | null }, actor: string): Promise<Alert> {
    const note = parseInput(resolutionNoteSchema, input.note, 'input.note');
    return this.transition(
      input.id,
      (current) => {
        if (current.status === 'RESOLVED') throw new InvalidStateError(`alert ${input.id} is already resolved`, { field: 'input.id' });
        return { status: 'RESOLVED', resolvedAt: new Date(), resolvedBy: actor, resolutionNote: note };
      },
      'input.id',
    );
  }

  /** Alerts, most recently seen first, narrowed by `filter`. */
  async listAlerts(filter: AlertFilter, request: PageRequest): Promise<Page<Alert>> {
    return this.store.pageAlerts(filter, request);
  }

  /**
   * Creates or replaces the deployment's rule of one kind; omitted settings take the kind's defaults.
   * A webhook URL's target must pass the webhook guard now (and again at each delivery); a webhook
   * without a secret gets a generated one, returned in the result only.
   * @throws ValidationError listing every bad setting (each naming its field), before NotFoundError for an unknown deployment.
   */
  async setAlertRule(deploymentName: string, settings: AlertRuleSettings): Promise<SetAlertRuleResult> {
    const problems = new Violations();
    checkAlertRuleSettings(settings, problems);
    if (settings.webhookUrl != null) {
      try {
        await this.webhookGuard.check(settings.webhookUrl, 'input.webhookUrl');
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problems.add(error.message, error.location);
      }
    }
    problems.throwIfAny();
    const generatedWebhookSecret = settings.webhookUrl != null && settings.webhookSecret == null ? randomBytes(32).toString('base64url') : null;
    const deploymentId = await this.deployments.idByName(deploymentName);
    if (!deploymentId) throw new NotFoundError('deployment', deploymentName, { field: 'input.deployment' });
    const defaults = defaultAlertRule(settings.kind);
    const rule = await this.store.upsertRule(deploymentId, settings.kind, {
      enabled: settings.enabled ?? defaults.enabled,
      severity: settings.severity ?? defaults.severity,
      threshold: settings.threshold ?? defaults.threshold,
      windowSeconds: settings.windowSeconds ?? defaults.windowSeconds,
      cooldownSeconds: settings.cooldownSeconds ?? defaults.cooldownSeconds,
      autoResolveAfter: settings.autoResolveAfter ?? defaults.autoResolveAfter,
      webhookUrl: settings.webhookUrl ?? null,
      webhookSecret: settings.webhookUrl != null ? (settings.webhookSecret ?? generatedWebhookSecret) : null,
    });
    return { ...toEffectiveRule(rule), generatedWebhookSecret };
  }

  /**
   * Merges alerting settings into `Deployment.monitoring` (other keys, such as `drift`, are kept).
   * @throws NotFoundError for an unknown deployment; ValidationError naming the field.
   */
  async setAlertMonitoring(deploymentName: string, patch: AlertMonitoringPatch): Promise<Deployment> {
    const keys = checkAlertMonitoringPatch(patch);
    const removed = Object.keys(keys).filter((key) => keys[key] === null);
    const merged = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== null));
    const deployment = await this.deployments.mergeMonitoring(deploymentName, merged, removed);
    if (!deployment) throw new NotFoundError('deployment', deploymentName, { field: 'input.deployment' });
    return deployment;
  }

  /** Every deployment rule kind's effective rule, stored or defaulted, in kind order. */
  async effectiveRules(deploymentId: string): Promise<EffectiveAlertRule[]> {
    const stored = new Map((await this.listRules(deploymentId)).map((rule) => [rule.kind, toEffectiveRule(rule)]));
    return DEPLOYMENT_ALERT_KINDS.map((kind) => stored.get(kind) ?? defaultAlertRule(kind));
  }

  /** The same page of each alert's webhook deliveries (oldest first), by alert id. */
  async pageDeliveries(alertIds: readonly string[], request: PageRequest): Promise<Map<string, Page<AlertDelivery>>> {
    return this.store.pageDeliveries(alertIds, request);
  }

  async findDelivery(id: string): Promise<AlertDelivery | null> {
    return this.store.findDelivery(id);
  }

  /** Stored rules of a deployment (kinds without one use the defaults). */
  async listRules(deploymentId: string): Promise<AlertRule[]> {
    return this.store.listRules(deploymentId);
  }

  private async transition(id: string, next: (current: Alert) => AlertChanges | null, field = 'id'): Promise<Alert> {
    const result = await this.store.transaction(async (tx) => {
      const current = await this.store.lockAlert(tx, id);
      if (!current) throw new NotFoundError('alert', id, { field });
      const changes = next(current);
      if (!changes) return { alert: current, changed: false };
      return { alert: await this.store.update(tx, id, changes), changed: true };
    });
    if (result.changed) await this.publish('alertUpdated', result.alert);
    return result.alert;
  }

  /** Records a PENDING webhook delivery whose body and signature are fixed now (the dispatcher sends it). */
  private async queueWebhook(tx: Tx, alert: Alert, rule: EffectiveAlertRule, event: AlertWebhookEvent): Promise<void> {
    if (!rule.webhookUrl) return;
    const deployment = alert.deploymentId ? await this.deployments.refById(tx, alert.deploymentId) : null;
    const payload = alertWebhookPayload(event, alert, deployment);
    const created = await this.store.insertDelivery(tx, { alertId: alert.id, ruleId: rule.id, url: rule.webhookUrl, payload, nextAttemptAt: new Date() });
    // jsonb stores keys in its own order: sign the body exactly as the dispatcher will send it.
    await this.store.setDeliverySignature(tx, created.id, signWebhookBody(created.body, rule.webhookSecret ?? ''));
  }

  /** Events carry what subscription filters match on (deployment name, kind, severity), so filtering reads nothing, and the state the change left (`alert-state-event.ts`). */
  private async publish(topic: 'alertRaised' | 'alertUpdated', alert: Alert): Promise<void> {
    try {
      const deployment = alert.deploymentId ? await this.deployments.refById(this.prisma, alert.deploymentId) : null;
      await this.events.publish(topic, alertEventPayload(alert, deployment?.name ?? null));
    } catch (error) {
      this.log.warn({ err: error, topic, alertId: alert.id }, 'publishing an alert event failed');
    }
  }
}

function toEffectiveRule(rule: AlertRule): EffectiveAlertRule {
  return {
    id: rule.id,
    kind: rule.kind,
    enabled: rule.enabled,
    severity: rule.severity,
    threshold: rule.threshold,
    windowSeconds: rule.windowSeconds,
    cooldownSeconds: rule.cooldownSeconds,
    autoResolveAfter: rule.autoResolveAfter,
    webhookUrl: rule.webhookUrl,
    webhookSecret: rule.webhookSecret,
  };
}
