import { generateToken, parseToken, secretMatches, bearerToken } from '../../../src/domain/auth/api-key-token';
import { allows, isExpired, satisfies, OPEN_PRINCIPAL, type Principal } from '../../../src/domain/auth/principal';

describe('roles', () => {
  it('orders VIEWER < EDITOR < ADMIN and keeps PREDICTOR apart', () => {
    expect(satisfies('ADMIN', 'EDITOR')).toBe(true);
    expect(satisfies('EDITOR', 'VIEWER')).toBe(true);
    expect(satisfies('VIEWER', 'EDITOR')).toBe(false);
    expect(satisfies('EDITOR', 'ADMIN')).toBe(false);
    expect(satisfies('PREDICTOR', 'VIEWER')).toBe(false);
    expect(satisfies('ADMIN', 'PREDICTOR')).toBe(false);
    expect(satisfies('PREDICTOR', 'PREDICTOR')).toBe(true);
    const predictor: Principal = { kind: 'key', keyId: 'k', name: 'p', role: 'PREDICTOR', deploymentIds: ['d'], expiresAt: null };
    expect(allows(predictor, ['EDITOR', 'PREDICTOR'])).toBe(true);
    expect(allows(predictor, ['VIEWER'])).toBe(false);
    expect(allows(OPEN_PRINCIPAL, ['ADMIN'])).toBe(true);
  });

  it('expires a key at its expiry instant', () => {
    const key: Principal = { ...OPEN_PRINCIPAL, kind: 'key', expiresAt: new Date('2030-01-01T00:00:00Z') };
    expect(isExpired(key, new Date('2029-12-31T23:59:59.999Z'))).toBe(false);
    expect(isExpired(key, new Date('2030-01-01T00:00:00Z'))).toBe(true);
  });
});

describe('API key tokens', () => {
  it('carry 256 random bits of secret, found by lookup id and matched only by the exact secret', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a.token).not.toBe(b.token);
    const parts = parseToken(a.token)!;
    expect(parts.lookupId).toBe(a.lookupId);
    expect(Buffer.from(parts.secret, 'base64url')).toHaveLength(32);
    expect(secretMatches(parts.secret, a.secretHash)).toBe(true);
    expect(secretMatches(parseToken(b.token)!.secret, a.secretHash)).toBe(false);
    expect(a.secretHash.toString('hex')).not.toContain(Buffer.from(parts.secret).toString('hex'));
  });

  it('parses bearer values and refuses malformed tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(parseToken('mlp_123_abc')).toBeUndefined();
    expect(parseToken(`${generateToken().token}x`)).toBeUndefined();
  });
});
