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
 *
 * The one statement on other owners' tables outside their repositories, on purpose: it reads the
 * `id` primary key of each table in {@link NODE_TABLES} and nothing else (no row's content, no
 * write), and answers with a type name only; the row itself is then read through its owner (the
 * `node` resolver's loaders). Asking each repository in turn would cost one statement per table
 * instead of one.
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
