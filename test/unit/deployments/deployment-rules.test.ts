import { createHash } from 'node:crypto';
import { canaryBucket, checkCanaryPercent, checkDeploymentName, routesToCanary } from '../../../src/domain/deployments/deployment-rules';
import { ValidationError } from '../../../src/domain/errors';

describe('canary routing', () => {
  it('places a key by the first 32 bits of its SHA-256', () => {
    // sha256("abc") = ba7816bf...: 0xba7816bf / 2^32 * 100 = 3128432319 / 4294967296 * 100 = 72.8389...
    expect(createHash('sha256').update('abc').digest('hex').slice(0, 8)).toBe('ba7816bf');
    expect(canaryBucket('abc')).toBeCloseTo((3128432319 / 4294967296) * 100, 10);
    expect(routesToCanary('abc', 72.8)).toBe(false);
    expect(routesToCanary('abc', 72.9)).toBe(true);
  });

  it('is stable, and a larger percent only adds keys', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `request-${i}`);
    const at10 = keys.filter((key) => routesToCanary(key, 10));
    const at30 = new Set(keys.filter((key) => routesToCanary(key, 30)));
    expect(at10.every((key) => at30.has(key))).toBe(true);
    expect(keys.filter((key) => routesToCanary(key, 10))).toEqual(at10);
    // Binomial(10000, 0.1): sd 30, so 1000 +- 150 is five standard deviations.
    expect(Math.abs(at10.length - 1_000)).toBeLessThan(150);
    expect(Math.abs(at30.size - 3_000)).toBeLessThan(230);
  });
});

describe('deployment rules', () => {
  it('accepts plain names and refuses others', () => {
    expect(checkDeploymentName('churn-prod_v2.1')).toBe('churn-prod_v2.1');
    for (const bad of ['', '-x', 'has space', 'a/b', 'x'.repeat(101)]) expect(() => checkDeploymentName(bad)).toThrow(ValidationError);
  });

  it('takes a canary percent strictly between 0 and 100', () => {
    expect(checkCanaryPercent(0.5)).toBe(0.5);
    for (const bad of [0, 100, -1, 150, NaN]) expect(() => checkCanaryPercent(bad)).toThrow(ValidationError);
    expect(() => checkCanaryPercent(100)).toThrow(
      expect.objectContaining({
        violations: [{ field: 'input.percent', message: 'input.percent must be greater than 0 and less than 100 (0 is no canary, 100 a promotion)' }],
      }),
    );
    expect(() => checkDeploymentName('a/b', 'input.deployment')).toThrow(
      expect.objectContaining({
        violations: [{ field: 'input.deployment', message: 'input.deployment must be 1-100 letters, digits, ., _ or -, starting with a letter or digit' }],
      }),
    );
  });
});
