/**
 * mlplane's public GraphQL API as the dashboard uses it: queries and mutations over HTTP POST,
 * subscriptions over graphql-ws, both on /graphql of the page's own origin, both carrying the API
 * key from the key field (when one is set). The connection state (reachable, key refused) is
 * shared with the banner.
 */
import { createClient, type Client } from 'graphql-ws';

const KEY_STORAGE = 'mlplane.apiKey';
const GRAPHQL_PATH = '/graphql';

export type ConnectionState = { kind: 'unknown' } | { kind: 'ok' } | { kind: 'unreachable'; message: string } | { kind: 'auth'; message: string };

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

type ErrorBody = { errors?: { message: string; extensions?: { code?: string } }[] };

function authHeader(): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * The refusals that concern the connection rather than one operation, shown on the banner: 401 (no
 * key, or an unknown, revoked or expired one) and, on /graphql, HTTP 403 (refused before GraphQL ran:
 * a foreign Origin or Host, the message names the setting). A role too low is a FORBIDDEN error of
 * one operation (HTTP 200 on /graphql, 403 on the upload route), left to the page that asked.
 */
function refusal(response: Response, body: ErrorBody | null, forbiddenIsPageWide: boolean): ApiError | undefined {
  if (response.status === 401) {
    setState({ kind: 'auth', message: authMessage() });
    return new ApiError(authMessage(), 'UNAUTHENTICATED');
  }
  if (response.status === 403 && forbiddenIsPageWide) {
    const message = body?.errors?.[0]?.message ?? 'HTTP 403';
    setState({ kind: 'auth', message: `The server refused this page's request: ${message}` });
    return new ApiError(message, 'FORBIDDEN');
  }
  return undefined;
}

/** One query or mutation; throws ApiError with the first GraphQL error's message and code. */
export async function gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeader() },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    setState({ kind: 'unreachable', message: 'The mlplane server is unreachable. Is it running?' });
    throw new ApiError('mlplane server unreachable');
  }
  const body = (await response.json().catch(() => null)) as (ErrorBody & { data?: T }) | null;
  const refused = refusal(response, body, true);
  if (refused) throw refused;
  if (!body) {
    setState({ kind: 'unreachable', message: `The server answered HTTP ${response.status} without GraphQL.` });
    throw new ApiError(`HTTP ${response.status}`);
  }
  setState({ kind: 'ok' });
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code);
  return body.data as T;
}

export interface UploadResult {
  created: boolean;
  dataset: { id: string; name: string };
  version: { id: string; version: number };
}

/**
 * Streams a CSV file to `POST /datasets/{name}/versions` (the upload route, which needs an EDITOR
 * key), creating the dataset (`labelColumn` required) or adding a version to it.
 */
export async function uploadCsv(name: string, file: File, params: { labelColumn?: string } = {}): Promise<UploadResult> {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]))).toString();
  let response: Response;
  try {
    response = await fetch(`/datasets/${encodeURIComponent(name)}/versions${query ? `?${query}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', accept: 'application/json', ...authHeader() },
      body: file,
    });
  } catch {
    setState({ kind: 'unreachable', message: 'The mlplane server is unreachable. Is it running?' });
    throw new ApiError('mlplane server unreachable');
  }
  const body = (await response.json().catch(() => null)) as (ErrorBody & Partial<UploadResult>) | null;
  const refused = refusal(response, body, false);
  if (refused) throw refused;
  const error = body?.errors?.[0];
  if (error) throw new ApiError(`Upload refused: ${error.message}`, error.extensions?.code);
  if (!response.ok || !body?.dataset || !body.version) throw new ApiError(`The upload failed with HTTP ${response.status}`);
  return body as UploadResult;
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
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape of the data it subscribed to (not checked at run time)
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError?: (message: string) => void,
  onComplete?: () => void,
): () => void {
  return ws().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError?.(result.errors[0].message);
        else if (result.data) onData(result.data);
      },
      error: (error) => {
        const first: unknown = Array.isArray(error) ? (error as unknown[]).at(0) : error;
        const message = first instanceof Error ? first.message : (first as { message?: unknown } | undefined)?.message;
        onError?.(typeof message === 'string' ? message : 'subscription closed');
      },
      complete: () => onComplete?.(),
    },
  );
}

/** A Relay connection, as every list of the API is. */
export interface Connection<T> {
  edges: { node: T }[];
}

/** A connection's nodes, in order. */
export function nodes<T>(connection: Connection<T>): T[] {
  return connection.edges.map((edge) => edge.node);
}
