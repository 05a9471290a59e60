import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../infra/logger';

/** Close code (RFC 6455 "policy violation") of a socket cut because its client stopped reading. */
export const SLOW_SUBSCRIBER_CLOSE_CODE = 1008;

/** How often open sockets are checked. */
const CHECK_INTERVAL_MS = 500;

export interface SlowSubscriberGuardOptions {
  /** A socket that has had bytes queued in the server (the kernel's buffer being full) for this long is cut. */
  maxStallMs: number;
  /** A socket with more than this many bytes queued in the server is cut at once. */
  maxBufferedBytes: number;
  logger: Logger;
}

/**
 * Keeps a client that stops reading from growing the server's memory. graphql-ws awaits each send
 * of a subscription before taking its next event, so a stalled socket holds one message per
 * operation in `ws` and at most 1024 events per subscription in the event bus (older ones dropped);
 * this guard bounds how long that lasts. A socket whose `bufferedAmount` (bytes the kernel would
 * not take yet) has stayed above zero for `maxStallMs`, as seen by checks every 500 ms, or has passed
 * `maxBufferedBytes`, is closed with {@link SLOW_SUBSCRIBER_CLOSE_CODE} and terminated, which ends its
 * subscriptions and frees their queues. Observing the queue (not timing sends) keeps a busy server's
 * own delays from being blamed on its clients.
 * @returns a function that stops the guard.
 */
export function guardSlowSubscribers(wss: WebSocketServer, options: SlowSubscriberGuardOptions): () => void {
  const stalledSince = new WeakMap<WebSocket, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      const buffered = socket.bufferedAmount;
      if (buffered === 0) {
        stalledSince.delete(socket);
        continue;
      }
      const since = stalledSince.get(socket) ?? now;
      stalledSince.set(socket, since);
      if (now - since >= options.maxStallMs || buffered > options.maxBufferedBytes) {
        options.logger.warn({ stalledMs: now - since, bufferedBytes: buffered }, 'graphql-ws client stopped reading; closing its socket');
        socket.close(SLOW_SUBSCRIBER_CLOSE_CODE, 'client too slow: stopped reading');
        socket.terminate();
      }
    }
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
