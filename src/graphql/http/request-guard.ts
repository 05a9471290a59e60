import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';

/** Which browsers and host names may reach the API (README, Security). */
export interface RequestGuardOptions {
  /** Interface the server binds: decides the default of `allowedHosts`. */
  bindHost: string;
  /** Origins allowed besides the server's own, exactly as browsers send them (`http://localhost:5173`). */
  allowedOrigins: readonly string[];
  /**
   * `Host` names accepted (the port is ignored); `*` accepts any. null: the loopback names
   * (`localhost`, `127.0.0.1`, `::1`) when bound to loopback, else any host.
   */
  allowedHosts: readonly string[] | null;
}

/** Why a request is refused, answered with HTTP 403 before any GraphQL runs. */
export interface Refusal {
  status: 403;
  message: string;
}

export interface RequestGuard {
  /** The refusal of a request (HTTP or WebSocket upgrade), or null when it may proceed. */
  refusal(request: Pick<IncomingMessage, 'headers'>, options?: { skipHost?: boolean }): Refusal | null;
  /** Whether `origin` is listed in `allowedOrigins` (those get CORS headers). */
  isListedOrigin(origin: string): boolean;
  /** Set when any Host is accepted although the server is not bound to loopback (worth a warning at start). */
  readonly openToAnyHost: boolean;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** Whether the server binds a loopback interface only. */
export function isLoopbackBind(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

/** The host name of a `Host` header, lower case, without port or IPv6 brackets; null when malformed. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Cross-site and DNS-rebinding protection: the `Host` header must name this server (a page on an
 * attacker's name that resolves to it is refused), and a browser request (one with `Origin`) must
 * come from the server's own origin or a listed one. Requests without `Origin` (curl, SDKs,
 * server-to-server) are not cross-site and pass the origin check.
 */
export function createRequestGuard(options: RequestGuardOptions): RequestGuard {
  const listedOrigins = new Set(options.allowedOrigins);
  const configured = options.allowedHosts?.map((host) => host.replace(/^\[|\]$/g, '').toLowerCase()) ?? null;
  const anyHost = configured ? configured.includes('*') : !isLoopbackBind(options.bindHost);
  const hosts = new Set(configured ?? LOOPBACK_NAMES);

  return {
    openToAnyHost: anyHost && options.allowedHosts === null,
    isListedOrigin: (origin) => listedOrigins.has(origin),
    refusal: (request, { skipHost = false } = {}) => {
      const hostHeader = request.headers.host;
      if (!skipHost && !anyHost) {
        const hostname = hostnameOf(hostHeader);
        if (hostname === null || !hosts.has(hostname)) {
          return { status: 403, message: `Host "${hostHeader ?? ''}" is not allowed (MLPLANE_ALLOWED_HOSTS)` };
        }
      }
      const origin = request.headers.origin;
      if (origin === undefined || listedOrigins.has(origin)) return null;
      let sameOrigin: boolean;
      try {
        const url = new URL(origin);
        sameOrigin = (url.protocol === 'http:' || url.protocol === 'https:') && url.host === hostHeader;
      } catch {
        sameOrigin = false;
      }
      return sameOrigin ? null : { status: 403, message: `Origin "${origin}" is not allowed (MLPLANE_ALLOWED_ORIGINS)` };
    },
  };
}
