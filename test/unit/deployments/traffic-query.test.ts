import { ValidationError } from '../../../src/domain/errors';
import { validateTrafficQuery } from '../../../src/services/predictions/traffic.service';

describe('traffic query bounds', () => {
  it('accepts the defaults and the largest allowed queries', () => {
    expect(() => validateTrafficQuery({ minutes: 60, bucketSeconds: 60 })).not.toThrow();
    expect(() => validateTrafficQuery({ minutes: 7 * 24 * 60, bucketSeconds: 3600 })).not.toThrow();
  });

  it.each([
    [{ minutes: 0, bucketSeconds: 60 }, 'minutes'],
    [{ minutes: 7 * 24 * 60 + 1, bucketSeconds: 3600 }, 'minutes'],
    [{ minutes: 60, bucketSeconds: 4 }, 'bucketSeconds'],
    [{ minutes: 7 * 24 * 60, bucketSeconds: 60 }, 'bucketSeconds'],
  ])('refuses %j naming %s', (query, field) => {
    let error: unknown;
    try {
      validateTrafficQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).location.field).toBe(field);
  });
});
