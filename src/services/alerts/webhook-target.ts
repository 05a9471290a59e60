import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import {
  checkWebhookUrl,
  EMPTY_WEBHOOK_ALLOW_LIST,
  refusedResolutionReason,
  type WebhookAllowList,
  type WebhookUrl,
} from '../../domain/alerts/webhook-address';
import { ValidationError } from '../../domain/errors';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (the system resolver by default; tests pass a table). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** A checked webhook target: the URL and the address to connect to, which passed the check. */
export interface WebhookTarget extends WebhookUrl {
  address: ResolvedAddress;
}

/**
 * Decides where webhooks may go (see `webhook-address.ts`) and resolves their host names once per
 * check, so that the address connected to is the address checked: DNS rebinding between the check
 * and the connection cannot redirect a delivery inwards.
 */
export class WebhookTargetGuard {
  constructor(
    readonly allow: WebhookAllowList = EMPTY_WEBHOOK_ALLOW_LIST,
    private readonly resolve: HostResolver = systemResolver,
  ) {}

  /**
   * Checks a URL's form, resolves its host and checks every address.
   * @throws ValidationError naming `field` when refused or not resolvable.
   */
  async check(value: string, field: string): Promise<WebhookTarget> {
    const parsed = checkWebhookUrl(value, this.allow, field);
    if (parsed.literalAddress !== null) {
      return { ...parsed, address: { address: parsed.literalAddress, family: parsed.literalAddress.includes(':') ? 6 : 4 } };
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(parsed.hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ValidationError(`webhook host ${parsed.hostname} does not resolve${code ? ` (${code})` : ''}`, { field });
    }
    const reason = refusedResolutionReason(
      parsed.hostname,
      addresses.map((entry) => entry.address),
      this.allow,
    );
    if (reason) throw new ValidationError(`webhook target refused: ${reason} (list it in MLPLANE_WEBHOOK_ALLOW to allow it)`, { field });
    return { ...parsed, address: addresses[0] };
  }
}

/** A `lookup` for http(s).request that answers the checked address, whatever the name: the connection is pinned. */
export function pinnedLookup(target: WebhookTarget): LookupFunction {
  return (_hostname, options, callback) => {
    const { address, family } = target.address;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}
