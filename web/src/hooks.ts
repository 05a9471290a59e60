import { useCallback, useEffect, useRef, useState } from 'react';
import { gql, onKeyChange, subscribe } from './api';

export interface QueryState<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs a query when its variables change (and when the API key changes); `reload` runs it again. */
export function useQuery<T>(query: string, variables: Record<string, unknown> = {}, options: { pollMs?: number; skip?: boolean } = {}): QueryState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => onKeyChange(reload), [reload]);
  useEffect(() => {
    if (options.skip) return;
    let live = true;
    setLoading(true);
    gql<T>(query, JSON.parse(key) as Record<string, unknown>).then(
      (result) => {
        if (!live) return;
        setData(result);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [query, key, tick, options.skip]);
  useEffect(() => {
    if (!options.pollMs) return;
    const timer = setInterval(reload, options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, reload]);
  return { data, error, loading, reload };
}

/** Holds a subscription while mounted (and re-subscribes when the variables or the key change). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape of the data it subscribed to (not checked at run time)
export function useSubscription<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  options: { skip?: boolean } = {},
): string | undefined {
  const handler = useRef(onData);
  handler.current = onData;
  const [error, setError] = useState<string>();
  const [keyTick, setKeyTick] = useState(0);
  useEffect(() => onKeyChange(() => setKeyTick((t) => t + 1)), []);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (options.skip) return;
    setError(undefined);
    return subscribe<T>(query, JSON.parse(key) as Record<string, unknown>, (d) => handler.current(d), setError);
  }, [query, key, keyTick, options.skip]);
  return error;
}
