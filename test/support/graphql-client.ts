import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws/client';
import WebSocket from 'ws';

export type GraphQLResponseBody = FormattedExecutionResult<any, any>;

export interface HttpGraphQLResponse {
  status: number;
  headers: Headers;
  body: GraphQLResponseBody;
}

/** The API key sent to each server (by origin) unless a call names its own; test servers register their ADMIN key here. */
const defaultKeys = new Map<string, string>();

/** Makes `key` the one sent to `url`'s server by default (HTTP `Authorization`, graphql-ws `connectionParams`). */
export function useApiKey(url: string, key: string): void {
  defaultKeys.set(new URL(url).origin, key);
}

/** The default key of `url`'s server, if one was registered. */
export function defaultKeyOf(url: string): string | undefined {
  return defaultKeys.get(new URL(url.replace(/^ws/, 'http')).origin);
}

/** `Authorization: Bearer <key>` for `url`'s default key, unless `headers` already authorize (any case). */
export function withDefaultKey(url: string, headers: Record<string, string>): Record<string, string> {
  const key = defaultKeyOf(url);
  const given = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  return key && !given ? { authorization: `Bearer ${key}`, ...headers } : headers;
}

/** POSTs one operation to `url` (a real HTTP request through fetch), with the server's default key unless `headers` carry one. */
export async function postGraphQL(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpGraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...withDefaultKey(url, headers) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponseBody };
}

/** Rejects when `promise` has not settled after `ms`, naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A subscription being read one result at a time. */
export interface WsSubscription {
  /** The next result; rejects when none arrives within `timeoutMs`, resolves `undefined` when the stream completed. */
  next(timeoutMs?: number): Promise<GraphQLResponseBody | undefined>;
  stop(): Promise<void>;
}

/** A graphql-ws client over the `ws` package, as a browser's GraphiQL would use the same URL. */
export interface WsTestClient {
  readonly client: Client;
  /** Close codes of every socket closure seen so far. */
  readonly closeCodes: number[];
  /** Runs a query or mutation and returns its single result. */
  execute(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody>;
  subscribe(query: string, variables?: Record<string, unknown>): WsSubscription;
  close(): Promise<void>;
}

export interface WsClientOptions {
  /** The API key sent in `connectionParams.authorization`; default: the server's registered key; null sends none. */
  key?: string | null;
}

/** Connects eagerly to `httpUrl`'s ws:// twin; does not retry, so a closed server shows as a closure. */
export async function connectWsClient(httpUrl: string, options: WsClientOptions = {}): Promise<WsTestClient> {
  const closeCodes: number[] = [];
  const url = httpUrl.replace(/^http/, 'ws');
  const key = options.key === undefined ? defaultKeyOf(httpUrl) : options.key;
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: key ? { authorization: `Bearer ${key}` } : undefined,
    // Closures are recorded in closeCodes; the default handler would print them.
    onNonLazyError: () => undefined,
    on: {
      connected: () => connected(),
      closed: (event) => {
        closeCodes.push((event as { code: number }).code);
      },
    },
  });
  await within(ready, 5_000, `connecting to ${url}`);

  const subscribe = (query: string, variables?: Record<string, unknown>): WsSubscription => {
    const iterator = client.iterate<any, any>({ query, variables });
    return {
      next: async (timeoutMs = 5_000) => {
        const result = await within(iterator.next(), timeoutMs, `next result of ${query.trim().slice(0, 60)}`);
        return result.done ? undefined : result.value;
      },
      stop: async () => {
        await iterator.return?.();
      },
    };
  };

  return {
    client,
    closeCodes,
    execute: async (query, variables) => {
      const subscription = subscribe(query, variables);
      const result = await subscription.next();
      await subscription.stop();
      if (!result) throw new Error('operation completed without a result');
      return result;
    },
    subscribe,
    close: async () => {
      await client.dispose();
    },
  };
}
