import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { DeploymentRepository } from '../deployments/deployment-repository';
import { PredictionRepository } from './prediction-repository';

export interface PredictionRetentionOptions {
  /** Predictions older than this many days are deleted; 0 keeps them forever. */
  retentionDays: number;
  /** How often the sweep runs. @default 60_000 */
  intervalMs?: number;
  /** Rows per DELETE statement. @default 5_000 */
  batchRows?: number;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Keeps the prediction log bounded: every `intervalMs`, deletes the predictions older than the
 * retention, deployment by deployment, in DELETEs of at most `batchRows` rows found through the
 * (deployment, created_at) index, one short transaction each, yielding between them. Row deletes
 * take no table lock, so serving (INSERTs of new rows) never waits for them; several API
 * processes sweeping at once only share the work.
 */
export class PredictionRetention {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;
  private readonly intervalMs: number;
  private readonly batchRows: number;
  private readonly now: () => number;
  private readonly deployments: DeploymentRepository;
  private readonly predictions: PredictionRepository;

  constructor(
    prisma: PrismaClient,
    private readonly options: PredictionRetentionOptions,
  ) {
    this.deployments = new DeploymentRepository(prisma);
    this.predictions = new PredictionRepository(prisma);
    this.intervalMs = options.intervalMs ?? 60_000;
    this.batchRows = options.batchRows ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.options.retentionDays <= 0) return;
    this.timer = setInterval(
      () => void this.sweep().catch((error: unknown) => logger.error({ err: error }, 'prediction retention sweep failed')),
      this.intervalMs,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  /** Deletes what is past the retention now; resolves with the rows deleted. One sweep at a time. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    if (this.options.retentionDays <= 0) return 0;
    const cutoff = new Date(this.now() - this.options.retentionDays * 86_400_000);
    let deleted = 0;
    for (const id of await this.deployments.ids({ includeArchived: true })) {
      for (;;) {
        const count = await this.predictions.deleteOlderThan(id, cutoff, this.batchRows);
        deleted += count;
        if (count < this.batchRows) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (deleted > 0) logger.info({ deleted, cutoff: cutoff.toISOString() }, 'prediction retention: old predictions deleted');
    return deleted;
  }
}
