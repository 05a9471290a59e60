import type { Run } from '../../domain/runs/run';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { RateLimitedError } from '../../domain/errors';
import { countActiveRunsStartedBy, insertRun, lockStarter, type Db, type NewRun } from './run-repository';

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
  private async check(tx: Db, startedBy: string): Promise<void> {
    if (this.maxActive <= 0) return;
    await lockStarter(tx, startedBy);
    const active = await countActiveRunsStartedBy(tx, startedBy);
    if (active >= this.maxActive) {
      throw new RateLimitedError(
        `${startedBy} has ${active} runs queued or running, the most allowed (MLPLANE_MAX_ACTIVE_RUNS_PER_CLIENT); wait for one to finish or cancel one`,
      );
    }
  }

  /** Creates a run started by `run.startedBy` (when set) once the quota admits it. @throws RateLimitedError at the cap. */
  async createRun(prisma: PrismaClient, run: NewRun): Promise<Run> {
    return prisma.$transaction(async (tx) => {
      if (run.startedBy) await this.check(tx, run.startedBy);
      return insertRun(tx, run);
    });
  }
}
