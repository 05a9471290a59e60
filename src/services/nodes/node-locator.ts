import { isUuid } from '../../domain/common/uuid';
import type { PrismaClient } from '../../infra/db/prisma-client';

/** The tables whose rows are reachable by id alone (GraphQL `node(id:)`), by the type each row is. */
export const NODE_TABLES = {
  Dataset: 'datasets',
  DatasetVersion: 'dataset_versions',
  Model: 'models',
  ModelVersion: 'model_versions',
  ModelAliasEvent: 'model_alias_events',
  Evaluation: 'evaluations',
  Run: 'runs',
  Deployment: 'deployments',
  DeploymentEvent: 'deployment_events',
  InstancePrediction: 'predictions',
  DriftReport: 'drift_reports',
  Alert: 'alerts',
  AlertDelivery: 'alert_deliveries',
  ApiKey: 'api_keys',
  AuditEvent: 'audit_events',
} as const;

export type StoredNodeType = keyof NodeTableMap;
type NodeTableMap = typeof NODE_TABLES;

const LOOKUP = Object.entries(NODE_TABLES)
  .map(([type, table]) => `SELECT '${type}' AS type FROM ${table} WHERE id = $1::uuid`)
  .join(' UNION ALL ');

/**
 * Finds which table holds an id. Ids are random UUIDs (v4) drawn for each row, so one id names one
 * row across every table: a single query of primary-key probes, one per table.
 */
export class NodeLocator {
  constructor(private readonly prisma: PrismaClient) {}

  /** The type of the row with this id, or null (also for text that is not a UUID). */
  async locate(id: string): Promise<StoredNodeType | null> {
    if (!isUuid(id)) return null;
    const rows = await this.prisma.$queryRawUnsafe<{ type: StoredNodeType }[]>(`${LOOKUP} LIMIT 1`, id);
    return rows[0]?.type ?? null;
  }
}
