import type { AlertDelivery } from '../../domain/alerts/alert';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { DomainError } from '../../domain/errors';
import { AlertRepository } from './alert-repository';
import { postWebhook, type WebhookAttemptResult } from './webhook-sender';
import { WebhookTargetGuard } from './webhook-target';

export interface WebhookDispatcherOptions {
  /** Attempts per delivery before it is FAILED. @default 5 */
  maxAttempts?: number;
  /** Delay after the first failed attempt; doubles per attempt (1 s, 2 s, 4 s, 8 s). @default 1000 */
  baseDelayMs?: number;
  /** How often due deliveries are looked for. @default 500 */
  pollIntervalMs?: number;
  /** Per-attempt HTTP timeout. @default 5000 */
  timeoutMs?: number;
  /** Deliveries claimed per poll. @default 20 */
  batchSize?: number;
  /** Where deliveries may go; every attempt checks the URL again and connects to the checked address. @default public addresses only */
  guard?: WebhookTargetGuard;
}

/** Longest error text kept on a delivery. */
const MAX_ERROR_LENGTH = 500;

/**
 * Sends the PENDING webhook deliveries of alerts: POST of the stored JSON body with
 * `X-Mlplane-Signature: sha256=<hex HMAC-SHA256>`; a 2xx answer delivers it, anything else (or no
 * answer, a redirect, a target refused by the guard) schedules a retry with exponential backoff
 * until `maxAttempts`, then FAILED. Every attempt updates the delivery row (attempts,
 * responseStatus, lastDurationMs, lastError: never the response body). Deliveries are claimed
 * with `FOR UPDATE SKIP LOCKED` and a lease, so several processes can dispatch side by side.
 */
export class WebhookDispatcher {
  private readonly log = logger.child({ component: 'webhook-dispatcher' });
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly batchSize: number;
  private readonly guard: WebhookTargetGuard;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;
  private readonly store: AlertRepository;

  constructor(prisma: PrismaClient, options: WebhookDispatcherOptions = {}) {
    this.store = new AlertRepository(prisma);
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.batchSize = options.batchSize ?? 20;
    this.guard = options.guard ?? new WebhookTargetGuard();
  }

  /** Polls for due deliveries until `stop()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops polling and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Sends every delivery due now (one attempt each); returns how many were attempted. */
  async dispatchDue(): Promise<number> {
    const leaseMs = this.timeoutMs + 5_000;
    // A claimed delivery's next attempt moves past the lease: a crashed dispatcher's claim expires.
    const deliveries = await this.store.claimDueDeliveries(leaseMs, this.batchSize);
    if (deliveries.length === 0) return 0;
    await Promise.all(deliveries.map((delivery) => this.attempt(delivery)));
    return deliveries.length;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatchDue()
        .then(
          () => undefined,
          (error: unknown) => this.log.error({ err: error }, 'dispatching webhooks failed'),
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  /** One attempt: the URL is checked again now (its host may resolve elsewhere than when the rule was set). */
  private async send(delivery: AlertDelivery): Promise<WebhookAttemptResult> {
    let target;
    try {
      target = await this.guard.check(delivery.url, 'url');
    } catch (refused) {
      if (!(refused instanceof DomainError)) throw refused;
      return { status: null, durationMs: null, error: refused.message.slice(0, MAX_ERROR_LENGTH) };
    }
    const headers = { 'content-type': 'application/json', 'x-mlplane-signature': delivery.signature, 'x-mlplane-delivery': delivery.id };
    return postWebhook(target, headers, delivery.body, this.timeoutMs);
  }

  private async attempt(delivery: AlertDelivery): Promise<void> {
    const attempts = delivery.attempts + 1;
    const { status: responseStatus, durationMs: lastDurationMs, error } = await this.send(delivery);
    if (error === null) {
      await this.store.recordAttempt(delivery.id, {
        status: 'DELIVERED',
        attempts,
        responseStatus,
        lastDurationMs,
        lastError: null,
        deliveredAt: new Date(),
        nextAttemptAt: null,
      });
      this.log.info({ deliveryId: delivery.id, alertId: delivery.alertId, attempts }, 'webhook delivered');
      return;
    }
    const failed = attempts >= this.maxAttempts;
    await this.store.recordAttempt(delivery.id, {
      status: failed ? 'FAILED' : 'PENDING',
      attempts,
      responseStatus,
      lastDurationMs,
      lastError: error,
      nextAttemptAt: failed ? null : new Date(Date.now() + this.baseDelayMs * 2 ** (attempts - 1)),
    });
    this.log.warn({ deliveryId: delivery.id, alertId: delivery.alertId, attempts, responseStatus, error, failed }, 'webhook attempt failed');
  }
}
