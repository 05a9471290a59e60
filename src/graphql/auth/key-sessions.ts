import type { Principal } from '../../domain/auth/principal';
import type { Authenticator } from './authenticate';

/** graphql-ws close code for a key that was revoked or expired while its socket was open. */
export const KEY_REVOKED_CLOSE_CODE = 4403;

/** Longest delay `setTimeout` honours (about 24.8 days); later expiries re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Session {
  close(code: number, reason: string): void;
  timer?: NodeJS.Timeout;
}

/**
 * The open graphql-ws sockets of each API key, so that revoking a key (in any process: the event
 * arrives through LISTEN/NOTIFY) or reaching its expiry closes them at once.
 */
export class KeySessions {
  private readonly byKey = new Map<string, Set<Session>>();
  private readonly stopListening: () => void;

  constructor(
    auth: Authenticator,
    private readonly now: () => number = Date.now,
  ) {
    this.stopListening = auth.onRevoked((keyId) => this.closeKey(keyId, 'API key revoked'));
  }

  /** Tracks a socket of `principal`; returns the function that forgets it (call it when the socket closes). */
  add(principal: Principal, close: Session['close']): () => void {
    const keyId = principal.keyId;
    if (keyId === null) return () => undefined;
    const session: Session = { close };
    let sessions = this.byKey.get(keyId);
    if (!sessions) this.byKey.set(keyId, (sessions = new Set()));
    sessions.add(session);
    if (principal.expiresAt) this.armExpiry(session, principal.expiresAt.getTime());
    return () => {
      clearTimeout(session.timer);
      sessions.delete(session);
      if (sessions.size === 0 && this.byKey.get(keyId) === sessions) this.byKey.delete(keyId);
    };
  }

  private armExpiry(session: Session, expiresAtMs: number): void {
    const delay = expiresAtMs - this.now();
    if (delay <= 0) {
      session.close(KEY_REVOKED_CLOSE_CODE, 'API key expired');
      return;
    }
    session.timer = setTimeout(() => this.armExpiry(session, expiresAtMs), Math.min(delay, MAX_TIMER_MS));
    session.timer.unref();
  }

  /** Closes every open socket of a key. */
  closeKey(keyId: string, reason: string): void {
    for (const session of [...(this.byKey.get(keyId) ?? [])]) {
      clearTimeout(session.timer);
      session.close(KEY_REVOKED_CLOSE_CODE, reason);
    }
  }

  /** Stops listening for revocations and clears expiry timers. */
  dispose(): void {
    this.stopListening();
    for (const sessions of this.byKey.values()) for (const session of sessions) clearTimeout(session.timer);
    this.byKey.clear();
  }
}
