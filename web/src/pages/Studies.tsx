import { useMemo } from 'react';
import { nodes, type Connection } from '../api';
import { Chart, type ChartOption } from '../Chart';
import { fmt, short, when } from '../format';
import { useQuery, useSubscription } from '../hooks';
import { Card, KeyValues, Link, Loading, Status, Table } from '../ui';

export function StudiesPage() {
  const { data, error, loading, reload } = useQuery<{
    runs: { edges: { node: { id: string; status: string; createdAt: string; model: { name: string } } }[] };
  }>('{ runs(first: 50, filter: { kind: OPTIMIZATION }) { edges { node { id status createdAt model { name } } } } }');
  useSubscription('subscription { runUpdated(filter: { kind: OPTIMIZATION }) { id } }', {}, reload);
  if (!data) return <Loading error={error} loading={loading} />;
  return (
    <Card title="Studies">
      {data.runs.edges.length === 0 ? (
        <p className="muted">No optimization studies yet (startOptimization).</p>
      ) : (
        <Table
          head={['study', 'model', 'status', 'created']}
          rows={data.runs.edges.map(({ node: s }) => [
            <Link to={`/studies/${s.id}`}>{short(s.id)}</Link>,
            s.model.name,
            <Status value={s.status} />,
            when(s.createdAt),
          ])}
        />
      )}
    </Card>
  );
}

interface StudyDetail {
  id: string;
  status: string;
  strategy: string;
  maxTrials: number;
  parallelism: number;
  seed: number;
  createdAt: string;
  finishedAt: string | null;
  objective: { metric: string; direction: string };
  trials: Connection<{ number: number; state: string; value: number | null; params: TrialParameters; pruneReason: string | null; runId: string }> & {
    totalCount: number;
  };
  leaderboard: { rank: number; trialNumber: number; value: number; params: TrialParameters; trialRunId: string }[];
  bestModelVersion: { id: string; version: number } | null;
}

interface TrialParameters {
  learningRate: number | null;
  batchSize: number | null;
  epochs: number | null;
  optimizer: string | null;
  layers: { index: number; units: number | null; dropout: number | null }[];
}

const PARAMS = 'learningRate batchSize epochs optimizer layers { index units dropout }';

/** The tuned values only, as `name=value` pairs (`units[0]=32`). */
function paramsText(params: TrialParameters): string {
  const { layers, ...scalars } = params;
  const pairs = Object.entries(scalars).filter((pair): pair is [string, string | number] => pair[1] !== null);
  for (const layer of layers) {
    if (layer.units !== null) pairs.push([`units[${layer.index}]`, layer.units]);
    if (layer.dropout !== null) pairs.push([`dropout[${layer.index}]`, layer.dropout]);
  }
  return pairs.map(([name, value]) => `${name}=${value}`).join(' ');
}

const STUDY_QUERY = `query Study($id: ID!) { study(id: $id) {
  id status strategy maxTrials parallelism seed createdAt finishedAt objective { metric direction }
  trials(first: 100) { totalCount edges { node { number state value params { ${PARAMS} } pruneReason runId } } }
  leaderboard { rank trialNumber value params { ${PARAMS} } trialRunId }
  bestModelVersion { id version }
} }`;

function objectiveOption(study: StudyDetail): ChartOption {
  const done = nodes(study.trials)
    .flatMap((t) => (t.value === null ? [] : [{ ...t, value: t.value }]))
    .sort((a, b) => a.number - b.number);
  const better = (a: number, b: number) => (study.objective.direction === 'MINIMIZE' ? Math.min(a, b) : Math.max(a, b));
  let best: number | undefined;
  const bestSoFar = done.map((t) => {
    best = best === undefined ? t.value : better(best, t.value);
    return [t.number, best];
  });
  return {
    tooltip: { trigger: 'item' },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 36 },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: { type: 'value', name: study.objective.metric, scale: true },
    series: [
      { type: 'scatter', name: 'trial objective', data: done.map((t) => [t.number, t.value]) },
      { type: 'line', name: 'best so far', step: 'end', showSymbol: false, data: bestSoFar },
    ],
  };
}

export function StudyPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useQuery<{ study: StudyDetail | null }>(STUDY_QUERY, { id });
  const live = data?.study && !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(data.study.status);
  useSubscription('subscription Progress($id: ID!) { studyProgress(studyId: $id) { type trialNumber } }', { id }, reload, { skip: !live });
  const option = useMemo(() => (data?.study ? objectiveOption(data.study) : null), [data]);
  if (!data) return <Loading error={error} loading={loading} />;
  const s = data.study;
  if (!s) return <p className="error">Study {id} not found.</p>;
  return (
    <>
      <Card
        title={
          <>
            Study {short(s.id)} <Status value={s.status} />
          </>
        }
      >
        <KeyValues
          rows={[
            ['objective', `${s.objective.direction.toLowerCase()} ${s.objective.metric}`],
            ['strategy', s.strategy],
            ['trials', `${s.trials.totalCount} of ${s.maxTrials}, ${s.parallelism} at once`],
            ['seed', s.seed],
            ['created', when(s.createdAt)],
            ['finished', when(s.finishedAt)],
            ['best version', s.bestModelVersion ? <Link to={`/versions/${s.bestModelVersion.id}`}>v{s.bestModelVersion.version}</Link> : '–'],
          ]}
        />
      </Card>
      <div className="grid">
        <Card title="Objective by trial">{option && <Chart option={option} testId="study-objective" label="objective by trial" />}</Card>
        <Card title="Leaderboard">
          <Table
            testId="leaderboard"
            head={['rank', 'trial', s.objective.metric, 'params']}
            rows={s.leaderboard
              .slice(0, 20)
              .map((l) => [
                l.rank,
                <Link to={`/runs/${l.trialRunId}`}>#{l.trialNumber}</Link>,
                fmt(l.value),
                <code className="small">{paramsText(l.params)}</code>,
              ])}
          />
        </Card>
      </div>
      <Card title="Trials">
        <Table
          head={['trial', 'state', 'value', 'params', 'pruned because']}
          rows={nodes(s.trials).map((t) => [
            <Link to={`/runs/${t.runId}`}>#{t.number}</Link>,
            <Status value={t.state} />,
            fmt(t.value),
            <code className="small">{paramsText(t.params)}</code>,
            t.pruneReason ?? '',
          ])}
        />
      </Card>
    </>
  );
}
