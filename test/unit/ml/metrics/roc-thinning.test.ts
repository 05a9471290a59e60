import { rocAuc, rocCurve, rocCurveArea, thinRocCurve } from '../../../../src/ml/metrics/roc-auc';
import { evaluateBinary } from '../../../../src/ml/metrics/binary-metrics';

describe('stored ROC curves', () => {
  const n = 1000;
  const yTrue = Array.from({ length: n }, (_, i) => ((i * 7919) % 3 === 0 ? 1 : 0));
  const scores = Array.from({ length: n }, (_, i) => ((i * 104729) % 997) / 997);

  it('keeps every point of a short curve', () => {
    const curve = rocCurve([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.4])!;
    expect(thinRocCurve(curve)).toEqual({ falsePositiveRate: curve.falsePositiveRate, truePositiveRate: curve.truePositiveRate });
  });

  it('thins a long curve to at most 201 of its own points, from (0, 0) to (1, 1)', () => {
    const curve = rocCurve(yTrue, scores)!;
    expect(curve.falsePositiveRate.length).toBeGreaterThan(201);
    const thin = thinRocCurve(curve);
    expect(thin.falsePositiveRate).toHaveLength(201);
    expect([thin.falsePositiveRate[0], thin.truePositiveRate[0]]).toEqual([0, 0]);
    expect([thin.falsePositiveRate[200], thin.truePositiveRate[200]]).toEqual([1, 1]);
    const points = new Set(curve.falsePositiveRate.map((x, i) => `${x},${curve.truePositiveRate[i]}`));
    for (let k = 0; k < 201; k++) expect(points.has(`${thin.falsePositiveRate[k]},${thin.truePositiveRate[k]}`)).toBe(true);
  });

  it('is part of a binary evaluation, whose AUC is the full curve area', () => {
    const evaluation = evaluateBinary(yTrue, scores);
    expect(evaluation.rocCurve!.falsePositiveRate).toHaveLength(201);
    expect(evaluation.rocAuc).toBe(rocAuc(yTrue, scores));
    expect(evaluation.rocAuc).toBe(rocCurveArea(rocCurve(yTrue, scores)!));
    expect(evaluateBinary([1, 1], [0.2, 0.9]).rocCurve).toBeNull();
  });
});
