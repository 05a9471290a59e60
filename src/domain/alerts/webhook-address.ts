import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { formatLimit } from '../common/input-fields';
import { ValidationError } from '../errors';

/**
 * Which webhook targets mlplane may call: public unicast addresses, plus what the operator lists in
 * `MLPLANE_WEBHOOK_ALLOW`. Everything else (loopback, private, link-local, carrier-grade NAT,
 * multicast, broadcast, unspecified, documentation and other reserved ranges, and IPv6 forms that
 * embed an IPv4 address: IPv4-mapped, NAT64, 6to4, Teredo) is refused, so an alert rule cannot
 * turn mlplane into a proxy towards its own network or a cloud metadata endpoint.
 */
export interface WebhookAllowList {
  /** Address ranges allowed whatever their kind. */
  readonly ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  /** Host names (lower case) whose resolved addresses are allowed whatever their kind. */
  readonly hosts: ReadonlySet<string>;
}

export const EMPTY_WEBHOOK_ALLOW_LIST: WebhookAllowList = { ranges: [], hosts: new Set() };

/**
 * Parses `MLPLANE_WEBHOOK_ALLOW`-style entries: an address (`10.0.0.7`, `::1`), a CIDR range
 * (`10.0.0.0/8`, `fd00::/8`) or a host name (`hooks.internal.example`).
 * @throws Error naming the bad entry.
 */
export function parseWebhookAllowList(entries: readonly string[]): WebhookAllowList {
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  const hosts = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${raw}" is not a CIDR range`);
      }
    } else if (ipaddr.isValid(entry.replace(/^\[|\]$/g, ''))) {
      const address = ipaddr.parse(entry.replace(/^\[|\]$/g, ''));
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)) {
      hosts.add(entry.replace(/\.$/, ''));
    } else {
      throw new Error(`"${raw}" is neither an address, a CIDR range nor a host name`);
    }
  }
  return { ranges, hosts };
}

/** The IPv4 address an IPv6 address stands for (mapped `::ffff:a.b.c.d`), else the address itself. */
function canonical(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function inAllowedRange(address: ipaddr.IPv4 | ipaddr.IPv6, allow: WebhookAllowList): boolean {
  return allow.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match([base, bits] as never));
}

/**
 * Why `address` may not be called, or null when it may: it is public unicast, or in an allowed
 * range. The reason names the range, e.g. `127.0.0.1 is a loopback address`.
 */
export function refusedAddressReason(address: string, allow: WebhookAllowList): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.parse(address);
  const effective = canonical(parsed);
  if (inAllowedRange(effective, allow) || inAllowedRange(parsed, allow)) return null;
  const range = effective.range();
  if (range === 'unicast') return null;
  return `${address} is a ${range} address`;
}

/** A webhook URL, checked for its form: http(s), no credentials, a host. */
export interface WebhookUrl {
  url: URL;
  /** The host name, lower case, without brackets for IPv6 literals. */
  hostname: string;
  /** Set when the host is an address literal (any IPv4 spelling is normalized by the URL parser: `0x7f000001` is `127.0.0.1`). */
  literalAddress: string | null;
  port: number;
}

/** Longest accepted webhook URL. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The form of a webhook URL: at most {@link MAX_WEBHOOK_URL_LENGTH} characters, http(s), no credentials, a host; produces the parsed URL. */
export const webhookUrlSchema = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH, { error: `must have at most ${formatLimit(MAX_WEBHOOK_URL_LENGTH)} characters` })
  .transform((value, context) => {
    const refuse = (message: string) => {
      context.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    };
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return refuse(`"${value}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('must be http or https');
    if (url.username || url.password) return refuse('may not carry credentials (sign with the secret instead)');
    if (url.hostname === '') return refuse('needs a host');
    return url;
  });

/**
 * Checks the form of a webhook URL ({@link webhookUrlSchema}) and, when its host is an address
 * literal, the address. Host names are resolved and checked by the caller (they may change at any time).
 * @throws ValidationError naming `field`.
 */
export function checkWebhookUrl(value: string, allow: WebhookAllowList, field: string): WebhookUrl {
  const url = parseInput(webhookUrlSchema, value, field);
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literalAddress = ipaddr.isValid(hostname) && (hostname.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(hostname)) ? hostname : null;
  if (literalAddress !== null) {
    const reason = refusedAddressReason(literalAddress, allow);
    if (reason) throw new ValidationError(`webhook target refused: ${reason} (list it in MLPLANE_WEBHOOK_ALLOW to allow it)`, { field });
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, hostname, literalAddress, port };
}

/**
 * Checks every address a host name resolved to; all must be allowed (a resolver may hand out any of
 * them). An allow-listed host name is trusted whatever it resolves to.
 * @returns the reason of the first refused address, or null.
 */
export function refusedResolutionReason(hostname: string, addresses: readonly string[], allow: WebhookAllowList): string | null {
  if (addresses.length === 0) return `${hostname} does not resolve`;
  if (allow.hosts.has(hostname)) return null;
  for (const address of addresses) {
    const reason = refusedAddressReason(address, allow);
    if (reason) return `${hostname} resolves to ${reason}`;
  }
  return null;
}
