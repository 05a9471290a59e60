import { useEffect, useMemo, useState } from 'react';
import { gql, nodes, type Connection } from '../api';
import { Chart, lineOption } from '../Chart';
import { duration, fmt, short, text, when } from '../format';
import { useQuery, useSubscription } from '../hooks';
import { Card, KeyValues, Link, Loading, Status, Table } from '../ui';

interface RunRow {
  id: string;
  kind: string;
  status: string;
  backend: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  model: { name: string };
  modelVersion: { id: string; version: number } | null;
}

const RUN_FIELDS = 'id kind status backend createdAt startedAt finishedAt model { name } modelVersion { id version }';

export function RunsPage() {
  const { data, error, loading } = useQuery<{ runs: { totalCount: number; edges: { node: RunRow }[] } }>(
    `{ runs(first: 50) { totalCount edges { node { ${RUN_FIELDS} } } } }`,
  );
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => {
    if (data) setRuns(data.runs.edges.map((e) => e.node));
  }, [data]);
  useSubscription<{ runUpdated: RunRow }>(`subscription { runUpdated { ${RUN_FIELDS} } }`, {}, ({ runUpdated }) => {
    setRuns((current) => {
      const at = current.findIndex((r) => r.id === runUpdated.id);
      if (at < 0) return [runUpdated, ...current];
      const next = current.slice();
      next[at] = runUpdated;
      return next;
    });
  });
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <Card
      title={`Runs${data ? ` (${Math.max(data.runs.totalCount, runs.length)})` : ''}`}
      actions={
        <a
          className={`button${selected.length < 2 ? ' disabled' : ''}`}
          href={selected.length >= 2 ? `#/compare?ids=${selected.join(',')}` : undefined}
          aria-disabled={selected.length < 2}
        >
          Compare {selected.length || ''}
        </a>
      }
    >
      <Loading error={error} loading={loading && !data} />
      {data && runs.length === 0 && (
        <p className="muted">
          No runs yet. Start one with <code>startTrainingRun</code>, or run <code>npm run demo</code>.
        </p>
      )}
      {runs.length > 0 && (
        <Table
          testId="runs-table"
          head={['', 'run', 'kind', 'model', 'status', 'backend', 'created', 'took', 'version']}
          rows={runs.map((r) => [
            <input type="checkbox" aria-label={`select run ${short(r.id)}`} checked={selected.includes(r.id)} onChange={() => toggle(r.id)} />,
            <Link to={`/runs/${r.id}`}>{short(r.id)}</Link>,
            r.kind,
            r.model.name,
            <span data-testid={`run-status-${r.id}`}>
              <Status value={r.status} />
            </span>,
            r.backend ?? '–',
            when(r.createdAt),
            r.startedAt ? duration(r.startedAt, r.finishedAt) : '–',
            r.modelVersion ? <Link to={`/versions/${r.modelVersion.id}`}>v{r.modelVersion.version}</Link> : '–',
          ])}
        />
      )}
    </Card>
  );
}

interface EpochMetrics {
  loss: number | null;
  accuracy: number | null;
  mae: number | null;
  rmse: number | null;
}
interface Epoch {
  epoch: number;
  elapsedMs: number;
  epochMs: number;
  samplesPerSecond: number;
  train: EpochMetrics;
  validation: EpochMetrics | null;
}
const EPOCH_FIELDS = 'epoch elapsedMs epochMs samplesPerSecond train { loss accuracy mae rmse } validation { loss accuracy mae rmse }';

interface RunDetail extends RunRow {
  backendReason: string | null;
  error: string | null;
  attempts: number;
  summary: Record<string, unknown> | null;
  datasetVersion: { id: string; version: number; dataset: { id: string; name: string } };
  hyperparameters: Record<string, unknown> | null;
  environment: Record<string, unknown> | null;
  epochs: EpochPage;
}

type EpochPage = Connection<Epoch> & { pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const EPOCH_PAGE = `pageInfo { hasNextPage endCursor } edges { node { ${EPOCH_FIELDS} } }`;
const EPOCH_PAGE_QUERY = `query Epochs($id: ID!, $after: String) { run(id: $id) { epochs(first: 100, after: $after) { ${EPOCH_PAGE} } } }`;

/** Every epoch of a run: the page it came with, then the pages after it (a training curve is read whole, oldest first). */
async function allEpochs(id: string, first: EpochPage): Promise<Epoch[]> {
  const epochs = nodes(first);
  let page = first;
  while (page.pageInfo.hasNextPage && page.pageInfo.endCursor) {
    const next = await gql<{ run: { epochs: EpochPage } | null }>(EPOCH_PAGE_QUERY, { id, after: page.pageInfo.endCursor });
    if (!next.run) break;
    page = next.run.epochs;
    epochs.push(...nodes(page));
  }
  return epochs;
}

/** Both lists' epochs, each once, in order. */
function mergeEpochs(a: Epoch[], b: Epoch[]): Epoch[] {
  const byEpoch = new Map([...a, ...b].map((e) => [e.epoch, e]));
  return [...byEpoch.values()].sort((x, y) => x.epoch - y.epoch);
}

const RUN_QUERY = `query Run($id: ID!) { run(id: $id) {
  ${RUN_FIELDS} backendReason error attempts
  summary { epochsRun stopReason stopDetail bestEpoch restoredBestWeights batchSize stepEngine durationMs splitSizes { train validation test } timings { loadMs pipelineMs trainingMs importanceMs } }
  datasetVersion { id version dataset { id name } }
  hyperparameters { epochs batchSize optimizer learningRate seed backend split { train validation test } earlyStopping { monitor patience minDelta } classWeights { class weight } }
  environment { backend tfjsVersion libtensorflowVersion nodeVersion platform cpuModel cpuCores }
  epochs(first: 100) { ${EPOCH_PAGE} }
} }`;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

function metricSeries(epochs: Epoch[], metric: keyof EpochMetrics) {
  return [
    { name: `train ${metric}`, data: epochs.map((e) => [e.epoch, e.train[metric]] as [number, number | null]) },
    ...(epochs.some((e) => e.validation?.[metric] != null)
      ? [{ name: `validation ${metric}`, data: epochs.map((e) => [e.epoch, e.validation?.[metric] ?? null] as [number, number | null]) }]
      : []),
  ];
}

function secondMetric(epochs: Epoch[]): keyof EpochMetrics {
  return epochs.some((e) => e.train.accuracy != null) ? 'accuracy' : epochs.some((e) => e.train.mae != null) ? 'mae' : 'accuracy';
}

export function RunPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useQuery<{ run: RunDetail | null }>(RUN_QUERY, { id });
  const [epochs, setEpochs] = useState<Epoch[]>([]);
  const [status, setStatus] = useState<string>();
  useEffect(() => {
    if (!data?.run) return;
    const page = data.run.epochs;
    setEpochs(nodes(page));
    setStatus(data.run.status);
    if (!page.pageInfo.hasNextPage) return;
    let current = true;
    allEpochs(id, page).then(
      (all) => current && setEpochs((shown) => mergeEpochs(all, shown)),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [data]);
  const lastEpoch = data?.run ? (nodes(data.run.epochs).at(-1)?.epoch ?? 0) : 0;
  useSubscription<{ runProgress: { type: string; status: string; epoch: Epoch | null } }>(
    `subscription Progress($id: ID!, $after: Int) { runProgress(runId: $id, afterEpoch: $after) { type status epoch { ${EPOCH_FIELDS} } } }`,
    { id, after: lastEpoch },
    ({ runProgress }) => {
      if (runProgress.epoch) {
        const epoch = runProgress.epoch;
        setEpochs((current) => (current.some((e) => e.epoch === epoch.epoch) ? current : [...current, epoch].sort((a, b) => a.epoch - b.epoch)));
      }
      setStatus((previous) => {
        if (previous !== runProgress.status && FINAL.has(runProgress.status)) setTimeout(reload, 0);
        return runProgress.status;
      });
    },
    { skip: !data?.run || FINAL.has(data.run.status) },
  );
  const second = secondMetric(epochs);
  const lossOption = useMemo(() => lineOption('epoch', metricSeries(epochs, 'loss'), 'loss'), [epochs]);
  const metricOption = useMemo(() => lineOption('epoch', metricSeries(epochs, second), second), [epochs, second]);
  if (!data) return <Loading error={error} loading={loading} />;
  const run = data.run;
  if (!run) return <p className="error">Run {id} not found.</p>;
  const h = run.hyperparameters;
  const env = run.environment;
  return (
    <>
      <Card
        title={
          <>
            Run {short(run.id)}{' '}
            <span data-testid="run-status">
              <Status value={status ?? run.status} />
            </span>
          </>
        }
      >
        <KeyValues
          rows={[
            ['kind', run.kind],
            ['model', run.model.name],
            [
              'dataset',
              <Link to={`/datasets/${run.datasetVersion.dataset.id}`}>
                {run.datasetVersion.dataset.name} v{run.datasetVersion.version}
              </Link>,
            ],
            ['backend', run.backend ?? '–'],
            ['why', run.backendReason ?? '–'],
            ['created', when(run.createdAt)],
            ['started', when(run.startedAt)],
            ['finished', when(run.finishedAt)],
            ['took', run.startedAt ? duration(run.startedAt, run.finishedAt) : '–'],
            ['attempts', run.attempts],
            ['epochs done', <span data-testid="epoch-count">{epochs.length}</span>],
            ['version', run.modelVersion ? <Link to={`/versions/${run.modelVersion.id}`}>v{run.modelVersion.version}</Link> : '–'],
          ]}
        />
        {run.error && <p className="error">{run.error}</p>}
      </Card>
      <div className="grid">
        <Card title="Loss">
          <Chart option={lossOption} testId="loss-chart" label="loss by epoch, train and validation" />
        </Card>
        <Card title={second === 'accuracy' ? 'Accuracy' : second.toUpperCase()}>
          <Chart option={metricOption} testId="metric-chart" label={`${second} by epoch`} />
        </Card>
      </div>
      <div className="grid">
        {h && (
          <Card title="Hyperparameters">
            <KeyValues
              rows={[
                ['epochs', String(h.epochs)],
                ['batch size', text(h.batchSize, 'full batch')],
                ['optimizer', String(h.optimizer)],
                ['learning rate', String(h.learningRate)],
                ['seed', String(h.seed)],
                ['backend asked', String(h.backend)],
                ['split', JSON.stringify(h.split)],
                ['early stopping', h.earlyStopping ? JSON.stringify(h.earlyStopping) : 'off'],
                ['class weights', h.classWeights ? JSON.stringify(h.classWeights) : 'none'],
              ]}
            />
          </Card>
        )}
        <Card title="Environment">
          {env ? <KeyValues rows={Object.entries(env).map(([k, v]) => [k, text(v)])} /> : <p className="muted">Recorded when the run succeeds.</p>}
        </Card>
        {run.summary && (
          <Card title="Summary">
            <pre className="json">{JSON.stringify(run.summary, null, 2)}</pre>
          </Card>
        )}
      </div>
      {epochs.length > 0 && (
        <Card title="Epochs">
          <Table
            head={['epoch', 'loss', 'val loss', second, `val ${second}`, 'epoch ms', 'since start ms', 'rows/s']}
            rows={epochs.map((e) => [
              e.epoch,
              fmt(e.train.loss),
              fmt(e.validation?.loss),
              fmt(e.train[second]),
              fmt(e.validation?.[second]),
              fmt(e.epochMs, 0),
              fmt(e.elapsedMs, 0),
              fmt(e.samplesPerSecond, 0),
            ])}
          />
        </Card>
      )}
    </>
  );
}

export function ComparePage({ ids }: { ids: string[] }) {
  const [runs, setRuns] = useState<(Omit<RunDetail, 'epochs'> & { epochs: Epoch[] })[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    Promise.all(
      ids.map(async (id) => {
        const { run } = await gql<{ run: RunDetail | null }>(RUN_QUERY, { id });
        return run && { ...run, epochs: await allEpochs(id, run.epochs) };
      }),
    ).then(
      (results) => setRuns(results.filter((r) => r !== null)),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [ids.join(',')]);
  const options = useMemo(() => {
    if (!runs) return [];
    return (['loss', 'validation loss', 'accuracy', 'validation accuracy'] as const).map((what) => {
      const validation = what.startsWith('validation');
      const metric = what.endsWith('loss') ? 'loss' : 'accuracy';
      return {
        what,
        option: lineOption(
          'epoch',
          runs.map((r) => ({
            name: short(r.id),
            data: r.epochs.map((e) => [e.epoch, (validation ? e.validation?.[metric] : e.train[metric]) ?? null] as [number, number | null]),
          })),
          what,
        ),
      };
    });
  }, [runs]);
  if (!runs) return <Loading error={error} loading />;
  if (runs.length < 2) return <p className="muted">Pick two or more runs on the Runs page to compare them.</p>;
  return (
    <>
      <div className="grid">
        {options.map(({ what, option }) => (
          <Card key={what} title={what}>
            <Chart option={option} testId={`compare-${what.replace(' ', '-')}`} label={`${what} of ${runs.length} runs`} />
          </Card>
        ))}
      </div>
      <Card title="Runs side by side">
        <Table
          head={['run', 'model', 'status', 'epochs', 'batch', 'optimizer', 'lr', 'backend', 'final loss', 'final val loss', 'took']}
          rows={runs.map((r) => [
            <Link to={`/runs/${r.id}`}>{short(r.id)}</Link>,
            r.model.name,
            <Status value={r.status} />,
            r.epochs.length,
            text(r.hyperparameters?.batchSize, 'full'),
            text(r.hyperparameters?.optimizer),
            text(r.hyperparameters?.learningRate),
            r.backend ?? '–',
            fmt(r.epochs.at(-1)?.train.loss),
            fmt(r.epochs.at(-1)?.validation?.loss),
            duration(r.startedAt, r.finishedAt),
          ])}
        />
      </Card>
    </>
  );
}
