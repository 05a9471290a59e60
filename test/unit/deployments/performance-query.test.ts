import { checkPerformanceQuery } from '../../../src/domain/deployments/performance-query';

describe('performance query bounds', () => {
  it('accepts windows of up to 10,000 predictions, 100,000 in all', () => {
    expect(checkPerformanceQuery({ window: 100, windows: 1 })).toEqual({ window: 100, windows: 1 });
    expect(checkPerformanceQuery({ window: 10_000, windows: 10 })).toEqual({ window: 10_000, windows: 10 });
  });

  it('reports both arguments at once, and the total only once both hold', () => {
    expect(() => checkPerformanceQuery({ window: 10_001, windows: 0 })).toThrow(
      expect.objectContaining({
        violations: [
          { field: 'window', message: 'window must be an integer from 1 to 10,000, got 10001' },
          { field: 'windows', message: 'windows must be an integer of at least 1, got 0' },
        ],
      }),
    );
    expect(() => checkPerformanceQuery({ window: 10_000, windows: 11 })).toThrow(
      expect.objectContaining({ violations: [{ field: 'windows', message: 'windows must keep window x windows at most 100,000' }] }),
    );
  });
});
