/**
 * The Gaussian functions a Parzen estimator needs: the complementary error function, the log
 * probability mass of a standard normal between two points (stable far into the tails), the
 * log density of a truncated normal, and a sampler for it.
 */
import type { Random } from '../random';

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Below it erfc comes from the Taylor series of erf, at and above it from a continued fraction. */
const SERIES_LIMIT = 2;
/** Depth of the continued fraction: at x >= 2, 60 levels reach double precision (checked with mpmath). */
const FRACTION_DEPTH = 60;

/**
 * The Laplace continued fraction `K(x)` with `erfc(x) = exp(-x^2) / sqrt(pi) * K(x)`, for `x > 0`,
 * evaluated bottom-up: K = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
function erfcFraction(x: number): number {
  let tail = x;
  for (let k = FRACTION_DEPTH; k >= 1; k--) tail = x + k / 2 / tail;
  return 1 / tail;
}

/** erf(x) for |x| < SERIES_LIMIT: exp(-x^2) * 2/sqrt(pi) * sum x (2x^2)^n / (1*3*...*(2n+1)); all terms positive. */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** The error function. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  return x < SERIES_LIMIT ? erfSeries(x) : 1 - erfc(x);
}

/** The complementary error function, relative error below 1e-13 (checked against mpmath). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return (Math.exp(-x * x) / Math.sqrt(Math.PI)) * erfcFraction(x);
}

/** log(erfc(x)), finite for every finite x (no underflow for large x). */
export function logErfc(x: number): number {
  if (x < SERIES_LIMIT) return Math.log(erfc(x));
  return -x * x - LOG_SQRT_PI + Math.log(erfcFraction(x));
}

/** log of the standard normal CDF. */
export function logNormalCdf(z: number): number {
  return logErfc(-z / Math.SQRT2) - Math.LN2;
}

/** log(exp(p) - exp(q)) for p >= q. */
function logDiffExp(p: number, q: number): number {
  if (q === -Infinity) return p;
  return p + Math.log1p(-Math.exp(q - p));
}

/**
 * log P(a <= Z <= b) for a standard normal Z and a < b. Works in the left tail (flipping the
 * right tail onto it) so that masses far from the mean keep their precision.
 */
export function logNormalMass(a: number, b: number): number {
  if (b <= 0) return logDiffExp(logNormalCdf(b), logNormalCdf(a));
  if (a > 0) return logNormalMass(-b, -a);
  // Straddling the mean, the mass is a sum of two non-negative erf terms: no cancellation, even for tiny intervals.
  return Math.log(0.5 * (erf(b / Math.SQRT2) + erf(-a / Math.SQRT2)));
}

/** A normal distribution N(mu, sigma^2) truncated to [low, high]. */
export interface TruncatedNormal {
  mu: number;
  sigma: number;
  low: number;
  high: number;
}

/** log P(low..high) of the untruncated normal, the normaliser of the truncated density. */
export function logTruncationMass(d: TruncatedNormal): number {
  return logNormalMass((d.low - d.mu) / d.sigma, (d.high - d.mu) / d.sigma);
}

/**
 * log of the truncated density's constant factor, so that its log density at x is
 * -((x - mu) / sigma)^2 / 2 - logDensityNormaliser(d).
 */
export function logDensityNormaliser(d: TruncatedNormal): number {
  return LOG_SQRT_2PI + Math.log(d.sigma) + logTruncationMass(d);
}

/** A standard normal draw (Box-Muller; one of the pair is discarded to keep the generator stateless). */
export function standardNormal(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/**
 * A draw from a truncated normal whose mean lies in [low, high] and whose sigma is at most
 * high - low, as every Parzen kernel's is: then at least Phi(1) - 1/2 = 34% of the mass is in
 * the interval, so rejection from the untruncated normal needs about three draws at most.
 */
export function sampleTruncatedNormal(d: TruncatedNormal, random: Random): number {
  for (;;) {
    const x = d.mu + d.sigma * standardNormal(random);
    if (x >= d.low && x <= d.high) return x;
  }
}
