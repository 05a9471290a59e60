/**
 * The persistence of drift reports: the only code that reads or writes the `drift_reports` table
 * (the deletion service removes a deployment's reports through {@link deleteDeploymentDriftReports},
 * in its own transaction). It returns the domain type of `src/domain/monitoring/drift-report.ts`,
 * mapping rows in one place ({@link toDriftReport}, which decodes the JSON columns); no Prisma row
 * leaves it. The rules (when a window is due, what it is tested on, the alerts and events a report
 * raises) are the drift monitor's: a function here is one read or one write.
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given, so the monitor
 * re-reads the last window and stores the next one under its lock.
 */
import type { DriftReport as DriftReportRow, Prisma } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { DriftReport, FeatureDriftEntry } from '../../domain/monitoring/drift-report';
import { driftFeaturesOf, driftPredictionOf, toJsonColumn } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPagesByParent, newestFirst } from '../keyset-pagination';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

/** A new report (its output tested); `id` and `createdAt` come from the database. */
export type NewDriftReport = Omit<DriftReport, 'id' | 'createdAt' | 'prediction'> & { prediction: FeatureDriftEntry };

export class DriftReportRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Takes, until `tx` ends, the lock of the deployment's reports if no other transaction holds it
   * (`pg_try_advisory_xact_lock`, across processes); false when another has it.
   */
  async tryLockDeployment(tx: Db, deploymentId: string): Promise<boolean> {
    const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${`drift:${deploymentId}`}, 0)) AS locked`;
    return locked;
  }

  /** The end of the deployment's latest report's window, or null before its first report. */
  async lastWindowEnd(db: Db, deploymentId: string): Promise<Date | null> {
    const last = await db.driftReport.findFirst({ where: { deploymentId }, orderBy: { windowEnd: 'desc' }, select: { windowEnd: true } });
    return last?.windowEnd ?? null;
  }

  async insert(tx: Db, report: NewDriftReport): Promise<DriftReport> {
    const { features, prediction, ...fields } = report;
    return toDriftReport(await tx.driftReport.create({ data: { ...fields, features: toJsonColumn(features), prediction: toJsonColumn(prediction) } }));
  }

  async findById(id: string): Promise<DriftReport | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.driftReport.findUnique({ where: { id } });
    return row && toDriftReport(row);
  }

  /** The same page of each deployment's reports (newest first), by deployment id. */
  async pageByDeployments(deploymentIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DriftReport>>> {
    return keysetPagesByParent(
      this.prisma,
      {
        order: newestFirst<DriftReport>(),
        table: 'drift_reports',
        parentColumn: 'deployment_id',
        columns: { createdAt: 'created_at', id: 'id' },
        rowsByIds: async (ids) => (await this.prisma.driftReport.findMany({ where: { id: { in: ids } } })).map(toDriftReport),
      },
      deploymentIds,
      request,
    );
  }
}

/** Deletes a deployment's reports in `tx`; returns how many. */
export async function deleteDeploymentDriftReports(tx: Db, deploymentId: string): Promise<number> {
  return (await tx.driftReport.deleteMany({ where: { deploymentId } })).count;
}

/** A `drift_reports` row as the domain type, its JSON columns decoded. */
export function toDriftReport(row: DriftReportRow): DriftReport {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    modelVersionId: row.modelVersionId,
    windowStart: row.windowStart,
    windowEnd: row.windowEnd,
    windowSize: row.windowSize,
    referenceSize: row.referenceSize,
    driftShare: row.driftShare,
    drifted: row.drifted,
    features: driftFeaturesOf(row.features),
    prediction: driftPredictionOf(row.prediction),
    predictionDrifted: row.predictionDrifted,
    createdAt: row.createdAt,
  };
}
