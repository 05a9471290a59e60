"""Reference values for test/unit/ml/drift/*.test.ts, run once with scipy 1.17.1 and numpy 2.4.6:
python3 -m venv /tmp/pyref-venv && /tmp/pyref-venv/bin/pip install numpy scipy scikit-learn
/tmp/pyref-venv/bin/python test/unit/ml/drift/scipy-reference.py
Not run by the test suite: its printed values are pasted into the tests. Evidently is not
installable offline, so its steps (chisquare_stattest.py, get_binned_data with feel_zeroes) are
transcribed below from evidentlyai/evidently src/evidently/legacy/calculations/stattests/."""
import numpy as np
from scipy.stats import ks_2samp, wasserstein_distance, chisquare, kstwo, chi2
from scipy.spatial.distance import jensenshannon
import scipy
print('scipy', scipy.__version__, 'numpy', np.__version__)

# Samples defined by integer formulas, so that the TypeScript tests rebuild them bit for bit.
def grid(n, a, b, c, offset=0.0):
    return np.array([(((i * a) % 1000) + ((i * b) % 1000) + ((i * c) % 1000)) / 1000 + offset for i in range(n)])

def show(name, value):
    print(name, repr(float(value)) if np.ndim(value) == 0 else value)

# --- Kolmogorov-Smirnov -------------------------------------------------------
for name, a, b in [
    ('ks separated 3x3', [1, 2, 3], [4, 5, 6]),
    ('ks ties', [1, 1, 2, 2, 3], [2, 2, 3, 3, 4]),
    ('ks exact 60x45', grid(60, 7919, 6271, 3037), grid(45, 104729, 1303, 7727, 0.25)),
    ('ks exact 1000x1000 same law', grid(1000, 7919, 6271, 3037), grid(1000, 104729, 1303, 7727)),
    ('ks exact 800x5000', grid(800, 7919, 6271, 3037), grid(5000, 104729, 1303, 7727, 0.05)),
    ('ks asymp 800x12000', grid(800, 7919, 6271, 3037), grid(12000, 104729, 1303, 7727, 0.05)),
    ('ks asymp 30x20000', grid(30, 7919, 6271, 3037), grid(20000, 104729, 1303, 7727, 0.4)),
]:
    r = ks_2samp(a, b)
    print(name, repr(float(r.statistic)), repr(float(r.pvalue)))
for n, d in [(5, 0.7), (100, 0.05), (100, 0.2), (100, 0.3), (1000, 0.01), (1000, 0.03), (1000, 0.06), (25000, 0.005), (10, 0.09), (10, 0.95)]:
    print('kstwo.sf', n, d, repr(float(kstwo.sf(d, n))))

# --- Wasserstein -------------------------------------------------------------
show('w1 [0,1,3] [5,6,8]', wasserstein_distance([0, 1, 3], [5, 6, 8]))
show('w1 [1,2,3] [1,1,1,4]', wasserstein_distance([1, 2, 3], [1, 1, 1, 4]))
ref, cur = grid(3000, 7919, 6271, 3037), grid(20000, 104729, 1303, 7727, 0.1)
show('w1 3000x20000', wasserstein_distance(ref, cur))
show('w1 normed 3000x20000', wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))

# --- chi-squared, Evidently's way (expected = reference counts * window size / reference size) -
def evidently_chisquare(ref_counts, cur_counts):
    k_norm = sum(cur_counts) / sum(ref_counts)
    return chisquare(cur_counts, [c * k_norm for c in ref_counts])

for name, ref_counts, cur_counts in [
    ('chi2 100 vs 100', [50, 30, 20], [30, 30, 40]),
    ('chi2 100 vs 50', [50, 30, 20], [15, 15, 20]),
    ('chi2 6 categories', [120, 80, 300, 45, 210, 245], [400, 250, 1200, 160, 700, 890]),
    ('chi2 same proportions', [10, 20, 30], [100, 200, 300]),
]:
    r = evidently_chisquare(ref_counts, cur_counts)
    print(name, repr(float(r.statistic)), repr(float(r.pvalue)))
for x, k in [(28, 2), (3.84, 1), (10, 3), (50, 20), (200, 150), (1200, 1000), (5, 30), (100, 10), (1e-5, 4)]:
    print('chi2.sf', x, k, repr(float(chi2.sf(x, k))))

# --- Jensen-Shannon (base e, as Evidently's default base=None) -------------------------
show('js [.5,.5] [1,0]', jensenshannon([0.5, 0.5], [1.0, 0.0]))
show('js disjoint', jensenshannon([1.0, 0.0], [0.0, 1.0]))
ref_counts, cur_counts = np.array([120, 80, 300, 45, 210, 245, 0]), np.array([400, 250, 1200, 160, 700, 890, 90])
show('js 7 categories', jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()))

# --- PSI: reference-decile bins (numpy quantile, linear), right-closed, open-ended; Evidently fill -
def feel_zeroes(p):
    p = p.copy()
    m = min(p[p != 0])
    np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return p

def psi(ref, cur):
    edges = np.unique(np.quantile(ref, [k / 10 for k in range(1, 10)]))
    r = np.bincount(np.searchsorted(edges, ref, side='left'), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=len(edges) + 1) / len(cur)
    r, c = feel_zeroes(r), feel_zeroes(c)
    return np.sum((r - c) * np.log(r / c)), edges

value, edges = psi(np.arange(1, 101, dtype=float), np.array([15.0] * 5 + [25.0] * 5 + [35.0] * 5 + [45.0] * 5 + [55.0] * 5 + [65.0] * 5 + [75.0] * 5 + [85.0] * 5 + [200.0] * 10))
print('psi hand', repr(float(value)), edges.tolist())
value, edges = psi(ref, cur)
print('psi 3000x20000', repr(float(value)), edges.tolist())
value, edges = psi(np.array([0.0] * 70 + [1.0] * 30), np.array([0.0] * 40 + [1.0] * 60))
print('psi binary', repr(float(value)), edges.tolist())
r = feel_zeroes(ref_counts / ref_counts.sum()); c = feel_zeroes(cur_counts / cur_counts.sum())
print('psi 7 categories', repr(float(np.sum((r - c) * np.log(r / c)))))

# --- published examples (scipy documentation) ------------------------------------
show('doc chisquare([16, 18, 16, 14, 12, 12]) p', chisquare([16, 18, 16, 14, 12, 12]).pvalue)
show('doc jensenshannon([1.0, 0.0], [0.5, 0.5])', jensenshannon([1.0, 0.0], [0.5, 0.5]))
