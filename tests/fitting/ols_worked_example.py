# Computes the expected numbers of loglinear_fit_test.cc (Debian python3-numpy 1.24 / scipy 1.10):
#   /usr/bin/python3 tests/fitting/ols_worked_example.py
import numpy as np
from scipy import stats

N = np.array([1e7, 1e7, 1e7, 3e7, 3e7, 3e7, 1e8, 1e8, 1e8, 3e8, 3e8, 3e8])
D = np.array([1e6, 3e6, 1e7] * 4)
L = np.array([3.10, 2.95, 2.90, 2.80, 2.71, 2.60, 2.52, 2.45, 2.37, 2.30, 2.21, 2.16])
X = np.column_stack([np.ones(12), np.log10(N), np.log10(D)])
y = np.log10(L)
b, *_ = np.linalg.lstsq(X, y, rcond=None)
r = y - X @ b
dof = 12 - 3
s2 = r @ r / dof
XtXi = np.linalg.inv(X.T @ X)
se = np.sqrt(np.diag(s2 * XtXi))
t = b / se
p = 2 * stats.t.sf(abs(t), dof)
tc = stats.t.ppf(0.975, dof)
r2 = 1 - r @ r / ((y - y.mean()) @ (y - y.mean()))
np.set_printoptions(precision=17)
print("coef", repr(b))
print("se", repr(se))
print("p", repr(p))
print("tc", repr(tc))
print("r2", repr(r2))
x0 = np.array([1, np.log10(1e9), np.log10(1e7)])
m = x0 @ b
h = x0 @ XtXi @ x0
ci, pi = tc * np.sqrt(s2 * h), tc * np.sqrt(s2 * (1 + h))
print("pred", repr(10**m), "ci", repr(10**(m - ci)), repr(10**(m + ci)),
      "pi", repr(10**(m - pi)), repr(10**(m + pi)))
print("t.ppf(0.9,3)", repr(stats.t.ppf(0.9, 3)), "t.cdf(-1.3,7.5)", repr(stats.t.cdf(-1.3, 7.5)))
