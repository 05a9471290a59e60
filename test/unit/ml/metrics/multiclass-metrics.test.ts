import { ValidationError } from '../../../../src/domain/errors';
import { argmaxRows, evaluateMulticlass, multiclassReport } from '../../../../src/ml/metrics/multiclass-metrics';

/*
 * Reference values: scikit-learn 1.9.1 (numpy 2.4.6), computed once (script in
 * test/unit/ml/metrics/sklearn-reference.py):
 *
 *   n, K = 300, 4
 *   raw = np.array([[1 + ((i * 13 + c * 29 + (i * c) % 7) % 17) for c in range(K)] for i in range(n)], float)
 *   P = raw / raw.sum(axis=1, keepdims=True)
 *   yt = np.array([(i * 17 + 3) % K if i % 5 else (i * 7) % 3 for i in range(n)])
 *   yh = P.argmax(axis=1)
 *   precision_recall_fscore_support(yt, yh, labels=range(K), zero_division=0), accuracy_score,
 *   the 'macro' and 'weighted' averages, confusion_matrix(yt, yh, labels=range(K)),
 *   log_loss(yt, P, labels=range(K))
 */
const n = 300;
const K = 4;
function formulaCase(): { yTrue: number[]; probabilities: { data: Float64Array; rows: number; cols: number } } {
  const data = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const raw = Array.from({ length: K }, (_, c) => 1 + ((i * 13 + c * 29 + ((i * c) % 7)) % 17));
    let sum = 0;
    for (const value of raw) sum += value;
    raw.forEach((value, c) => (data[i * K + c] = value / sum));
  }
  const yTrue = Array.from({ length: n }, (_, i) => (i % 5 ? (i * 17 + 3) % K : (i * 7) % 3));
  return { yTrue, probabilities: { data, rows: n, cols: K } };
}

describe('multiclass metrics', () => {
  it('match a hand-worked case where one class is never predicted', () => {
    // True [0,0,1,1,2,2]; argmax of the rows gives [0,1,1,1,0,0]: class 2 is never predicted.
    const probabilities = {
      data: [0.7, 0.2, 0.1, 0.3, 0.6, 0.1, 0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.4, 0.35, 0.25, 0.5, 0.1, 0.4],
      rows: 6,
      cols: 3,
    };
    const result = evaluateMulticlass([0, 0, 1, 1, 2, 2], probabilities);
    // Rows true, columns predicted.
    expect(result.confusionMatrix).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [2, 0, 0],
    ]);
    expect(result.accuracy).toBe(0.5);
    // Class 0: tp 1, predicted 3, support 2 -> P 1/3, R 1/2, F1 2/(3+2) = 0.4.
    // Class 1: tp 2, predicted 3, support 2 -> P 2/3, R 1, F1 4/5.
    // Class 2: tp 0, predicted 0 -> P 0/0 = 0 (zero_division), R 0, F1 0.
    expect(result.perClass).toEqual([
      { label: 0, precision: 1 / 3, recall: 0.5, f1: 0.4, support: 2 },
      { label: 1, precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
      { label: 2, precision: 0, recall: 0, f1: 0, support: 2 },
    ]);
    // Macro: P (1/3 + 2/3 + 0)/3 = 1/3, R (0.5 + 1 + 0)/3 = 0.5, F1 (0.4 + 0.8 + 0)/3 = 0.4;
    // equal supports make the weighted averages the same (scikit-learn: 0.333.., 0.5, 0.4).
    expect(result.macro.precision).toBeCloseTo(1 / 3, 15);
    expect(result.macro.recall).toBeCloseTo(0.5, 15);
    expect(result.macro.f1).toBeCloseTo(0.4, 15);
    expect(result.weighted.f1).toBeCloseTo(0.4, 15);
    // -ln of the true-class probabilities 0.7, 0.3, 0.5, 0.8, 0.25, 0.4, averaged.
    expect(result.logLoss).toBeCloseTo(-Math.log(0.7 * 0.3 * 0.5 * 0.8 * 0.25 * 0.4) / 6, 14);
  });

  it('averages over the classes present, as scikit-learn does without explicit labels', () => {
    // Same labels as above, but the model has a fourth class that appears nowhere.
    const report = multiclassReport([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 0], 4);
    expect(report.averagedLabels).toEqual([0, 1, 2]);
    expect(report.perClass[3]).toEqual({ label: 3, precision: 0, recall: 0, f1: 0, support: 0 });
    expect(report.confusionMatrix[3]).toEqual([0, 0, 0, 0]);
    // scikit-learn default labels: (0.3333333333333333, 0.5, 0.4000000000000001);
    // with labels=range(4) it would be (0.25, 0.375, 0.3).
    expect(report.macro.precision).toBeCloseTo(1 / 3, 15);
    expect(report.macro.recall).toBeCloseTo(0.5, 15);
  });

  it('match scikit-learn on 300 samples and 4 classes', () => {
    const { yTrue, probabilities } = formulaCase();
    const result = evaluateMulticlass(yTrue, probabilities);
    expect(result.accuracy).toBeCloseTo(0.23, 15);
    expect(result.confusionMatrix).toEqual([
      [21, 14, 23, 22],
      [22, 12, 19, 27],
      [20, 14, 21, 25],
      [13, 10, 22, 15],
    ]);
    const expected = {
      p: [0.27631578947368424, 0.24, 0.24705882352941178, 0.16853932584269662],
      r: [0.2625, 0.15, 0.2625, 0.25],
      f: [0.2692307692307692, 0.18461538461538463, 0.2545454545454545, 0.20134228187919462],
      s: [80, 80, 80, 60],
    };
    result.perClass.forEach((entry, c) => {
      expect(entry.precision).toBeCloseTo(expected.p[c], 15);
      expect(entry.recall).toBeCloseTo(expected.r[c], 15);
      expect(entry.f1).toBeCloseTo(expected.f[c], 15);
      expect(entry.support).toBe(expected.s[c]);
    });
    expect(result.macro.precision).toBeCloseTo(0.23297848471144816, 15);
    expect(result.macro.recall).toBeCloseTo(0.23125, 15);
    expect(result.macro.f1).toBeCloseTo(0.22743347256770075, 15);
    expect(result.weighted.precision).toBeCloseTo(0.2372744286360316, 15);
    expect(result.weighted.recall).toBeCloseTo(0.23, 15);
    expect(result.weighted.f1).toBeCloseTo(0.22917288528026783, 15);
    expect(result.logLoss).toBeCloseTo(1.5765005114253325, 13);
  });

  it('is perfect on a one-hot matrix, with the log loss of eps-clipped certainties', () => {
    const data = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const result = evaluateMulticlass([0, 1, 2], { data, rows: 3, cols: 3 });
    expect(result.accuracy).toBe(1);
    expect(result.macro).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(result.logLoss / Number.EPSILON).toBeCloseTo(1, 12);
  });

  it('takes the first of tied maxima as the prediction (numpy argmax)', () => {
    expect(Array.from(argmaxRows({ data: [0.4, 0.4, 0.2, 0.1, 0.45, 0.45], rows: 2, cols: 3 }))).toEqual([0, 1]);
  });

  it('rejects malformed inputs', () => {
    expect(() => evaluateMulticlass([0, 1], { data: [0.5, 0.5, 0.5], rows: 2, cols: 2 })).toThrow(ValidationError);
    expect(() => evaluateMulticlass([0, 3], { data: [0.5, 0.5, 0.5, 0.5], rows: 2, cols: 2 })).toThrow(/index 1/);
    expect(() => evaluateMulticlass([0], { data: [-0.1, 1.1], rows: 1, cols: 2 })).toThrow(ValidationError);
  });
});
