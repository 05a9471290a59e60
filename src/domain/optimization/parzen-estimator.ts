/**
 * The univariate Parzen estimator of TPE (Bergstra et al., 2011) with Optuna's choices
 * (optuna/samplers/_tpe/parzen_estimator.py, Optuna 5): one truncated Gaussian kernel per
 * observation plus one wide prior kernel, bandwidths from the distances to the neighbouring
 * observations with the "magic clip", log space for the LOG kinds, a probability mass per cell
 * for the int kinds, and prior-smoothed counts for CHOICE.
 */
import type { Random } from '../random';
import { isContinuous, isLogScale, type NumericParameter, type ParamValue, type SearchParameter } from './search-space';
import { logDensityNormaliser, logNormalMass, logTruncationMass, sampleTruncatedNormal, type TruncatedNormal } from './truncated-normal';

/** A density over one parameter's values. */
export interface ParzenEstimator {
  /** A value drawn from the density (on the parameter's grid for int kinds). */
  sample(random: Random): ParamValue;
  /** Log density (continuous kinds, w.r.t. the log of the value for LOG_UNIFORM) or log mass. */
  logPdf(value: ParamValue): number;
}

/**
 * Optuna's `default_weights`: equal weights up to 25 observations; beyond, the 25 most recent
 * keep weight 1 and older ones ramp linearly from 1/n up to 1, so old trials count less.
 * @param n number of observations, ordered oldest first.
 */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const rampLength = n - 25;
  const ramp = Array.from({ length: rampLength }, (_, i) => (rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/**
 * Builds the estimator of one parameter from observed values, oldest first. Values that the
 * parameter cannot take (a CHOICE value not listed, a non-number) are left out.
 * @param priorWeight weight of the prior kernel relative to an observation's weight 1.
 */
export function buildParzenEstimator(parameter: SearchParameter, observations: readonly (ParamValue | undefined)[], priorWeight: number): ParzenEstimator {
  if (parameter.kind === 'CHOICE') {
    const indices = observations.map((v) => parameter.values.indexOf(v as ParamValue)).filter((i) => i >= 0);
    return categoricalEstimator(parameter.values, indices, priorWeight);
  }
  const numbers = observations.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return numericEstimator(parameter, numbers, priorWeight);
}

function mixtureWeights(n: number, priorWeight: number): number[] {
  const weights = n === 0 ? [1] : [...defaultWeights(n), priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/**
 * With kernel k putting `priorWeight / (n + 1)` on every choice plus 1 on its own observation
 * (and the prior kernel only the former), the mixture is itself one categorical distribution:
 * p(c) = sum_k w_k * row_k(c). Sampling it equals sampling a kernel, then a choice from its row.
 */
function categoricalEstimator(values: readonly ParamValue[], observed: number[], priorWeight: number): ParzenEstimator {
  const choices = values.length;
  const weights = mixtureWeights(observed.length, priorWeight);
  const probabilities = new Array<number>(choices).fill(0);
  const base = observed.length === 0 ? 1 / choices : priorWeight / (observed.length + 1);
  const rowTotal = base * choices;
  weights.forEach((w, k) => {
    if (w === 0) return;
    const own = k < observed.length ? observed[k] : -1;
    const total = own >= 0 ? rowTotal + 1 : rowTotal;
    for (let c = 0; c < choices; c++) probabilities[c] += (w * (base + (c === own ? 1 : 0))) / total;
  });
  const cumulative = cumulativeSums(probabilities);
  return {
    sample(random) {
      return values[pickIndex(cumulative, random.next())];
    },
    logPdf(value) {
      const index = values.indexOf(value);
      return index < 0 ? -Infinity : Math.log(probabilities[index]);
    },
  };
}

interface Kernel extends TruncatedNormal {
  logWeight: number;
  /** log P(low..high) of the untruncated kernel (discrete kinds). */
  logMass: number;
  /** See logDensityNormaliser (continuous kinds). */
  logNormaliser: number;
}

/**
 * Bandwidth of each observation's kernel (Optuna's univariate rule without endpoints): the larger
 * of the gaps to its sorted neighbours, the interval bounds acting as neighbours, except that
 * the lowest and highest observations use their inner gap only; then clipped to
 * [(high - low) / min(100, n + 2), high - low].
 */
function bandwidths(mus: readonly number[], lower: number, upper: number): number[] {
  const n = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
  const padded = [lower, ...order.map((i) => mus[i]), upper];
  const sorted = order.map((_, j) => Math.max(padded[j + 1] - padded[j], padded[j + 2] - padded[j + 1]));
  if (n >= 2) {
    sorted[0] = padded[2] - padded[1];
    sorted[n - 1] = padded[n] - padded[n - 1];
  }
  const maxSigma = upper - lower;
  const minSigma = maxSigma / Math.min(100, n + 2);
  const sigmas = new Array<number>(n);
  order.forEach((i, j) => {
    sigmas[i] = Math.min(Math.max(sorted[j], minSigma), maxSigma);
  });
  return sigmas;
}

function numericEstimator(parameter: NumericParameter, observed: number[], priorWeight: number): ParzenEstimator {
  const { low, high } = parameter;
  const step = isContinuous(parameter) ? 0 : parameter.step;
  const log = isLogScale(parameter);
  const toInternal = log ? Math.log : (x: number) => x;
  // Int kinds widen the interval by half a step on each side so that every value owns a cell of equal width.
  const lower = toInternal(low - step / 2);
  const upper = toInternal(high + step / 2);
  const mus = observed.map((x) => toInternal(Math.min(Math.max(x, low), high)));
  const sigmas = bandwidths(mus, lower, upper);
  mus.push(0.5 * (lower + upper));
  sigmas.push(upper - lower);
  const weights = mixtureWeights(observed.length, priorWeight);
  const kernels: Kernel[] = mus.map((mu, k) => {
    const kernel = { mu, sigma: sigmas[k], low: lower, high: upper };
    const logMass = logTruncationMass(kernel);
    return { ...kernel, logWeight: Math.log(weights[k]), logMass, logNormaliser: logDensityNormaliser(kernel) };
  });
  const cumulative = cumulativeSums(weights);

  const fromInternal = (y: number): number => {
    const x = log ? Math.exp(y) : y;
    const snapped = step === 0 ? x : low + Math.round((x - low) / step) * step;
    return Math.min(Math.max(snapped, low), high);
  };

  const componentLogDensity =
    step === 0
      ? (kernel: Kernel, x: number) => {
          const z = (toInternal(x) - kernel.mu) / kernel.sigma;
          return -0.5 * z * z - kernel.logNormaliser;
        }
      : (kernel: Kernel, x: number) => {
          const cellLow = (toInternal(x - step / 2) - kernel.mu) / kernel.sigma;
          const cellHigh = (toInternal(x + step / 2) - kernel.mu) / kernel.sigma;
          return logNormalMass(cellLow, cellHigh) - kernel.logMass;
        };

  return {
    sample(random) {
      const kernel = kernels[pickIndex(cumulative, random.next())];
      return fromInternal(sampleTruncatedNormal(kernel, random));
    },
    logPdf(value) {
      if (typeof value !== 'number' || value < low || value > high) return -Infinity;
      const terms = kernels.map((kernel) => kernel.logWeight + componentLogDensity(kernel, value));
      return logSumExp(terms);
    },
  };
}

function cumulativeSums(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

/** The index i with cumulative[i-1] <= u * total < cumulative[i]; rounding at the top falls to the last index. */
function pickIndex(cumulative: readonly number[], u: number): number {
  const target = u * cumulative[cumulative.length - 1];
  const index = cumulative.findIndex((c) => target < c);
  return index < 0 ? cumulative.length - 1 : index;
}

function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}
