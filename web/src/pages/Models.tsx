import { useMemo } from 'react';
import { nodes, type Connection } from '../api';
import { Chart, type ChartOption } from '../Chart';
import { fmt, short, when } from '../format';
import { useQuery } from '../hooks';
import { Card, KeyValues, Link, Loading, Table } from '../ui';

interface ModelRow {
  id: string;
  name: string;
  task: string;
  createdAt: string;
  dataset: { id: string; name: string };
  layers: { units: number; activation: string }[];
  aliases: Connection<{ alias: string; modelVersion: { id: string; version: number } }>;
  versions: Connection<{
    id: string;
    version: number;
    createdAt: string;
    evaluations: Connection<{ split: string; accuracy: number | null; rocAuc: number | null; r2: number | null }>;
  }>;
}

export function ModelsPage() {
  const { data, error, loading } = useQuery<{ models: { edges: { node: ModelRow }[] } }>(`{ models(first: 20) { edges { node {
    id name task createdAt dataset { id name } layers { units activation } aliases(first: 100) { edges { node { alias modelVersion { id version } } } }
    versions(first: 10) { edges { node { id version createdAt evaluations(first: 10) { edges { node { split accuracy rocAuc r2 } } } } } } } } } }`);
  if (!data) return <Loading error={error} loading={loading} />;
  if (data.models.edges.length === 0)
    return (
      <Card title="Models">
        <p className="muted">No models yet.</p>
      </Card>
    );
  return (
    <>
      {data.models.edges.map(({ node: m }) => (
        <Card
          key={m.id}
          title={
            <>
              {m.name} <span className="muted">{m.task.toLowerCase().replace('_', ' ')}</span>
            </>
          }
        >
          <p className="muted">
            dataset <Link to={`/datasets/${m.dataset.id}`}>{m.dataset.name}</Link> · layers{' '}
            {m.layers.map((l) => `${l.units} ${l.activation.toLowerCase()}`).join(' → ')} · aliases{' '}
            {m.aliases.edges.length
              ? nodes(m.aliases)
                  .map((a) => `${a.alias} → v${a.modelVersion.version}`)
                  .join(', ')
              : 'none'}
          </p>
          {m.versions.edges.length === 0 ? (
            <p className="muted">No trained versions.</p>
          ) : (
            <Table
              head={['version', 'created', 'test accuracy', 'test ROC AUC', 'test R²', 'aliases']}
              rows={nodes(m.versions).map((v) => {
                const test = nodes(v.evaluations).find((e) => e.split === 'TEST');
                return [
                  <Link to={`/versions/${v.id}`}>v{v.version}</Link>,
                  when(v.createdAt),
                  fmt(test?.accuracy),
                  fmt(test?.rocAuc),
                  fmt(test?.r2),
                  nodes(m.aliases)
                    .filter((a) => a.modelVersion.id === v.id)
                    .map((a) => a.alias)
                    .join(', ') || '–',
                ];
              })}
            />
          )}
        </Card>
      ))}
    </>
  );
}

interface EvaluationRow {
  id: string;
  split: string;
  createdAt: string;
  rowCount: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  rocAuc: number | null;
  logLoss: number | null;
  mae: number | null;
  rmse: number | null;
  r2: number | null;
  classes: string[] | null;
  confusionMatrix: number[][] | null;
  rocCurve: { falsePositiveRate: number[]; truePositiveRate: number[] } | null;
  macro: { precision: number; recall: number; f1: number } | null;
  datasetVersion: { version: number; dataset: { name: string } };
}

interface VersionDetail {
  id: string;
  version: number;
  createdAt: string;
  artifactSha256: string;
  artifactBytes: number;
  classes: string[] | null;
  runId: string | null;
  model: {
    id: string;
    name: string;
    aliasHistory: Connection<{
      id: string;
      alias: string;
      movedBy: string;
      movedAt: string;
      from: { version: number } | null;
      to: { version: number } | null;
      toModelVersionId: string | null;
    }>;
  };
  aliases: Connection<{ alias: string; updatedAt: string }>;
  datasetVersion: { version: number; dataset: { id: string; name: string } };
  hyperparameters: { epochs: number; batchSize: number | null; optimizer: string; learningRate: number; seed: number };
  environment: { backend: string; tfjsVersion: string; nodeVersion: string };
  featureImportance: { feature: string; importance: number; std: number }[] | null;
  evaluations: Connection<EvaluationRow>;
}

const VERSION_QUERY = `query Version($id: ID!) { modelVersion(id: $id) {
  id version createdAt artifactSha256 artifactBytes classes runId
  model { id name aliasHistory(first: 50) { edges { node { id alias movedBy movedAt from { version } to { version } toModelVersionId } } } }
  aliases(first: 100) { edges { node { alias updatedAt } } }
  datasetVersion { version dataset { id name } }
  hyperparameters { epochs batchSize optimizer learningRate seed }
  environment { backend tfjsVersion nodeVersion }
  featureImportance { feature importance std }
  evaluations(first: 100) { edges { node { id split createdAt rowCount accuracy precision recall f1 rocAuc logLoss mae rmse r2 classes confusionMatrix
                rocCurve { falsePositiveRate truePositiveRate } macro { precision recall f1 } datasetVersion { version dataset { name } } } } }
} }`;

function confusionOption(e: EvaluationRow): ChartOption {
  const classes = e.classes ?? [];
  const matrix = e.confusionMatrix ?? [];
  const cells = matrix.flatMap((row, t) => row.map((count, p) => [p, t, count]));
  const max = Math.max(1, ...cells.map((c) => c[2]));
  return {
    tooltip: { formatter: (p: { value: number[] }) => `true ${classes[p.value[1]]}, predicted ${classes[p.value[0]]}: ${p.value[2]}` },
    grid: { left: 80, right: 16, top: 16, bottom: 56 },
    xAxis: { type: 'category', data: classes, name: 'predicted', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: classes, name: 'true', inverse: true },
    visualMap: { min: 0, max, show: false, inRange: { color: ['#f4f7fb', '#1f5fbf'] } },
    series: [{ type: 'heatmap', name: 'count', data: cells, label: { show: classes.length <= 12 } }],
  };
}

function rocOption(e: EvaluationRow): ChartOption {
  const curve = e.rocCurve ?? { falsePositiveRate: [], truePositiveRate: [] };
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 40 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'false positive rate', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate' },
    series: [
      { type: 'line', name: `ROC (AUC ${fmt(e.rocAuc, 3)})`, showSymbol: false, data: curve.falsePositiveRate.map((x, i) => [x, curve.truePositiveRate[i]]) },
      {
        type: 'line',
        name: 'chance',
        showSymbol: false,
        lineStyle: { type: 'dashed', color: '#aaa' },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
  };
}

function importanceOption(items: { feature: string; importance: number; std: number }[]): ChartOption {
  const sorted = [...items].sort((a, b) => a.importance - b.importance);
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 150, right: 24, top: 8, bottom: 24 },
    xAxis: { type: 'value', name: 'score drop' },
    yAxis: { type: 'category', data: sorted.map((i) => i.feature), axisLabel: { width: 140, overflow: 'truncate' } },
    series: [{ type: 'bar', name: 'importance', data: sorted.map((i) => i.importance) }],
  };
}

function EvaluationCard({ e }: { e: EvaluationRow }) {
  const confusion = useMemo(() => (e.confusionMatrix ? confusionOption(e) : null), [e]);
  const roc = useMemo(() => (e.rocCurve ? rocOption(e) : null), [e]);
  return (
    <Card
      title={`${e.split === 'TEST' ? 'Test split' : 'All rows'} of ${e.datasetVersion.dataset.name} v${e.datasetVersion.version}`}
      testId={`evaluation-${e.split}`}
    >
      <KeyValues
        rows={[
          ['rows', e.rowCount],
          ...(e.accuracy != null ? ([['accuracy', fmt(e.accuracy)]] as [string, string][]) : []),
          ...(e.precision != null
            ? ([
                ['precision', fmt(e.precision)],
                ['recall', fmt(e.recall)],
                ['F1', fmt(e.f1)],
              ] as [string, string][])
            : []),
          ...(e.macro ? ([['macro F1', fmt(e.macro.f1)]] as [string, string][]) : []),
          ...(e.rocAuc != null ? ([['ROC AUC', fmt(e.rocAuc)]] as [string, string][]) : []),
          ...(e.logLoss != null ? ([['log loss', fmt(e.logLoss)]] as [string, string][]) : []),
          ...(e.r2 != null || e.mae != null
            ? ([
                ['MAE', fmt(e.mae)],
                ['RMSE', fmt(e.rmse)],
                ['R²', fmt(e.r2)],
              ] as [string, string][])
            : []),
          ['evaluated', when(e.createdAt)],
        ]}
      />
      <div className="grid">
        {confusion && (
          <Chart option={confusion} testId="confusion-matrix" label="confusion matrix heat map" height={Math.max(220, 40 * (e.classes?.length ?? 2) + 80)} />
        )}
        {roc && <Chart option={roc} testId="roc-curve" label="ROC curve" />}
      </div>
    </Card>
  );
}

export function VersionPage({ id }: { id?: string }) {
  const { data, error, loading } = useQuery<{ modelVersion: VersionDetail | null }>(VERSION_QUERY, { id });
  const importance = useMemo(() => (data?.modelVersion?.featureImportance ? importanceOption(data.modelVersion.featureImportance) : null), [data]);
  if (!data) return <Loading error={error} loading={loading} />;
  const v = data.modelVersion;
  if (!v) return <p className="error">Model version {id} not found.</p>;
  return (
    <>
      <Card
        title={
          <>
            {v.model.name} v{v.version}
          </>
        }
      >
        <KeyValues
          rows={[
            ['created', when(v.createdAt)],
            [
              'aliases',
              nodes(v.aliases)
                .map((a) => a.alias)
                .join(', ') || 'none',
            ],
            [
              'trained on',
              <Link to={`/datasets/${v.datasetVersion.dataset.id}`}>
                {v.datasetVersion.dataset.name} v{v.datasetVersion.version}
              </Link>,
            ],
            ['run', v.runId ? <Link to={`/runs/${v.runId}`}>{short(v.runId)}</Link> : '–'],
            ['classes', v.classes?.join(', ') ?? 'regression'],
            [
              'hyperparameters',
              `${v.hyperparameters.epochs} epochs, batch ${v.hyperparameters.batchSize ?? 'full'}, ${v.hyperparameters.optimizer.toLowerCase()} ${v.hyperparameters.learningRate}, seed ${v.hyperparameters.seed}`,
            ],
            ['backend', `${v.environment.backend} (tfjs ${v.environment.tfjsVersion}, node ${v.environment.nodeVersion})`],
            ['artifact', `${fmt(v.artifactBytes)} bytes, sha256 ${v.artifactSha256.slice(0, 16)}…`],
          ]}
        />
      </Card>
      {nodes(v.evaluations).map((e) => (
        <EvaluationCard key={e.id} e={e} />
      ))}
      <div className="grid">
        {importance && (
          <Card title="Feature importance (permutation, test split)">
            <Chart
              option={importance}
              testId="feature-importance"
              label="feature importance bars"
              height={Math.max(220, 18 * (v.featureImportance?.length ?? 0) + 40)}
            />
          </Card>
        )}
        <Card title="Alias history">
          {v.model.aliasHistory.edges.length === 0 ? (
            <p className="muted">No alias was ever set on {v.model.name}.</p>
          ) : (
            <Table
              head={['alias', 'from', 'to', 'by', 'when']}
              rows={nodes(v.model.aliasHistory).map((h) => [
                h.alias,
                h.from ? `v${h.from.version}` : '–',
                h.to ? `v${h.to.version}` : h.toModelVersionId ? 'deleted version' : 'alias deleted',
                h.movedBy,
                when(h.movedAt),
              ])}
            />
          )}
        </Card>
      </div>
    </>
  );
}
