import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Writes the security headers of every response (helmet): `X-Content-Type-Options: nosniff`, no
 * framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), `Referrer-Policy: no-referrer`, and a
 * Content-Security-Policy that lets an API response load nothing. HSTS is left to the TLS proxy in
 * front of mlplane (mlplane itself serves plain HTTP).
 */
export function securityHeaderWriter(): (response: Pick<ServerResponse, 'setHeader'>) => void {
  const headers = headersSetBy(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: false,
    }),
  );
  // The headers do not depend on the request: helmet runs once, at start, and every response gets
  // its result (helmet's twelve middleware calls per request cost 3% of a small request's CPU).
  return (response) => {
    for (const [name, value] of headers) response.setHeader(name, value);
  };
}

/**
 * The headers a request-independent middleware sets, read by running it once on a recording
 * response. @throws when it does more than set headers (the recording response has no other method)
 * or does not continue synchronously, so a change of helmet's behaviour shows at start.
 */
function headersSetBy(middleware: RequestHandler): [string, string][] {
  const headers = new Map<string, string>();
  const outcome = { continued: false };
  const response = {
    setHeader(name: string, value: string) {
      headers.set(name, value);
      return response;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  void middleware({} as Parameters<RequestHandler>[0], response as unknown as Parameters<RequestHandler>[1], (error?: unknown) => {
    if (error !== undefined) throw new Error('the security-header middleware failed', { cause: error });
    outcome.continued = true;
  });
  if (!outcome.continued) throw new Error('the security-header middleware did not continue synchronously');
  return [...headers];
}

/**
 * The Content-Security-Policy of the web dashboard's files (it replaces the API's `default-src
 * 'none'`, under which the page could load nothing): scripts, styles and fonts from this origin only
 * (inline styles too: ECharts' tooltips carry style attributes), `data:` images (the empty favicon),
 * requests and graphql-ws to this origin only, never framed.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** sha256 CSP sources of a page's inline `<script>` blocks. */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)]
    .filter((match) => match[1].trim() !== '')
    .map((match) => `'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`);
}

let cached: { html: string; policy: string } | undefined;

/**
 * The Content-Security-Policy of the self-contained GraphiQL page: its own inline scripts only (by
 * hash, no `unsafe-inline` for scripts), editor workers from `blob:`, inline styles, `data:` fonts
 * and images, requests and graphql-ws to this origin only, never framed.
 */
export function graphiqlContentSecurityPolicy(html: string): string {
  // The page is one cached string: comparing it to itself is a pointer comparison.
  if (cached?.html !== html) {
    const policy = [
      "default-src 'none'",
      `script-src ${inlineScriptHashes(html).join(' ')} blob:`,
      "worker-src 'self' blob:",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    cached = { html, policy };
  }
  return cached.policy;
}
