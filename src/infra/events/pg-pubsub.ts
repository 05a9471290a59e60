import { createPubSub, Repeater, type PubSub as LocalPubSub } from '@graphql-yoga/subscription';
import { Client, type Pool } from 'pg';
import { CONNECTION_TIMEOUT_MS, connectionErrorSummary } from '../db/connection-errors';
import { createPgPool } from '../db/pg-pool';
import type { PubSub } from 'type-graphql';
import { logger as rootLogger, type Logger } from '../logger';

/** The one NOTIFY channel every mlplane process publishes on and every API process LISTENs to. */
export const EVENTS_CHANNEL = 'mlplane_events';

/**
 * A local-only topic: each time a lost LISTEN connection is re-established, its subscribers get one
 * `null` event, so streams that replay from the database re-read what they may have missed. (`$` is
 * not allowed in published topics, so no NOTIFY can forge it.)
 */
export const LISTEN_RECONNECTED_TOPIC = '$listen.reconnected';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; an encoded event must stay below. */
export const MAX_EVENT_BYTES = 7999;

/** Topics are routing keys such as `DATASET_CREATED` or `run.metric`: no `:`, which joins topic and id. */
const TOPIC_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/** What travels on the channel, JSON-encoded. `payload` must survive `JSON.stringify` (dates become strings). */
export interface EventEnvelope {
  topic: string;
  /** Narrows the event to subscribers of one entity (type-graphql's `topicId`). */
  id?: string;
  payload: unknown;
}

/** An event whose encoding would not fit a NOTIFY payload: publish an id and let subscribers load the rest. */
export class EventTooLargeError extends Error {
  constructor(
    readonly topic: string,
    readonly bytes: number,
  ) {
    super(`event "${topic}" encodes to ${bytes} bytes; NOTIFY payloads must stay under ${MAX_EVENT_BYTES + 1} bytes`);
    this.name = 'EventTooLargeError';
  }
}

/** Anything that runs a parameterised query: a `pg` Pool or Client, or a Prisma adapter with the same shape. */
export interface SqlExecutor {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Encodes an event for the channel.
 * @throws Error when the topic is not a routing key; EventTooLargeError when the JSON is too long.
 */
export function encodeEvent(event: EventEnvelope): string {
  if (!TOPIC_PATTERN.test(event.topic)) {
    throw new Error(`event topic must match ${String(TOPIC_PATTERN)}, got "${event.topic}"`);
  }
  const text = JSON.stringify(event.id === undefined ? { topic: event.topic, payload: event.payload ?? null } : event);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(event.topic, bytes);
  return text;
}

/** Decodes a channel payload; `undefined` when it is not an mlplane event. */
export function decodeEvent(text: string): EventEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { topic, id, payload } = value as Record<string, unknown>;
  if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic)) return undefined;
  if (id !== undefined && typeof id !== 'string') return undefined;
  return id === undefined ? { topic, payload } : { topic, id, payload };
}

/**
 * Sends one event to every API process through `NOTIFY`, without listening itself (what workers use).
 * Run inside a transaction, PostgreSQL delivers it only when that transaction commits.
 */
export async function publishEvent(db: SqlExecutor, event: EventEnvelope): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, encodeEvent(event)]);
}

/** Turns type-graphql's `publish(topic, payload)` / `publish(topic, id, payload)` into an envelope. */
export function envelopeFromPublishArgs(topic: string, args: unknown[]): EventEnvelope {
  switch (args.length) {
    case 0:
      return { topic, payload: null };
    case 1:
      return { topic, payload: args[0] };
    case 2:
      return { topic, id: String(args[0]), payload: args[1] };
    default:
      throw new Error(`publish("${topic}") takes (payload) or (id, payload), got ${args.length} arguments`);
  }
}

function routingKey(topic: string, id: string | undefined): string {
  return id === undefined ? topic : `${topic}:${id}`;
}

type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * The in-process event target behind the local fan-out. Node's own EventTarget turns a throwing
 * listener into an uncaught exception; here a subscriber whose repeater overflows (more than 1024
 * undelivered events) loses that event, and the process and the other subscribers carry on.
 */
class IsolatingEventTarget implements EventTarget {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly onListenerError: (type: string, error: unknown) => void) {}

  addEventListener(type: string, listener: Listener | null): void {
    if (!listener) return;
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    if (!listener) return;
    const set = this.listeners.get(type);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(type);
  }

  dispatchEvent(event: Event): boolean {
    for (const listener of [...(this.listeners.get(event.type) ?? [])]) {
      try {
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      } catch (error) {
        this.onListenerError(event.type, error);
      }
    }
    return true;
  }

  /** Number of local subscriptions per routing key (diagnostics and tests). */
  listenerCount(type: string): number {
    return this.listeners.get(type)?.size ?? 0;
  }
}

/** How often drops are logged per routing key (a stalled subscriber under a flood drops thousands a second). */
const DROP_LOG_INTERVAL_MS = 10_000;
/** Routing keys whose drops are counted at once; past this the counts start over. */
const MAX_DROP_KEYS = 1_000;

/** Logs events dropped for subscribers that fell behind: the first at once, then a count per key every {@link DROP_LOG_INTERVAL_MS}. */
function droppedEventLogger(log: Logger): (type: string, error: unknown) => void {
  const drops = new Map<string, { count: number; loggedAt: number }>();
  return (type, error) => {
    if (drops.size >= MAX_DROP_KEYS && !drops.has(type)) drops.clear();
    const entry = drops.get(type) ?? { count: 0, loggedAt: -Infinity };
    drops.set(type, entry);
    entry.count++;
    const now = Date.now();
    if (now - entry.loggedAt < DROP_LOG_INTERVAL_MS) return;
    log.warn({ err: error, routingKey: type, dropped: entry.count }, 'subscribers fell behind; events dropped for them');
    entry.count = 0;
    entry.loggedAt = now;
  };
}

export interface PgPubSubOptions {
  connectionString: string;
  logger?: Logger;
  /** First delay before reconnecting a lost LISTEN connection; doubles per failed attempt. @default 100 */
  reconnectDelayMs?: number;
  /** Upper bound of the reconnect delay. @default 5000 */
  maxReconnectDelayMs?: number;
  /** How often the LISTEN connection is probed with `SELECT 1`, so a silently dead socket is noticed. @default 30000 */
  probeIntervalMs?: number;
}

/**
 * type-graphql's `PubSub` over PostgreSQL LISTEN/NOTIFY.
 *
 * Every publish (from this or any other process) becomes one NOTIFY on {@link EVENTS_CHANNEL}; each
 * process holds one dedicated LISTEN connection and fans the notifications out to its local
 * subscribers, so every subscriber in every API process sees each event exactly once. The publishing
 * process delivers to its own subscribers through the same NOTIFY, never directly.
 *
 * A subscription to `(topic)` receives every event of that topic, with or without an id; one to
 * `(topic, id)` only the events published with that id. Events published while the LISTEN
 * connection is being re-established are not delivered (NOTIFY is not stored): subscriptions that
 * must not miss anything replay from the database after a cursor, and re-read when
 * {@link LISTEN_RECONNECTED_TOPIC} fires.
 */
export class PgPubSub implements PubSub {
  private readonly log: Logger;
  private readonly target: IsolatingEventTarget;
  private readonly local: LocalPubSub<Record<string, [unknown]>>;
  private readonly pool: Pool;
  private listener: Client | undefined;
  private reconnectAttempts = 0;
  private epoch = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(private readonly options: PgPubSubOptions) {
    this.log = (options.logger ?? rootLogger).child({ component: 'pg-pubsub' });
    this.target = new IsolatingEventTarget(droppedEventLogger(this.log));
    this.local = createPubSub<Record<string, [unknown]>>({ eventTarget: this.target });
    this.pool = createPgPool(options.connectionString, 2, this.log, 'mlplane-events-publish');
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  /** Opens the LISTEN connection. @throws when the database cannot be reached. */
  async start(): Promise<void> {
    await this.connectListener();
  }

  /**
   * Which LISTEN connection is up: 1 for the first, +1 per reconnection; null while none is. A
   * cache invalidated by events must drop everything when this changes (NOTIFYs sent in between were lost).
   */
  get listenEpoch(): number | null {
    return this.listener === undefined ? null : this.epoch;
  }

  /** True while the LISTEN connection is up (a readiness signal). */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /**
   * Publishes `payload` on `topic`, or on `topic` for entity `id` with `(topic, id, payload)`.
   * Await it: the returned promise rejects when NOTIFY fails or the event is too large.
   */
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- callers of PgPubSub await it; type-graphql's PubSub ignores the result
  async publish(topic: string, ...args: unknown[]): Promise<void> {
    await publishEvent(this.pool, envelopeFromPublishArgs(topic, args));
  }

  /** Events of `topic` (only those for `id` when given), as they arrive; ends when the pub/sub closes. */
  subscribe(topic: string, id?: unknown): AsyncIterable<unknown> {
    if (this.closing) throw new Error('PgPubSub is closed');
    const source = this.local.subscribe(routingKey(topic, id === undefined || id === null ? undefined : typeof id === 'string' ? id : JSON.stringify(id)));
    return Repeater.race([source, this.closed]);
  }

  /** Local subscriptions per routing key (`topic` or `topic:id`). */
  subscriberCount(topic: string, id?: string): number {
    return this.target.listenerCount(routingKey(topic, id));
  }

  /** Ends every local subscription, then closes the LISTEN connection and the publish pool. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.markClosed();
    clearTimeout(this.reconnectTimer);
    clearInterval(this.probeTimer);
    const listener = this.listener;
    this.listener = undefined;
    await Promise.allSettled([listener?.end(), this.pool.end()]);
  }

  private dispatch(text: string | undefined): void {
    const event = text === undefined ? undefined : decodeEvent(text);
    if (!event) {
      this.log.warn({ payload: text?.slice(0, 200) }, `ignored a malformed notification on ${EVENTS_CHANNEL}`);
      return;
    }
    if (event.id !== undefined) this.local.publish(routingKey(event.topic, event.id), event.payload);
    this.local.publish(event.topic, event.payload);
  }

  private async connectListener(): Promise<void> {
    const client = new Client({
      connectionString: this.options.connectionString,
      application_name: 'mlplane-events-listener',
      keepAlive: true,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) this.dispatch(message.payload);
    });
    client.on('error', (error) => this.onListenerLost(client, error));
    client.on('end', () => this.onListenerLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.closing) {
      await client.end();
      return;
    }
    this.listener = client;
    this.epoch++;
    this.reconnectAttempts = 0;
    this.startProbe(client);
  }

  private startProbe(client: Client): void {
    clearInterval(this.probeTimer);
    const interval = this.options.probeIntervalMs ?? 30_000;
    this.probeTimer = setInterval(() => {
      const timeout = setTimeout(() => this.abandon(client, new Error('LISTEN connection probe timed out')), interval);
      client.query('SELECT 1').then(
        () => clearTimeout(timeout),
        (error: unknown) => {
          clearTimeout(timeout);
          this.abandon(client, error);
        },
      );
    }, interval);
    this.probeTimer.unref();
  }

  /** Gives up on a connection that no longer answers and reconnects with a new one. */
  private abandon(client: Client, error: unknown): void {
    if (client !== this.listener) return;
    this.log.warn({ err: error }, 'LISTEN connection unresponsive; reconnecting');
    this.onListenerLost(client, error);
    client.end().catch(() => undefined);
  }

  private onListenerLost(client: Client, error?: unknown): void {
    if (client !== this.listener || this.closing) return;
    this.listener = undefined;
    clearInterval(this.probeTimer);
    this.log.warn(
      { error: error === undefined ? undefined : connectionErrorSummary(error) },
      'LISTEN connection lost; events published until it is back are not delivered here',
    );
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing) return;
    const base = this.options.reconnectDelayMs ?? 100;
    const delay = Math.min(base * 2 ** this.reconnectAttempts, this.options.maxReconnectDelayMs ?? 5_000);
    this.reconnectAttempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.connectListener().then(
        () => {
          if (!this.listener) return;
          this.log.info('LISTEN connection re-established');
          this.local.publish(LISTEN_RECONNECTED_TOPIC, null);
        },
        (error: unknown) => {
          this.log.warn({ err: error, attempt: this.reconnectAttempts }, 'reconnecting the LISTEN connection failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
  }
}

/** Creates a {@link PgPubSub} and opens its LISTEN connection. @throws when the database cannot be reached. */
export async function createPgPubSub(options: PgPubSubOptions): Promise<PgPubSub> {
  const pubSub = new PgPubSub(options);
  await pubSub.start();
  return pubSub;
}
