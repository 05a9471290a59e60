import { useMemo, useState } from 'react';
import { Chart, type ChartOption } from '../Chart';
import { fmt, when } from '../format';
import { useQuery, useSubscription } from '../hooks';
import { Card, KeyValues, Link, Loading, Table } from '../ui';
import { AlertFeed } from './Alerts';

interface VersionRef {
  id: string;
  version: number;
}

export function DeploymentsPage() {
  const { data, error, loading, reload } = useQuery<{
    deployments: {
      edges: {
        node: {
          id: string;
          name: string;
          updatedAt: string;
          model: { name: string };
          modelVersion: VersionRef;
          canary: { percent: number; modelVersion: VersionRef } | null;
        };
      }[];
    };
  }>(
    `{ deployments(first: 50) { edges { node { id name updatedAt model { name } modelVersion { id version } canary { percent modelVersion { id version } } } } } }`,
  );
  useSubscription('subscription { deploymentChanged { id } }', {}, reload);
  if (!data) return <Loading error={error} loading={loading} />;
  return (
    <Card title="Deployments">
      {data.deployments.edges.length === 0 ? (
        <p className="muted">No deployments yet.</p>
      ) : (
        <Table
          head={['name', 'model', 'stable', 'canary', 'changed']}
          rows={data.deployments.edges.map(({ node: d }) => [
            <Link to={`/deployments/${d.name}`}>{d.name}</Link>,
            d.model.name,
            <Link to={`/versions/${d.modelVersion.id}`}>v{d.modelVersion.version}</Link>,
            d.canary ? `v${d.canary.modelVersion.version} at ${d.canary.percent}%` : '–',
            when(d.updatedAt),
          ])}
        />
      )}
    </Card>
  );
}

interface Distribution {
  edges: number[] | null;
  categories: string[] | null;
  reference: number[];
  current: number[];
  otherShare: number[] | null;
}

interface FeatureDrift {
  feature: string;
  type: string;
  method: string | null;
  statistic: number | null;
  infinite: boolean;
  pValue: number | null;
  distance: number | null;
  threshold: number | null;
  drifted: boolean;
  psi: number | null;
  referenceCount: number;
  currentCount: number;
  note: string | null;
  distribution: Distribution | null;
}

interface DriftReport {
  id: string;
  createdAt: string;
  windowStart: string;
  windowEnd: string;
  windowSize: number;
  referenceSize: number;
  driftShare: number;
  drifted: boolean;
  predictionDrifted: boolean;
  features: FeatureDrift[];
  prediction: FeatureDrift | null;
}

interface DeploymentDetail {
  id: string;
  name: string;
  createdAt: string;
  model: { name: string };
  modelVersion: VersionRef;
  previousModelVersion: VersionRef | null;
  canary: { percent: number; modelVersion: VersionRef } | null;
  driftMonitoring: { windowSize: number; periodSeconds: number; driftShare: number };
  events: {
    edges: {
      node: {
        id: string;
        sequence: number;
        kind: string;
        actor: string;
        reason: string | null;
        createdAt: string;
        canaryPercent: number | null;
        fromModelVersion: VersionRef | null;
        toModelVersion: VersionRef | null;
      };
    }[];
  };
  traffic: { start: string; predictions: number; requests: number; latencyP50Ms: number; latencyP99Ms: number }[];
}

type ReportSummary = Omit<DriftReport, 'features' | 'prediction'>;

const FEATURE_FIELDS =
  'feature type method statistic infinite pValue distance threshold drifted psi referenceCount currentCount note distribution { edges categories reference current otherShare }';

const DEPLOYMENT_QUERY = `query Deployment($name: String!) { deployment(name: $name) {
  id name createdAt model { name } modelVersion { id version } previousModelVersion { id version } canary { percent modelVersion { id version } }
  driftMonitoring { windowSize periodSeconds driftShare }
  events(first: 20) { edges { node { id sequence kind actor reason createdAt canaryPercent fromModelVersion { id version } toModelVersion { id version } } } }
  traffic(minutes: 60, bucketSeconds: 60) { start predictions requests latencyP50Ms latencyP99Ms }
} }`;

const REPORTS_QUERY = `query Reports($name: String!) { driftReports(deployment: $name, first: 20) { edges { cursor node {
  id createdAt windowStart windowEnd windowSize referenceSize driftShare drifted predictionDrifted } } } }`;

const REPORT_QUERY = `query Report($name: String!, $after: String) { driftReports(deployment: $name, first: 1, after: $after) { edges { node {
  id features { ${FEATURE_FIELDS} } prediction { ${FEATURE_FIELDS} } } } } }`;

function trafficOption(traffic: DeploymentDetail['traffic']): ChartOption {
  const t = traffic.map((b) => new Date(b.start).getTime());
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 32 },
    xAxis: { type: 'time', min: Date.now() - 60 * 60_000, max: Date.now(), axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: 'value', name: 'predictions/min' },
      { type: 'value', name: 'ms', splitLine: { show: false } },
    ],
    series: [
      { type: 'bar', name: 'predictions', barMaxWidth: 8, data: traffic.map((b, i) => [t[i], b.predictions]) },
      { type: 'line', name: 'latency p50', yAxisIndex: 1, data: traffic.map((b, i) => [t[i], b.latencyP50Ms]) },
      { type: 'line', name: 'latency p99', yAxisIndex: 1, data: traffic.map((b, i) => [t[i], b.latencyP99Ms]) },
    ],
  };
}

function distributionOption(d: Distribution): ChartOption {
  const labels = d.categories
    ? [...d.categories, ...(d.otherShare && (d.otherShare[0] > 0 || d.otherShare[1] > 0) ? ['(other)'] : [])]
    : (d.edges ?? []).slice(0, -1).map((lo, i, lows) => `${fmt(lo, 2)}–${fmt(d.edges?.[i + 1] ?? lows[i], 2)}`);
  const withOther = (values: number[], k: number) => (labels.length > values.length && d.otherShare ? [...values, d.otherShare[k]] : values);
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(1)}%` },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'category', data: labels, axisLabel: { rotate: 35, fontSize: 10 } },
    yAxis: { type: 'value', name: 'share', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: [
      { type: 'bar', name: 'reference', data: withOther(d.reference, 0), itemStyle: { color: '#7a8ca5' } },
      { type: 'bar', name: 'current', data: withOther(d.current, 1), itemStyle: { color: '#e0662f' } },
    ],
  };
}

function statisticText(f: FeatureDrift): string {
  if (f.method === null) return f.note ?? 'untested';
  const stat = f.infinite ? '∞' : fmt(f.statistic, 4);
  return f.pValue !== null ? `${stat} (p = ${fmt(f.pValue, 4)})` : stat;
}

function DriftSection({ deployment, feature }: { deployment: string; feature?: string }) {
  const list = useQuery<{ driftReports: { edges: { cursor: string; node: ReportSummary }[] } }>(REPORTS_QUERY, { name: deployment });
  useSubscription('subscription Reported($name: String) { driftReported(deployment: $name) { id } }', { name: deployment }, list.reload);
  const [reportId, setReportId] = useState<string>();
  const edges = list.data?.driftReports.edges ?? [];
  const at = Math.max(
    0,
    edges.findIndex((e) => e.node.id === reportId),
  );
  const report = edges.at(at)?.node;
  const detail = useQuery<{ driftReports: { edges: { node: Pick<DriftReport, 'id' | 'features' | 'prediction'> }[] } }>(
    REPORT_QUERY,
    { name: deployment, after: at > 0 ? edges[at - 1].cursor : null, id: report?.id },
    { skip: !report },
  );
  const features = detail.data?.driftReports.edges.at(0)?.node;
  const columns = features && features.id === report?.id ? [...features.features, ...(features.prediction ? [features.prediction] : [])] : [];
  const chosen = columns.find((f) => f.feature === feature) ?? columns.find((f) => f.drifted && f.distribution) ?? columns.find((f) => f.distribution);
  const option = useMemo(() => (chosen?.distribution ? distributionOption(chosen.distribution) : null), [chosen]);
  const shareOption = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', min: 0, max: 1, name: 'drifted share' },
      series: [{ type: 'line', name: 'drift share', data: [...edges].reverse().map((e) => [new Date(e.node.windowEnd).getTime(), e.node.driftShare]) }],
    }),
    [edges],
  );
  if (!list.data) return <Loading error={list.error} loading={list.loading} />;
  if (!report)
    return (
      <Card title="Drift">
        <p className="muted">No drift report yet: one is made after every window of predictions (see the deployment's drift settings).</p>
      </Card>
    );
  return (
    <>
      <Card
        title={
          <>
            Drift <span className={report.drifted ? 'badge badge-failed' : 'badge badge-succeeded'}>{report.drifted ? 'DRIFTED' : 'NO DRIFT'}</span>
          </>
        }
        actions={
          <select aria-label="drift report" value={report.id} onChange={(e) => setReportId(e.target.value)}>
            {edges.map(({ node: r }) => (
              <option key={r.id} value={r.id}>
                {when(r.windowEnd)} · {r.windowSize} predictions{r.drifted ? ' · drifted' : ''}
              </option>
            ))}
          </select>
        }
        testId="drift-report"
      >
        <p className="muted">
          window {when(report.windowStart)} – {when(report.windowEnd)}, {report.windowSize} predictions against {report.referenceSize} reference rows;{' '}
          {Math.round(report.driftShare * 100)}% of features drifted
          {report.predictionDrifted ? '; the prediction drifted' : ''}.
        </p>
        <Loading error={detail.error} loading={detail.loading && columns.length === 0} />
        <Table
          testId="drift-features"
          head={['feature', 'type', 'method', 'statistic', 'threshold', 'PSI', 'drifted']}
          rows={columns.map((f) => [
            <a
              href={`#/deployments/${encodeURIComponent(deployment)}?feature=${encodeURIComponent(f.feature)}`}
              className={chosen?.feature === f.feature ? 'selected' : undefined}
            >
              {f.feature}
            </a>,
            f.type.toLowerCase(),
            f.method?.toLowerCase().replace('_', ' ') ?? '–',
            statisticText(f),
            fmt(f.threshold),
            fmt(f.psi, 3),
            f.drifted ? <strong className="drifted">yes</strong> : 'no',
          ])}
        />
      </Card>
      <div className="grid">
        <Card title={chosen ? `${chosen.feature}: reference and current` : 'Distribution'}>
          {option && chosen ? (
            <>
              <Chart option={option} testId="drift-distribution" label={`${chosen.feature} reference and current distributions`} height={300} />
              <p className="muted small">
                {chosen.method?.toLowerCase().replace('_', ' ')} statistic {statisticText(chosen)}, threshold {fmt(chosen.threshold)}; {chosen.referenceCount}{' '}
                reference and {chosen.currentCount} current values.
              </p>
            </>
          ) : (
            <p className="muted">{columns.length ? 'This report has no stored distributions.' : 'Loading…'}</p>
          )}
        </Card>
        <Card title="Drift share over time">
          <Chart option={shareOption} testId="drift-share" label="share of drifted features per report" />
        </Card>
      </div>
    </>
  );
}

export function DeploymentPage({ name, feature }: { name: string; feature?: string }) {
  const { data, error, loading, reload } = useQuery<{ deployment: DeploymentDetail | null }>(DEPLOYMENT_QUERY, { name }, { pollMs: 30_000 });
  useSubscription('subscription Changed($name: String) { deploymentChanged(deployment: $name) { id } }', { name }, reload);
  const traffic = useMemo(() => (data?.deployment ? trafficOption(data.deployment.traffic) : null), [data]);
  if (!data) return <Loading error={error} loading={loading} />;
  const d = data.deployment;
  if (!d) return <p className="error">Deployment {name} not found.</p>;
  const total = d.traffic.reduce((s, b) => s + b.predictions, 0);
  return (
    <>
      <Card title={<>Deployment {d.name}</>}>
        <KeyValues
          rows={[
            ['model', d.model.name],
            ['stable', <Link to={`/versions/${d.modelVersion.id}`}>v{d.modelVersion.version}</Link>],
            [
              'canary',
              d.canary ? (
                <>
                  <Link to={`/versions/${d.canary.modelVersion.id}`}>v{d.canary.modelVersion.version}</Link> at {d.canary.percent}%
                </>
              ) : (
                'none'
              ),
            ],
            ['rollback target', d.previousModelVersion ? `v${d.previousModelVersion.version}` : '–'],
            ['created', when(d.createdAt)],
            ['drift window', `${d.driftMonitoring.windowSize} predictions or ${d.driftMonitoring.periodSeconds} s`],
            ['last hour', `${total} predictions`],
          ]}
        />
      </Card>
      <div className="grid">
        <Card title="Prediction rate and latency (last hour)">
          {traffic && <Chart option={traffic} testId="traffic-chart" label="predictions per minute and latency" />}
        </Card>
        <Card title="Events">
          <Table
            head={['#', 'kind', 'from', 'to', 'by', 'when', 'reason']}
            rows={d.events.edges.map(({ node: e }) => [
              e.sequence,
              e.kind,
              e.fromModelVersion ? `v${e.fromModelVersion.version}` : '–',
              `${e.toModelVersion ? `v${e.toModelVersion.version}` : 'deleted version'}${e.canaryPercent != null ? ` (${e.canaryPercent}%)` : ''}`,
              e.actor,
              when(e.createdAt),
              e.reason ?? '',
            ])}
          />
        </Card>
      </div>
      <DriftSection deployment={d.name} feature={feature} />
      <AlertFeed deployment={d.name} />
    </>
  );
}
