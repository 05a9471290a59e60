import { GraphQLError } from 'graphql';

/** graphql-ws close code of a socket over its client's cap (4xxx: the application's range; 429 as in HTTP). */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4429;

/** Caps of graphql-ws sockets; 0 turns one off. */
export interface SocketCapSettings {
  /** Sockets of this process: an upgrade beyond it is answered HTTP 429. */
  maxSockets: number;
  /** Sockets of one client: `connection_init` beyond it closes the socket with {@link TOO_MANY_SOCKETS_CLOSE_CODE}. */
  maxSocketsPerClient: number;
  /** Subscriptions open on one socket (operations in flight count too): a `subscribe` beyond it gets a RATE_LIMITED error on that operation. */
  maxSubscriptionsPerSocket: number;
}

/** Counts sockets per client and subscriptions per socket against {@link SocketCapSettings}. */
export class SocketCaps {
  private readonly perClient = new Map<string, number>();

  constructor(readonly settings: SocketCapSettings) {}

  /** Why an upgrade is refused when `openSockets` are already open, or null. */
  upgradeRefusal(openSockets: number): { status: 429; message: string } | null {
    const { maxSockets } = this.settings;
    return maxSockets > 0 && openSockets >= maxSockets
      ? { status: 429, message: `Too many sockets: this server holds at most ${maxSockets} (MLPLANE_MAX_SOCKETS)` }
      : null;
  }

  /** Counts a socket of `client`; false (nothing counted) when the client is at its cap. */
  connect(client: string): boolean {
    const open = this.perClient.get(client) ?? 0;
    if (this.settings.maxSocketsPerClient > 0 && open >= this.settings.maxSocketsPerClient) return false;
    this.perClient.set(client, open + 1);
    return true;
  }

  /** The close reason of a socket refused by {@link connect}. */
  get socketRefusalReason(): string {
    return `Too many sockets for this client: at most ${this.settings.maxSocketsPerClient} (MLPLANE_MAX_SOCKETS_PER_CLIENT)`;
  }

  /** Uncounts a socket that `connect` counted. */
  disconnect(client: string): void {
    const open = (this.perClient.get(client) ?? 1) - 1;
    if (open <= 0) this.perClient.delete(client);
    else this.perClient.set(client, open);
  }

  /**
   * The error refusing a new subscription on a socket where `open` other operations are open
   * (subscriptions, and any query or mutation still running), or null.
   */
  subscriptionRefusal(open: number): GraphQLError | null {
    const { maxSubscriptionsPerSocket: max } = this.settings;
    if (max > 0 && open >= max) {
      return new GraphQLError(`Too many subscriptions on this socket: at most ${max} (MLPLANE_MAX_SUBSCRIPTIONS_PER_SOCKET); complete one first`, {
        extensions: { code: 'RATE_LIMITED' },
      });
    }
    return null;
  }
}
