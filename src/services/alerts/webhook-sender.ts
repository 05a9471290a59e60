import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, type WebhookTarget } from './webhook-target';

/** What one attempt learned: the HTTP status (null when no answer came) and how long it took. */
export interface WebhookAttemptResult {
  status: number | null;
  /** Until the status line; null when no request was sent. */
  durationMs: number | null;
  /** Why it did not deliver: `HTTP 500`, `redirect not followed (HTTP 302)`, `timeout after 5000 ms`, `ECONNREFUSED`; null on 2xx. */
  error: string | null;
}

/**
 * POSTs `body` to a checked target, connecting to the checked address only (the socket's lookup is
 * pinned; TLS still verifies the certificate for the URL's host name). Redirects are not followed:
 * a 3xx is a failed attempt. The response body is never read: it is never stored, so a webhook
 * cannot be used to read what a target answers. Never throws.
 */
export function postWebhook(target: WebhookTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookAttemptResult> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ status, durationMs: elapsed(), error });
    };
    const request = client.request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: pinnedLookup(target),
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? null;
        // The status is all that is kept: close the connection rather than read what follows.
        response.on('error', () => undefined);
        response.destroy();
        if (status !== null && status >= 200 && status < 300) finish(status, null);
        else if (status !== null && status >= 300 && status < 400) finish(status, `redirect not followed (HTTP ${status})`);
        else finish(status, status === null ? 'no HTTP status' : `HTTP ${status}`);
      },
    );
    const deadline = setTimeout(() => {
      finish(null, `timeout after ${timeoutMs} ms`);
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish(null, error.code ?? 'connection failed'));
    request.end(body);
  });
}
