import { useMemo, useState, type SubmitEvent } from 'react';
import { nodes, uploadCsv, type Connection } from '../api';
import { Chart, type ChartOption } from '../Chart';
import { fmt, when } from '../format';
import { useQuery, useSubscription } from '../hooks';
import { Card, KeyValues, Link, Loading, Table } from '../ui';

interface DatasetRow {
  id: string;
  name: string;
  task: string;
  labelColumn: string;
  createdAt: string;
  latestVersion: { version: number; rowCount: number; columnCount: number };
}

function UploadForm({ onDone }: { onDone: (id: string) => void }) {
  const [name, setName] = useState('');
  const [label, setLabel] = useState('');
  const [file, setFile] = useState<File>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await uploadCsv(name.trim() || file.name.replace(/\.csv$/i, ''), file, { labelColumn: label.trim() });
      onDone(result.dataset.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="upload" onSubmit={(event) => void submit(event)}>
      <label>
        CSV file <input type="file" accept=".csv,text/csv" required onChange={(e) => setFile(e.target.files?.[0])} />
      </label>
      <label>
        name <input value={name} placeholder="from the file name" onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        label column <input value={label} required onChange={(e) => setLabel(e.target.value)} />
      </label>
      <button type="submit" disabled={busy || !file}>
        {busy ? 'Uploading…' : 'Upload'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function DatasetsPage() {
  const { data, error, loading, reload } = useQuery<{ datasets: { edges: { node: DatasetRow }[] } }>(
    '{ datasets(first: 50) { edges { node { id name task labelColumn createdAt latestVersion { version rowCount columnCount } } } } }',
  );
  useSubscription('subscription { datasetCreated { id } }', {}, reload);
  return (
    <>
      <Card title="Upload a dataset">
        <UploadForm onDone={(id) => (location.hash = `#/datasets/${id}`)} />
      </Card>
      <Card title="Datasets">
        <Loading error={error} loading={loading && !data} />
        {data && (
          <Table
            head={['name', 'task', 'label', 'latest', 'rows', 'columns', 'created']}
            rows={data.datasets.edges.map(({ node: d }) => [
              <Link to={`/datasets/${d.id}`}>{d.name}</Link>,
              d.task.toLowerCase().replace('_', ' '),
              d.labelColumn,
              `v${d.latestVersion.version}`,
              fmt(d.latestVersion.rowCount),
              d.latestVersion.columnCount,
              when(d.createdAt),
            ])}
          />
        )}
      </Card>
    </>
  );
}

interface Profile {
  count: number;
  missing: number;
  distinct: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  histogram: { edges: number[]; counts: number[] } | null;
  topCategories: { value: string; count: number }[] | null;
}
interface Column {
  name: string;
  type: string;
  role: string;
  profile: Profile;
}
interface DatasetDetail {
  id: string;
  name: string;
  description: string;
  task: string;
  labelColumn: string;
  versions: Connection<{
    id: string;
    version: number;
    rowCount: number;
    columnCount: number;
    sizeBytes: number;
    contentHash: string;
    createdAt: string;
    labelClasses: string[] | null;
    columns: Column[];
  }>;
}

function profileOption(c: Column): ChartOption | null {
  const p = c.profile;
  const histogram = p.histogram;
  if (histogram) {
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 8, top: 8, bottom: 24 },
      xAxis: { type: 'category', data: histogram.counts.map((_, i) => fmt(histogram.edges[i], 2)), axisLabel: { fontSize: 9 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: 'rows', data: histogram.counts, barCategoryGap: '5%' }],
    };
  }
  if (p.topCategories) {
    const top = p.topCategories.slice(0, 12);
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 8, top: 8, bottom: 24 },
      xAxis: { type: 'category', data: top.map((t) => t.value), axisLabel: { fontSize: 9 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: 'rows', data: top.map((t) => t.count) }],
    };
  }
  return null;
}

function ColumnCard({ c }: { c: Column }) {
  const option = useMemo(() => profileOption(c), [c]);
  const p = c.profile;
  return (
    <div className="column-card" data-testid="column-profile">
      <h3>
        {c.name}{' '}
        <span className="muted small">
          {c.type.toLowerCase()}
          {c.role !== 'FEATURE' ? `, ${c.role.toLowerCase()}` : ''}
        </span>
      </h3>
      <p className="muted small">
        {p.count} values, {p.missing} missing, {p.distinct} distinct
        {p.mean != null ? `; mean ${fmt(p.mean, 3)}, std ${fmt(p.std, 3)}, ${fmt(p.min, 3)} to ${fmt(p.max, 3)}` : ''}
      </p>
      {option && <Chart option={option} height={140} label={`${c.name} histogram`} />}
    </div>
  );
}

export function DatasetPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useQuery<{ dataset: DatasetDetail | null }>(
    `query Dataset($id: ID!) { dataset(id: $id) { id name description task labelColumn versions(first: 100) { edges { node {
      id version rowCount columnCount sizeBytes contentHash createdAt labelClasses
      columns { name type role profile { count missing distinct mean std min max histogram { edges counts } topCategories { value count } } } } } } } }`,
    { id },
  );
  const [versionId, setVersionId] = useState<string>();
  const [file, setFile] = useState<File>();
  const [uploadError, setUploadError] = useState<string>();
  const [uploadNote, setUploadNote] = useState<string>();
  if (!data) return <Loading error={error} loading={loading} />;
  const d = data.dataset;
  if (!d) return <p className="error">Dataset {id} not found.</p>;
  const versions = nodes(d.versions);
  const version = versions.find((v) => v.id === versionId) ?? versions.at(0);
  const upload = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    setUploadError(undefined);
    try {
      const r = await uploadCsv(d.name, file);
      setUploadNote(r.created ? `Version ${r.version.version} created.` : `Same content as version ${r.version.version}.`);
      reload();
    } catch (e) {
      setUploadError((e as Error).message);
    }
  };
  return (
    <>
      <Card title={<>Dataset {d.name}</>}>
        <KeyValues
          rows={[
            ['task', d.task],
            ['label', d.labelColumn],
            ['description', d.description || '–'],
            ['versions', d.versions.edges.length],
          ]}
        />
        <form className="upload" onSubmit={(event) => void upload(event)}>
          <label>
            new version from a CSV file <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0])} />
          </label>
          <button type="submit" disabled={!file}>
            Upload version
          </button>
          {uploadNote && <span className="muted">{uploadNote}</span>}
          {uploadError && (
            <p className="error" role="alert">
              {uploadError}
            </p>
          )}
        </form>
        <Table
          head={['version', 'rows', 'columns', 'bytes', 'sha256', 'created', '']}
          rows={versions.map((v) => [
            `v${v.version}`,
            fmt(v.rowCount),
            v.columnCount,
            fmt(v.sizeBytes),
            <code className="small">{v.contentHash.slice(0, 12)}</code>,
            when(v.createdAt),
            v.id === version?.id ? 'shown' : <button onClick={() => setVersionId(v.id)}>show</button>,
          ])}
        />
      </Card>
      {version && (
        <Card title={`Columns of v${version.version}${version.labelClasses ? ` (classes ${version.labelClasses.join(', ')})` : ''}`}>
          <div className="columns-grid">
            {version.columns.map((c) => (
              <ColumnCard key={c.name} c={c} />
            ))}
          </div>
        </Card>
      )}
    </>
  );
}
