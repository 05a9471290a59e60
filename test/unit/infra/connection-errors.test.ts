import { isDatabaseUnavailable, retryWhileUnavailable } from '../../../src/infra/db/connection-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['Prisma: cannot reach the server', { code: 'P1001' }],
    ['Prisma: pool checkout timed out', { code: 'P2024' }],
    ['adapter-pg: connection closed', { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } }],
    ['adapter-pg: not reachable', { cause: { kind: 'DatabaseNotReachable' } }],
    ['pg: admin shutdown', { code: '57P01' }],
    ['pg: cannot connect now (starting up)', { code: '57P03' }],
    ['pg: connection failure class 08', { code: '08006' }],
    ['socket refused', { code: 'ECONNREFUSED' }],
    ['socket reset', { code: 'ECONNRESET' }],
    ['pg: terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool: timeout', new Error('timeout exceeded when trying to connect')],
    [
      'Prisma raw query: the server closed the connection while shutting down',
      Object.assign(new Error('Invalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `N/A`. Message: `Server has closed the connection.`'), {
        code: 'P2010',
        meta: {},
      }),
    ],
  ])('%s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: 'P2002' }],
    ['a syntax error', { code: '42601' }],
    [
      'a raw query that is wrong',
      Object.assign(new Error('Raw query failed. Code: `42601`. Message: `syntax error at or near "SELEC"`'), { code: 'P2010', meta: {} }),
    ],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an object', 'ECONNREFUSED'],
  ])('not for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('retryWhileUnavailable', () => {
  it('retries while the database is away, then returns', async () => {
    let calls = 0;
    const result = await retryWhileUnavailable(
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        return 'stored';
      },
      { initialDelayMs: 1 },
    );
    expect(result).toBe('stored');
    expect(calls).toBe(3);
  });

  it('rethrows other errors at once, and outages past maxWaitMs', async () => {
    let calls = 0;
    await expect(
      retryWhileUnavailable(async () => {
        calls += 1;
        throw new Error('bug');
      }),
    ).rejects.toThrow('bug');
    expect(calls).toBe(1);
    await expect(
      retryWhileUnavailable(async () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), { maxWaitMs: 20, initialDelayMs: 5 }),
    ).rejects.toThrow('refused');
  });
});
