import type { Prisma, Run } from '../../generated/prisma/client';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { RateLimitedError } from '../../domain/errors';

/**
 * How many runs (training runs and studies; a study's trials count as its one run) one principal
 * may have QUEUED or RUNNING at once. 0 turns the cap off.
 */
export class ActiveRunQuota {
  constructor(readonly maxActive: number) {}

  /**
   * Inside the transaction that creates the run: waits for the principal's other starts (an advisory
   * lock), then counts its active runs. @throws RateLimitedError at the cap.
   */
  private async check(tx: Prisma.TransactionClient, startedBy: string): Promise<void> {
    if (this.maxActive <= 0) return;
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`mlplane.runs.started-by:${startedBy}`}))`;
    const active = await tx.run.count({ where: { startedBy, status: { in: ['QUEUED', 'RUNNING'] }, kind: { in: ['TRAINING', 'OPTIMIZATION'] } } });
    if (active >= this.maxActive) {
      throw new RateLimitedError(
        `${startedBy} has ${active} runs queued or running, the most allowed (MLPLANE_MAX_ACTIVE_RUNS_PER_CLIENT); wait for one to finish or cancel one`,
      );
    }
  }

  /** Creates a run started by `data.startedBy` (when set) once the quota admits it. @throws RateLimitedError at the cap. */
  async createRun(prisma: PrismaClient, data: Prisma.RunUncheckedCreateInput): Promise<Run> {
    return prisma.$transaction(async (tx) => {
      if (data.startedBy) await this.check(tx, data.startedBy);
      return tx.run.create({ data });
    });
  }
}
