/**
 * mlplane's public GraphQL API as the dashboard uses it: queries and mutations over HTTP POST,
 * subscriptions over graphql-ws, both on /graphql of the page's own origin, both carrying the API
 * key from the key field (when one is set). The connection state (reachable, key refused) is
 * shared with the banner.
 */
import { createClient, type Client } from 'graphql-ws';

const KEY_STORAGE = 'mlplane.apiKey';
const GRAPHQL_PATH = '/graphql';

export type ConnectionState =
  | { kind: 'unknown' }
  | { kind: 'ok' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'auth'; message: string };

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let state: ConnectionState = { kind: 'unknown' };
const stateListeners = new Set<(s: ConnectionState) => void>();

function setState(next: ConnectionState): void {
  if (next.kind === state.kind && (next as { message?: string }).message === (state as { message?: string }).message) return;
  state = next;
  for (const listener of stateListeners) listener(state);
}

export function connectionState(): ConnectionState {
  return state;
}

export function onConnectionState(listener: (s: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

export function apiKey(): string {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

/** Stores the key and reconnects the subscriptions with it. */
export function setApiKey(key: string): void {
  const trimmed = key.trim();
  if (trimmed) localStorage.setItem(KEY_STORAGE, trimmed);
  else localStorage.removeItem(KEY_STORAGE);
  resetWsClient();
  setState({ kind: 'unknown' });
  for (const listener of keyListeners) listener();
}

const keyListeners = new Set<() => void>();
export function onKeyChange(listener: () => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

function authMessage(): string {
  return apiKey() ? 'The API key was refused: check the key field.' : 'This server needs an API key: enter one in the key field.';
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** One query or mutation; throws ApiError with the first GraphQL error's message and code. */
export async function gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const key = apiKey();
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    setState({ kind: 'unreachable', message: 'The mlplane server is unreachable. Is it running?' });
    throw new ApiError('mlplane server unreachable');
  }
  if (response.status === 401 || response.status === 403) {
    setState({ kind: 'auth', message: authMessage() });
    throw new ApiError(authMessage(), response.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await response.json();
  } catch {
    setState({ kind: 'unreachable', message: `The server answered HTTP ${response.status} without GraphQL.` });
    throw new ApiError(`HTTP ${response.status}`);
  }
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (code && AUTH_CODES.has(code)) {
      setState({ kind: 'auth', message: authMessage() });
    } else {
      setState({ kind: 'ok' });
    }
    throw new ApiError(error.message, code);
  }
  setState({ kind: 'ok' });
  return body.data as T;
}

let wsClient: Client | undefined;

function resetWsClient(): void {
  const old = wsClient;
  wsClient = undefined;
  void old?.dispose();
}

function ws(): Client {
  if (wsClient) return wsClient;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL_PATH}`;
  wsClient = createClient({
    url,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries))),
    connectionParams: () => {
      const key = apiKey();
      return key ? { authorization: `Bearer ${key}` } : {};
    },
    on: {
      connected: () => setState({ kind: 'ok' }),
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        if (code === 4401 || code === 4403) setState({ kind: 'auth', message: authMessage() });
        else if (code !== 1000 && code !== undefined) setState({ kind: 'unreachable', message: 'Live updates are disconnected; reconnecting…' });
      },
    },
  });
  return wsClient;
}

/** Subscribes; returns the unsubscribe function. Errors of the operation go to `onError`. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError?: (message: string) => void, onComplete?: () => void): () => void {
  return ws().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError?.(result.errors[0].message);
        else if (result.data) onData(result.data as T);
      },
      error: (error) => {
        const message = Array.isArray(error) ? error[0]?.message : error instanceof Error ? error.message : 'subscription closed';
        onError?.(String(message));
      },
      complete: () => onComplete?.(),
    },
  );
}
