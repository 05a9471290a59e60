import { ValidationError } from '../../../src/domain/errors';
import { checkTrafficQuery } from '../../../src/domain/deployments/traffic-query';

describe('traffic query bounds', () => {
  it('accepts the defaults and the largest allowed queries', () => {
    expect(() => checkTrafficQuery({ minutes: 60, bucketSeconds: 60 })).not.toThrow();
    expect(() => checkTrafficQuery({ minutes: 7 * 24 * 60, bucketSeconds: 3600 })).not.toThrow();
  });

  it.each([
    [{ minutes: 0, bucketSeconds: 60 }, 'minutes'],
    [{ minutes: 7 * 24 * 60 + 1, bucketSeconds: 3600 }, 'minutes'],
    [{ minutes: 60, bucketSeconds: 4 }, 'bucketSeconds'],
    [{ minutes: 7 * 24 * 60, bucketSeconds: 60 }, 'bucketSeconds'],
  ])('refuses %j naming %s', (query, field) => {
    let error: unknown;
    try {
      checkTrafficQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).location.field).toBe(field);
  });

  it('reports both arguments at once, and the bucket count only once both hold', () => {
    expect(() => checkTrafficQuery({ minutes: 0, bucketSeconds: 2.5 })).toThrow(
      expect.objectContaining({
        violations: [
          { field: 'minutes', message: 'minutes must be an integer from 1 to 10,080, got 0' },
          { field: 'bucketSeconds', message: 'bucketSeconds must be an integer of at least 5, got 2.5' },
        ],
      }),
    );
    expect(() => checkTrafficQuery({ minutes: 600, bucketSeconds: 5 })).toThrow(
      expect.objectContaining({
        violations: [{ field: 'bucketSeconds', message: 'bucketSeconds must cut the minutes into at most 2,000 buckets (minutes * 60 / bucketSeconds)' }],
      }),
    );
  });
});
