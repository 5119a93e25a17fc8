#!/usr/bin/python3
"""Baseline for bench/fit_vs_scipy: the additive law L = E + A/N^alpha + B/D^beta fitted the way
Hoffmann et al. (2022) and Besiroglu et al. (2024) do it in Python: SciPy's L-BFGS-B on the SUM
of Huber(delta = 1e-3) terms of log-sum-exp residuals, from the same 4,500-start grid.
The gradient is analytic (vectorised NumPy) so the baseline is as fast as SciPy allows.

Usage: scipy_fit.py DATA.csv   (columns N,D,loss)   -> one JSON line on stdout.
"""
import itertools
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

DELTA = 1e-3


def main(path):
    data = np.genfromtxt(path, delimiter=",", names=True)
    log_n, log_d, log_l = np.log(data["N"]), np.log(data["D"]), np.log(data["loss"])

    def objective(p):
        e, a, alpha, b, beta = p
        z = np.stack([np.full_like(log_n, e), a - alpha * log_n, b - beta * log_d])
        lse = logsumexp(z, axis=0)
        r = lse - log_l
        w = np.exp(z - lse)  # softmax weights: d lse / d z
        dh = np.clip(r, -DELTA, DELTA)  # Huber'(r)
        grad = np.array([
            np.sum(dh * w[0]),
            np.sum(dh * w[1]),
            np.sum(dh * w[1] * -log_n),
            np.sum(dh * w[2]),
            np.sum(dh * w[2] * -log_d),
        ])
        return np.sum(huber(DELTA, r)), grad

    grid = itertools.product(
        [-1, -0.5, 0, 0.5, 1],  # e
        [0, 5, 10, 15, 20, 25],  # a
        [0, 0.5, 1, 1.5, 2],  # alpha
        [0, 5, 10, 15, 20, 25],  # b
        [0, 0.5, 1, 1.5, 2],  # beta
    )
    start = time.perf_counter()
    best, best_p, starts = np.inf, None, 0
    for x0 in grid:
        starts += 1
        res = minimize(objective, np.array(x0, float), jac=True, method="L-BFGS-B",
                       options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-12})
        if np.isfinite(res.fun) and res.fun < best:
            best, best_p = res.fun, res.x
    seconds = time.perf_counter() - start
    e, a, alpha, b, beta = best_p
    print(json.dumps({"objective": best, "seconds": seconds, "starts": starts,
                      "E": float(np.exp(e)), "A": float(np.exp(a)), "alpha": float(alpha),
                      "B": float(np.exp(b)), "beta": float(beta)}))


if __name__ == "__main__":
    main(sys.argv[1])
