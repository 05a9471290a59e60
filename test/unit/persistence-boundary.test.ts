import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every table has one owner: the statements on it are in its repository (and, for new dataset
 * versions and the serving log, in the repository's node-postgres half), so a Prisma delegate or a
 * raw statement on a table anywhere else fails here. The readers outside them: the node locator,
 * which reads only primary keys (one query probing every table for an id's type), and the
 * prediction log's foreign-key check, which locks the deployments and versions a batch names.
 */
const ROOT = join(__dirname, '../..');

const TABLES: Record<string, string> = {
  dataset: 'datasets',
  datasetVersion: 'dataset_versions',
  datasetVersionColumn: 'dataset_version_columns',
  datasetVersionData: 'dataset_version_data',
  model: 'models',
  modelVersion: 'model_versions',
  modelArtifact: 'model_artifacts',
  modelAlias: 'model_aliases',
  modelAliasEvent: 'model_alias_events',
  evaluation: 'evaluations',
  run: 'runs',
  runEpoch: 'run_epochs',
  deployment: 'deployments',
  deploymentEvent: 'deployment_events',
  prediction: 'predictions',
  driftReport: 'drift_reports',
  alert: 'alerts',
  alertRule: 'alert_rules',
  alertDelivery: 'alert_deliveries',
  apiKey: 'api_keys',
  auditEvent: 'audit_events',
};

const DATASET_TABLES = ['dataset', 'datasetVersion', 'datasetVersionColumn', 'datasetVersionData'];
const OWNERS: Record<string, readonly string[]> = {
  'src/services/datasets/dataset-repository.ts': DATASET_TABLES,
  'src/services/datasets/version-rows.ts': DATASET_TABLES,
  'src/services/models/model-repository.ts': ['model'],
  'src/services/model-versions/model-version-repository.ts': ['modelVersion', 'modelArtifact', 'modelAlias', 'modelAliasEvent', 'evaluation'],
  'src/services/runs/run-repository.ts': ['run', 'runEpoch'],
  'src/services/deployments/deployment-repository.ts': ['deployment', 'deploymentEvent'],
  // And the log's foreign-key check: it locks a batch's deployments and versions FOR KEY SHARE (LOCK_PREDICTION_PARENTS).
  'src/services/predictions/prediction-repository.ts': ['prediction', 'deployment', 'modelVersion'],
  'src/services/monitoring/drift-report-repository.ts': ['driftReport'],
  'src/services/alerts/alert-repository.ts': ['alert', 'alertRule', 'alertDelivery'],
  'src/services/auth/api-key-repository.ts': ['apiKey'],
  'src/services/audit/audit-event-repository.ts': ['auditEvent'],
  'src/services/nodes/node-locator.ts': Object.keys(TABLES),
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** Where `text` issues a statement on a table of `delegate`: a Prisma call (`tx.modelVersion.findMany`) or SQL (`FROM model_versions`). */
function statementsOn(text: string, delegate: string): string[] {
  const table = TABLES[delegate];
  const prisma = new RegExp(`\\.${delegate}\\.(find\\w*|create\\w*|update\\w*|upsert|delete\\w*|count|aggregate|groupBy)\\(`, 'g');
  const sql = new RegExp(`\\b(FROM|INTO|UPDATE)\\s+"?${table}"?\\b`, 'g');
  return [...text.matchAll(prisma), ...text.matchAll(sql)].map((match) => match[0]);
}

describe('persistence boundary: one owner per table', () => {
  it('finds the statements of the owners themselves (the scan works)', () => {
    const text = readFileSync(join(ROOT, 'src/services/model-versions/model-version-repository.ts'), 'utf8');
    expect(statementsOn(text, 'modelVersion').length).toBeGreaterThan(5);
    expect(statementsOn(readFileSync(join(ROOT, 'src/services/datasets/version-rows.ts'), 'utf8'), 'datasetVersion')).toContain('FROM dataset_versions');
  });

  it('has no statement on a table outside its owner', () => {
    const strays: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const delegate of Object.keys(TABLES)) {
        if (OWNERS[file]?.includes(delegate)) continue;
        for (const statement of statementsOn(text, delegate)) strays.push(`${file}: ${statement}`);
      }
    }
    expect(strays).toEqual([]);
  });
});
