import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../infra/logger';

/** Close code (RFC 6455 "policy violation") of a socket cut because its client stopped reading. */
export const SLOW_SUBSCRIBER_CLOSE_CODE = 1008;

/** How often open sockets are checked. */
const CHECK_INTERVAL_MS = 500;

export interface SlowSubscriberGuardOptions {
  /** A socket whose oldest unflushed message is older than this is cut. */
  maxStallMs: number;
  /** A socket with more than this many bytes queued in user space is cut at once. */
  maxBufferedBytes: number;
  logger: Logger;
}

interface Tracked {
  /** Start times of the sends not yet flushed to the kernel, oldest first. */
  pending: number[];
}

/**
 * Keeps a client that stops reading from growing the server's memory. graphql-ws awaits each send
 * of a subscription before taking its next event, so a stalled socket holds one message per
 * operation in `ws` and at most 1024 events per subscription in the event bus (older ones dropped);
 * this guard bounds how long that lasts: a socket whose oldest unflushed send is older than
 * `maxStallMs`, or whose `bufferedAmount` passes `maxBufferedBytes`, is closed with
 * {@link SLOW_SUBSCRIBER_CLOSE_CODE} and terminated, which ends its subscriptions and frees their queues.
 * @returns a function that stops the guard.
 */
export function guardSlowSubscribers(wss: WebSocketServer, options: SlowSubscriberGuardOptions): () => void {
  const tracked = new WeakMap<WebSocket, Tracked>();
  wss.on('connection', (socket: WebSocket) => {
    const state: Tracked = { pending: [] };
    tracked.set(socket, state);
    const send = socket.send.bind(socket) as (data: unknown, cb?: (error?: Error) => void) => void;
    // graphql-ws sends through `socket.send(data, callback)`: time each send until it is flushed.
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      const callback = rest.find((arg): arg is (error?: Error) => void => typeof arg === 'function');
      const startedAt = Date.now();
      state.pending.push(startedAt);
      send(data, (error?: Error) => {
        const index = state.pending.indexOf(startedAt);
        if (index >= 0) state.pending.splice(index, 1);
        callback?.(error);
      });
    }) as WebSocket['send'];
  });
  const cut = (socket: WebSocket, why: Record<string, number>) => {
    options.logger.warn(why, 'graphql-ws client stopped reading; closing its socket');
    socket.close(SLOW_SUBSCRIBER_CLOSE_CODE, 'client too slow: stopped reading');
    socket.terminate();
  };
  const timer = setInterval(() => {
    const now = Date.now();
    for (const socket of wss.clients) {
      const state = tracked.get(socket);
      if (!state || socket.readyState !== socket.OPEN) continue;
      const stalledMs = state.pending.length > 0 ? now - state.pending[0] : 0;
      if (stalledMs > options.maxStallMs || socket.bufferedAmount > options.maxBufferedBytes) {
        cut(socket, { stalledMs, bufferedBytes: socket.bufferedAmount });
      }
    }
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
