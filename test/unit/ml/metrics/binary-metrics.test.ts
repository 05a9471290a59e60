import { ValidationError } from '../../../../src/domain/errors';
import { binaryConfusionMatrix, evaluateBinary } from '../../../../src/ml/metrics/binary-metrics';
import { binaryLogLoss, LOG_LOSS_EPSILON } from '../../../../src/ml/metrics/log-loss';
import { rocAuc, rocCurve } from '../../../../src/ml/metrics/roc-auc';

/*
 * Reference values: scikit-learn 1.9.1 (numpy 2.4.6), computed once with this script
 * (full script, shared with the multiclass and regression tests:
 * test/unit/ml/metrics/sklearn-reference.py):
 *
 *   n = 200
 *   y = np.array([1 if ((i * 31 + 7) % 11) < 5 else 0 for i in range(n)])
 *   s = np.array([((i * 7919) % 23) / 22 for i in range(n)])   # 23 distinct scores: many ties
 *   pred = (s >= 0.5).astype(int)
 *   accuracy_score(y, pred), precision_score(y, pred, zero_division=0), recall_score(...),
 *   f1_score(...), roc_auc_score(y, s), log_loss(y, s, labels=[0, 1]),
 *   confusion_matrix(y, pred, labels=[0, 1])
 *   -> 0.52, 0.47115384615384615, 0.5444444444444444, 0.5051546391752577,
 *      0.5195959595959596, 2.2711340972885203, [[55, 55], [41, 49]]
 *   at threshold 0.3: 0.495, 0.460431654676259, 0.7111111111111111, 0.5589519650655022,
 *      [[35, 75], [26, 64]]
 *   log_loss([0,1,1,0,1], [0.,1.,1.,0.,1.], labels=[0,1]) -> 2.220446049250313e-16, AUC 1.0
 *   log_loss([0,1,1,0,1], [0.5]*5, labels=[0,1]) -> 0.6931471805599453, AUC 0.5
 */
const n = 200;
const tiedLabels = Array.from({ length: n }, (_, i) => ((i * 31 + 7) % 11 < 5 ? 1 : 0));
const tiedScores = Array.from({ length: n }, (_, i) => ((i * 7919) % 23) / 22);

describe('binary metrics', () => {
  it('match a hand-worked case with a tied positive/negative pair', () => {
    const yTrue = [0, 0, 1, 1, 1, 0];
    const p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7];
    const result = evaluateBinary(yTrue, p);
    // Threshold 0.5: predicted positive are p=0.8 (y=1) and p=0.7 (y=0): tp=1, fp=1; fn=2, tn=2.
    expect(result.confusionMatrix).toEqual([
      [2, 1],
      [2, 1],
    ]);
    expect(result.accuracy).toBe(3 / 6);
    expect(result.precision).toBe(1 / 2);
    expect(result.recall).toBe(1 / 3);
    // F1 = 2tp / (2tp + fp + fn) = 2 / 5.
    expect(result.f1).toBe(0.4);
    // Pairs (positive, negative) ranked correctly: 0.35 beats 0.1 (1); 0.8 beats all three (3);
    // 0.4 beats 0.1 (1) and ties 0.4 (0.5) -> 5.5 of 9 pairs.
    expect(result.rocAuc).toBeCloseTo(5.5 / 9, 15);
    // -ln of the true-class probability: 0.9, 0.6, 0.35, 0.8, 0.4, 0.3; mean over 6.
    expect(result.logLoss).toBeCloseTo(-Math.log(0.9 * 0.6 * 0.35 * 0.8 * 0.4 * 0.3) / 6, 14);
    // scikit-learn: roc_auc_score -> 0.6111111111111112, log_loss -> 0.6682358919061325.
    expect(result.rocAuc).toBeCloseTo(0.6111111111111112, 14);
    expect(result.logLoss).toBeCloseTo(0.6682358919061325, 14);
  });

  it('match scikit-learn on 200 samples with heavily tied scores', () => {
    const result = evaluateBinary(tiedLabels, tiedScores);
    expect(result.confusionMatrix).toEqual([
      [55, 55],
      [41, 49],
    ]);
    expect(result.accuracy).toBeCloseTo(0.52, 15);
    expect(result.precision).toBeCloseTo(0.47115384615384615, 15);
    expect(result.recall).toBeCloseTo(0.5444444444444444, 15);
    expect(result.f1).toBeCloseTo(0.5051546391752577, 15);
    expect(result.rocAuc).toBeCloseTo(0.5195959595959596, 13);
    // Scores of exactly 0 and 1 on the wrong class are clipped to eps: -ln(2^-52) = 36.04 each.
    expect(result.logLoss).toBeCloseTo(2.2711340972885203, 12);
  });

  it('moves the decision threshold', () => {
    const result = evaluateBinary(tiedLabels, tiedScores, 0.3);
    expect(result.confusionMatrix).toEqual([
      [35, 75],
      [26, 64],
    ]);
    expect(result.accuracy).toBeCloseTo(0.495, 15);
    expect(result.precision).toBeCloseTo(0.460431654676259, 15);
    expect(result.recall).toBeCloseTo(0.7111111111111111, 15);
    expect(result.f1).toBeCloseTo(0.5589519650655022, 15);
    // A probability equal to the threshold is predicted positive (scikit-learn's >= rule).
    expect(binaryConfusionMatrix([0, 1], [0.3, 0.3], 0.3)).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  it('gives 0 for precision and F1 when nothing is predicted positive (zero_division=0)', () => {
    const result = evaluateBinary([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4]);
    // tp = fp = 0: precision 0/0 -> 0; recall 0/2 = 0; F1 0/(0+2) = 0.
    expect(result.precision).toBe(0);
    expect(result.recall).toBe(0);
    expect(result.f1).toBe(0);
    expect(result.accuracy).toBe(0.5);
    // Positives 0.1 and 0.3 against negatives 0.2 and 0.4: one of four pairs right.
    expect(result.rocAuc).toBe(0.25);
  });

  it('handles perfect predictions: log loss of eps-clipped certainties', () => {
    const yTrue = [0, 1, 1, 0, 1];
    const result = evaluateBinary(yTrue, [0, 1, 1, 0, 1]);
    expect(result.accuracy).toBe(1);
    expect(result.f1).toBe(1);
    expect(result.rocAuc).toBe(1);
    // -ln(1 - eps) = eps to first order; scikit-learn: 2.220446049250313e-16.
    expect(result.logLoss).toBeCloseTo(LOG_LOSS_EPSILON, 30);
    expect(result.logLoss / 2.220446049250313e-16).toBeCloseTo(1, 12);
  });

  it('handles constant predictions: AUC 0.5, log loss ln 2', () => {
    const result = evaluateBinary([0, 1, 1, 0, 1], [0.5, 0.5, 0.5, 0.5, 0.5]);
    // All tied: the ROC curve is the single segment (0,0)-(1,1).
    expect(result.rocAuc).toBe(0.5);
    expect(result.logLoss).toBeCloseTo(Math.LN2, 15);
    // 0.5 >= 0.5: every sample predicted positive.
    expect(result.recall).toBe(1);
    expect(result.precision).toBe(3 / 5);
  });

  it('reports no AUC when the labels hold one class', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNull();
    expect(evaluateBinary([0, 0], [0.2, 0.7]).rocAuc).toBeNull();
  });

  it('builds the ROC curve with tied scores as one point', () => {
    const curve = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.4]);
    // Descending scores: 0.4 (one positive, one negative) -> (0.5, 0.5); 0.35 -> (0.5, 1); 0.1 -> (1, 1).
    expect(curve).toEqual({
      falsePositiveRate: [0, 0.5, 0.5, 1],
      truePositiveRate: [0, 0.5, 1, 1],
      thresholds: [Infinity, 0.4, 0.35, 0.1],
    });
  });

  it('rejects malformed inputs', () => {
    expect(() => evaluateBinary([0, 1], [0.5])).toThrow(ValidationError);
    expect(() => evaluateBinary([], [])).toThrow(ValidationError);
    expect(() => evaluateBinary([0, 2], [0.5, 0.5])).toThrow(/index 1/);
    expect(() => binaryLogLoss([0, 1], [0.5, 1.2])).toThrow(ValidationError);
    expect(() => evaluateBinary([0, 1], [0.5, 0.5], 1.5)).toThrow(/Threshold/);
  });
});
