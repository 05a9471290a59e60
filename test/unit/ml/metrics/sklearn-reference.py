"""Reference values for test/unit/ml/metrics/*.test.ts, run once with scikit-learn 1.9.1 and numpy 2.4.6:
python3 -m venv /tmp/pyref-venv && /tmp/pyref-venv/bin/pip install numpy scipy scikit-learn
/tmp/pyref-venv/bin/python test/unit/ml/metrics/sklearn-reference.py
Not run by the test suite: its printed values are pasted into the tests."""
import json, numpy as np, sklearn
from sklearn.metrics import (accuracy_score, precision_score, recall_score, f1_score, roc_auc_score,
    log_loss, confusion_matrix, precision_recall_fscore_support, mean_absolute_error,
    root_mean_squared_error, r2_score)
print('sklearn', sklearn.__version__)
n = 200
y = np.array([1 if ((i * 31 + 7) % 11) < 5 else 0 for i in range(n)])
s = np.array([((i * 7919) % 23) / 22 for i in range(n)])  # 23 distinct scores: many ties
pred = (s >= 0.5).astype(int)
print('binary', json.dumps(dict(
    accuracy=accuracy_score(y, pred), precision=precision_score(y, pred, zero_division=0),
    recall=recall_score(y, pred, zero_division=0), f1=f1_score(y, pred, zero_division=0),
    auc=roc_auc_score(y, s), logloss=log_loss(y, s, labels=[0, 1]),
    cm=confusion_matrix(y, pred, labels=[0, 1]).tolist())))
pred3 = (s >= 0.3).astype(int)
print('binary@0.3', json.dumps(dict(accuracy=accuracy_score(y, pred3), precision=precision_score(y, pred3),
    recall=recall_score(y, pred3), f1=f1_score(y, pred3), cm=confusion_matrix(y, pred3).tolist())))
# perfect and constant predictions
yp = np.array([0, 1, 1, 0, 1]); print('perfect logloss', repr(log_loss(yp, yp.astype(float), labels=[0, 1])), 'auc', roc_auc_score(yp, yp.astype(float)))
print('constant logloss', repr(log_loss(yp, np.full(5, 0.5), labels=[0, 1])), 'auc', roc_auc_score(yp, np.full(5, 0.5)))
# multiclass
n, K = 300, 4
raw = np.array([[1 + ((i * 13 + c * 29 + (i * c) % 7) % 17) for c in range(K)] for i in range(n)], dtype=float)
P = raw / raw.sum(axis=1, keepdims=True)
yt = np.array([(i * 17 + 3) % K if i % 5 else (i * 7) % 3 for i in range(n)])
yh = P.argmax(axis=1)
p, r, f, sup = precision_recall_fscore_support(yt, yh, labels=range(K), zero_division=0)
out = dict(accuracy=accuracy_score(yt, yh), perClass=dict(p=p.tolist(), r=r.tolist(), f=f.tolist(), s=sup.tolist()),
    macro=precision_recall_fscore_support(yt, yh, average='macro', zero_division=0)[:3],
    weighted=precision_recall_fscore_support(yt, yh, average='weighted', zero_division=0)[:3],
    cm=confusion_matrix(yt, yh, labels=range(K)).tolist(), logloss=log_loss(yt, P, labels=range(K)))
print('multiclass', json.dumps(out))
# regression
yr = np.array([((i * 37) % 101) / 10 - 3 for i in range(150)])
pr = np.array([v + (((i * 53) % 29) - 14) / 20 for i, v in enumerate(yr)])
print('regression', json.dumps(dict(mae=mean_absolute_error(yr, pr), rmse=root_mean_squared_error(yr, pr), r2=r2_score(yr, pr))))
print('r2 constant', r2_score([3, 3, 3], [3, 3, 3]), r2_score([3, 3, 3], [3, 2, 3]))
# hand-worked cases, cross-checked
print('hand binary', roc_auc_score([0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.4, 0.7]), log_loss([0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.4, 0.7]))
yt6, yh6 = [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 0]
print('hand multiclass macro', precision_recall_fscore_support(yt6, yh6, average='macro', zero_division=0)[:3],
      'labels=range(4)', precision_recall_fscore_support(yt6, yh6, labels=range(4), average='macro', zero_division=0)[:3])
print('hand regression', r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]))
