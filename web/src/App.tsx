import { useEffect, useState, type SubmitEvent } from 'react';
import { apiKey, connectionState, onConnectionState, setApiKey, type ConnectionState } from './api';
import { useQuery } from './hooks';
import { AlertsPage } from './pages/Alerts';
import { DatasetPage, DatasetsPage } from './pages/Datasets';
import { DeploymentPage, DeploymentsPage } from './pages/Deployments';
import { ModelsPage, VersionPage } from './pages/Models';
import { ComparePage, RunPage, RunsPage } from './pages/Runs';
import { StudiesPage, StudyPage } from './pages/Studies';

function useHashRoute(): { path: string[]; params: URLSearchParams } {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart, query = ''] = raw.split('?');
  return { path: pathPart.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

const NAV: [string, string][] = [
  ['runs', 'Runs'],
  ['models', 'Models'],
  ['studies', 'Studies'],
  ['deployments', 'Deployments'],
  ['alerts', 'Alerts'],
  ['datasets', 'Datasets'],
];

function KeyField() {
  const [value, setValue] = useState(apiKey());
  const [saved, setSaved] = useState(false);
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setApiKey(value);
    setSaved(true);
    setTimeout(() => setSaved(false), 1500);
  };
  return (
    <form className="key-field" onSubmit={submit}>
      <label htmlFor="api-key">API key</label>
      <input id="api-key" type="password" autoComplete="off" placeholder="none" value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit">{saved ? 'Saved' : 'Use'}</button>
    </form>
  );
}

function Banner() {
  const [state, setState] = useState<ConnectionState>(connectionState());
  useEffect(() => onConnectionState(setState), []);
  if (state.kind === 'unreachable')
    return (
      <div className="banner banner-down" role="alert" data-testid="banner">
        {state.message}
      </div>
    );
  if (state.kind === 'auth')
    return (
      <div className="banner banner-auth" role="alert" data-testid="banner">
        {state.message}
      </div>
    );
  return null;
}

function HealthDot() {
  const { data } = useQuery<{ health: { status: string; version: string; backend: string } }>('{ health { status version backend } }', {}, { pollMs: 15_000 });
  if (!data) return null;
  return (
    <span className="health" title={`backend ${data.health.backend}`}>
      <span className={`dot dot-${data.health.status.toLowerCase()}`} /> v{data.health.version}
    </span>
  );
}

function Page({ path, params }: { path: string[]; params: URLSearchParams }) {
  const [section = 'runs', id] = path;
  switch (section) {
    case 'runs':
      return id ? <RunPage id={id} /> : <RunsPage />;
    case 'compare':
      return <ComparePage ids={(params.get('ids') ?? '').split(',').filter(Boolean)} />;
    case 'models':
      return <ModelsPage />;
    case 'versions':
      return <VersionPage id={id} />;
    case 'studies':
      return id ? <StudyPage id={id} /> : <StudiesPage />;
    case 'deployments':
      return id ? <DeploymentPage name={id} feature={params.get('feature') ?? undefined} /> : <DeploymentsPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'datasets':
      return id ? <DatasetPage id={id} /> : <DatasetsPage />;
    default:
      return <p>Unknown page.</p>;
  }
}

export function App() {
  const route = useHashRoute();
  const section = route.path[0] ?? 'runs';
  const active = section === 'compare' ? 'runs' : section === 'versions' ? 'models' : section;
  return (
    <>
      <header className="top">
        <a className="brand" href="#/runs">
          mlplane
        </a>
        <nav>
          {NAV.map(([to, label]) => (
            <a key={to} href={`#/${to}`} className={active === to ? 'active' : undefined}>
              {label}
            </a>
          ))}
          <a href="/graphql" target="_blank" rel="noreferrer">
            GraphiQL
          </a>
        </nav>
        <HealthDot />
        <KeyField />
      </header>
      <Banner />
      <main>
        <Page path={route.path} params={route.params} />
      </main>
    </>
  );
}
