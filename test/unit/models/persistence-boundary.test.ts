import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Models, model versions and datasets have one owner each: the statements on their tables are in
 * their repositories (and, for new dataset versions, in the repository's node-postgres half), so
 * a Prisma delegate or a raw statement on those tables anywhere else fails here.
 */
const ROOT = join(__dirname, '../../..');

const OWNERS: Record<string, readonly string[]> = {
  'src/services/models/model-repository.ts': ['model'],
  'src/services/model-versions/model-version-repository.ts': ['modelVersion', 'modelArtifact', 'modelAlias', 'modelAliasEvent', 'evaluation'],
  'src/services/datasets/dataset-repository.ts': ['dataset', 'datasetVersion', 'datasetVersionColumn', 'datasetVersionData'],
  'src/services/datasets/version-rows.ts': ['dataset', 'datasetVersion', 'datasetVersionColumn', 'datasetVersionData'],
};

const TABLES: Record<string, string> = {
  model: 'models',
  modelVersion: 'model_versions',
  modelArtifact: 'model_artifacts',
  modelAlias: 'model_aliases',
  modelAliasEvent: 'model_alias_events',
  evaluation: 'evaluations',
  dataset: 'datasets',
  datasetVersion: 'dataset_versions',
  datasetVersionColumn: 'dataset_version_columns',
  datasetVersionData: 'dataset_version_data',
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

describe('persistence boundary of models, model versions and datasets', () => {
  it('finds the statements of the owners themselves (the scan works)', () => {
    const text = readFileSync(join(ROOT, 'src/services/model-versions/model-version-repository.ts'), 'utf8');
    expect(statementsOn(text, 'modelVersion').length).toBeGreaterThan(5);
    expect(statementsOn(readFileSync(join(ROOT, 'src/services/datasets/version-rows.ts'), 'utf8'), 'datasetVersion')).toContain('FROM dataset_versions');
  });

  it('has no statement on their tables outside their repositories', () => {
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
