/**
 * ROC curve and the area under it, as scikit-learn's `roc_curve` and `roc_auc_score` for a
 * binary target: samples are ranked by score, samples with tied scores form one point of the
 * curve (so a tie between a positive and a negative counts as half a correctly ranked pair), and
 * the area is the trapezoid rule over the points, starting at (0, 0).
 */
import { requireClassIndices, requireFinite, requireSameLength } from './metric-inputs';

/** One ROC point per distinct score, in decreasing score order, after the origin. */
export interface RocCurve {
  falsePositiveRate: number[];
  truePositiveRate: number[];
  /** Score at which each point is reached (`score >= threshold` predicts positive); the origin has `Infinity`. */
  thresholds: number[];
}

/**
 * Builds the ROC curve of 0/1 labels against scores (higher = more likely positive).
 * Unlike scikit-learn's default it keeps every distinct score (`drop_intermediate=False`);
 * the dropped points are collinear, so the area is the same.
 * Returns `null` when `yTrue` holds a single class: the rates are then undefined.
 * @throws ValidationError on unequal or empty inputs, labels other than 0/1, non-finite scores.
 */
export function rocCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>): RocCurve | null {
  requireSameLength(yTrue, scores, 'a ROC curve');
  requireClassIndices(yTrue, 2, 'True label');
  requireFinite(scores, 'Score');
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) positives += yTrue[i];
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return null;

  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const curve: RocCurve = { falsePositiveRate: [0], truePositiveRate: [0], thresholds: [Infinity] };
  let truePositives = 0;
  let falsePositives = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (yTrue[i] === 1) truePositives++;
    else falsePositives++;
    // A point closes only after the last sample of a group of equal scores.
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[i]) {
      curve.falsePositiveRate.push(falsePositives / negatives);
      curve.truePositiveRate.push(truePositives / positives);
      curve.thresholds.push(scores[i]);
    }
  }
  return curve;
}

/**
 * Area under the ROC curve (scikit-learn's `roc_auc_score` for a binary target).
 * Returns `null` when `yTrue` holds a single class, where scikit-learn returns NaN with a warning.
 * @throws ValidationError on unequal or empty inputs, labels other than 0/1, non-finite scores.
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const curve = rocCurve(yTrue, scores);
  return curve === null ? null : rocCurveArea(curve);
}

/** Area under a ROC curve by the trapezoid rule. */
export function rocCurveArea(curve: RocCurve): number {
  const { falsePositiveRate: x, truePositiveRate: y } = curve;
  let area = 0;
  for (let k = 1; k < x.length; k++) {
    area += ((x[k] - x[k - 1]) * (y[k] + y[k - 1])) / 2;
  }
  return area;
}

/** Most points a stored ROC curve keeps (see {@link thinRocCurve}). */
export const MAX_STORED_ROC_POINTS = 201;

/**
 * At most `maxPoints` points of a curve, for drawing: the first and last, and evenly spaced ones
 * between (by index). Thinning only drops points: every kept point lies on the full curve.
 */
export function thinRocCurve(curve: RocCurve, maxPoints = MAX_STORED_ROC_POINTS): { falsePositiveRate: number[]; truePositiveRate: number[] } {
  const n = curve.falsePositiveRate.length;
  if (n <= maxPoints) return { falsePositiveRate: curve.falsePositiveRate, truePositiveRate: curve.truePositiveRate };
  const picks = Array.from({ length: maxPoints }, (_, k) => Math.round((k * (n - 1)) / (maxPoints - 1)));
  return { falsePositiveRate: picks.map((i) => curve.falsePositiveRate[i]), truePositiveRate: picks.map((i) => curve.truePositiveRate[i]) };
}
