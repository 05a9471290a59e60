import { useState } from 'react';
import { gql } from '../api';
import { when } from '../format';
import { useQuery, useSubscription } from '../hooks';
import { Card, Link, Loading, Status } from '../ui';

interface AlertRow {
  id: string;
  kind: string;
  severity: string;
  status: string;
  title: string;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  acknowledgedBy: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  runId: string | null;
  deployment: { name: string } | null;
}

const ALERT_FIELDS = 'id kind severity status title occurrences firstSeenAt lastSeenAt acknowledgedBy resolvedBy resolutionNote runId deployment { name }';

/** The alert feed (of one deployment, or all): live, with acknowledge and resolve. */
export function AlertFeed({ deployment }: { deployment?: string }) {
  const filter = deployment ? { deployment } : {};
  const { data, error, loading, reload } = useQuery<{ alerts: { edges: { node: AlertRow }[] } }>(
    `query Alerts($filter: AlertFilter) { alerts(first: 50, filter: $filter) { edges { node { ${ALERT_FIELDS} } } } }`,
    { filter },
  );
  useSubscription(`subscription Raised($filter: AlertSubscriptionFilter) { alertRaised(filter: $filter) { id } }`, { filter }, reload);
  useSubscription(`subscription Updated($filter: AlertSubscriptionFilter) { alertUpdated(filter: $filter) { id } }`, { filter }, reload);
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const act = async (id: string, mutation: string, variables: Record<string, unknown>) => {
    setBusy(id);
    setActionError(undefined);
    try {
      await gql(mutation, variables);
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const alerts = data?.alerts.edges.map((e) => e.node) ?? [];
  return (
    <Card title={`Alerts${deployment ? ` of ${deployment}` : ''}`} testId="alert-feed">
      <Loading error={error} loading={loading && !data} />
      {actionError && (
        <p className="error" role="alert">
          {actionError}
        </p>
      )}
      {data && alerts.length === 0 && <p className="muted">No alerts.</p>}
      <ul className="alerts">
        {alerts.map((a) => (
          <li key={a.id} className={`alert alert-${a.severity.toLowerCase()}`} data-testid="alert" data-alert-id={a.id} data-status={a.status}>
            <div className="alert-head">
              <Status value={a.status} /> <span className={`sev sev-${a.severity.toLowerCase()}`}>{a.severity}</span> <strong>{a.title}</strong>
            </div>
            <div className="muted small">
              {a.kind} ·{' '}
              {a.deployment ? (
                <Link to={`/deployments/${a.deployment.name}`}>{a.deployment.name}</Link>
              ) : a.runId ? (
                <Link to={`/runs/${a.runId}`}>run</Link>
              ) : (
                ''
              )}{' '}
              · {a.occurrences}×, first {when(a.firstSeenAt)}, last {when(a.lastSeenAt)}
              {a.acknowledgedBy && ` · acknowledged by ${a.acknowledgedBy}`}
              {a.resolvedBy && ` · resolved by ${a.resolvedBy}${a.resolutionNote ? `: ${a.resolutionNote}` : ''}`}
            </div>
            {a.status !== 'RESOLVED' && (
              <div className="alert-actions">
                {a.status === 'OPEN' && (
                  <button
                    disabled={busy === a.id}
                    onClick={() => void act(a.id, 'mutation Ack($id: ID!) { acknowledgeAlert(id: $id) { id status } }', { id: a.id })}
                  >
                    Acknowledge
                  </button>
                )}
                <button
                  disabled={busy === a.id}
                  onClick={() =>
                    void act(a.id, 'mutation Resolve($input: ResolveAlertInput!) { resolveAlert(input: $input) { id status } }', {
                      input: { id: a.id, note: 'resolved from the dashboard' },
                    })
                  }
                >
                  Resolve
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function AlertsPage() {
  return <AlertFeed />;
}
