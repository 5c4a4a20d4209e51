"""Simple mediation X → M → Y with covariates: a, b, c', c and the bootstrapped indirect effect a·b.

Point estimates are the OLS estimates of ``M ~ X + covariates`` and ``Y ~ X + M + covariates``,
which equal lavaan's ML estimates of ``M ~ a*X; Y ~ b*M + c*X; ind := a*b``. The bootstrap resamples
rows with replacement (seeded ``numpy.random.default_rng``) and refits both regressions; percentile
and bias-corrected and accelerated (BCa, acceleration from the jackknife) intervals are reported, as
``boot::boot.ci(type = c("perc", "bca"))``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

#: replicates computed per block (memory: block × n indices)
BLOCK = 250


def _coefs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS coefficients of ``y`` on ``x`` (QR; ``x`` has full column rank, checked by the caller)."""
    q, r = np.linalg.qr(x)
    return np.linalg.solve(r, q.T @ y)


def indirect_effects(xa: np.ndarray, m: np.ndarray, xb: np.ndarray, y: np.ndarray, pos_a: list[int],
                     pos_b: int) -> np.ndarray:
    """``a_k · b`` for each predictor k: ``a_k`` from ``m ~ xa`` (columns ``pos_a``), ``b`` from ``y ~ xb``."""
    a = _coefs(xa, m)[pos_a]
    b = _coefs(xb, y)[pos_b]
    return a * b


def _weighted_indirect(w: np.ndarray, xa, m, xb, y, pos_a, pos_b) -> np.ndarray:
    """Indirect effects for many case-weight vectors at once (rows of ``w``: how often each case is used).

    A bootstrap or jackknife sample is the full data with integer case weights, so both regressions
    reduce to the weighted normal equations :math:`X'WX\\beta = X'Wy`, formed for a block of
    samples by one matrix product each.
    """
    def solve(x, t):
        p = x.shape[1]
        xtx = (w @ (x[:, :, None] * x[:, None, :]).reshape(len(t), p * p)).reshape(-1, p, p)
        xty = w @ (x * t[:, None])
        return np.linalg.solve(xtx, xty[..., None])[..., 0]
    return solve(xa, m)[:, pos_a] * solve(xb, y)[:, [pos_b]]


def bootstrap_indirect(xa, m, xb, y, pos_a, pos_b, *, n_boot: int, seed, progress=None) -> np.ndarray:
    """Bootstrap replicates of the indirect effects, shape ``(n_boot, len(pos_a))``.

    Each replicate draws ``n`` row indices with replacement (``numpy.random.default_rng(seed)``,
    in blocks of :data:`BLOCK` replicates) and refits both regressions on the drawn rows.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    out = np.empty((n_boot, len(pos_a)))
    done = 0
    while done < n_boot:
        k = min(BLOCK, n_boot - done)
        idx = rng.integers(0, n, size=(k, n))
        counts = np.bincount((idx + n * np.arange(k)[:, None]).ravel(), minlength=k * n).reshape(k, n)
        out[done:done + k] = _weighted_indirect(counts.astype(float), xa, m, xb, y, pos_a, pos_b)
        done += k
        if progress is not None:
            progress(done, n_boot)
    return out


def jackknife_indirect(xa, m, xb, y, pos_a, pos_b) -> np.ndarray:
    """Leave-one-out indirect effects, shape ``(n, len(pos_a))`` (for the BCa acceleration)."""
    n = len(y)
    out = np.empty((n, len(pos_a)))
    for start in range(0, n, BLOCK):
        rows = np.arange(start, min(start + BLOCK, n))
        w = np.ones((len(rows), n))
        w[np.arange(len(rows)), rows] = 0.0
        out[rows] = _weighted_indirect(w, xa, m, xb, y, pos_a, pos_b)
    return out


def percentile_ci(boot: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval with R's ``boot`` order-statistic rule (``norm.inter``: interpolation on the
    normal-quantile scale between the order statistics at ``(R+1)·α``)."""
    return _boot_quantile(boot, 0.5 - level / 2), _boot_quantile(boot, 0.5 + level / 2)


def _boot_quantile(t: np.ndarray, alpha: float) -> float:
    """``boot:::norm.inter`` for one ``alpha``: the ``(R+1)α``-th order statistic, interpolated."""
    t = np.sort(t)
    r = len(t)
    rk = (r + 1) * alpha
    k = int(math.floor(rk))
    if k == rk and 1 <= k <= r:
        return float(t[k - 1])
    if k == 0:
        return float(t[0])
    if k >= r:
        return float(t[-1])
    qa, qb, qr = stats.norm.ppf([(k) / (r + 1), (k + 1) / (r + 1), alpha])
    return float(t[k - 1] + (qr - qa) / (qb - qa) * (t[k] - t[k - 1]))


def bca_ci(boot: np.ndarray, estimate: float, jack: np.ndarray, level: float) -> tuple[float, float]:
    """Bias-corrected and accelerated interval (Efron, 1987), as ``boot::boot.ci(type = "bca")``.

    Notes
    -----
    :math:`z_0 = \\Phi^{-1}(\\#\\{\\hat\\theta^*_b < \\hat\\theta\\}/B)`,
    :math:`a = \\sum (\\bar\\theta_{(\\cdot)} - \\theta_{(i)})^3 / (6[\\sum(\\bar\\theta_{(\\cdot)} -
    \\theta_{(i)})^2]^{3/2})`, and the interval ends are the bootstrap quantiles at
    :math:`\\Phi(z_0 + (z_0 + z_\\alpha)/(1 - a(z_0 + z_\\alpha)))`.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the American Statistical
    Association, 82*(397), 171–185. https://doi.org/10.1080/01621459.1987.10478410
    """
    prop = float(np.mean(boot < estimate))
    if prop <= 0.0 or prop >= 1.0:
        return math.nan, math.nan
    z0 = stats.norm.ppf(prop)
    d = jack.mean() - jack
    den = 6.0 * float(np.sum(d ** 2)) ** 1.5
    acc = float(np.sum(d ** 3)) / den if den > 0 else 0.0
    zs = stats.norm.ppf([0.5 - level / 2, 0.5 + level / 2])
    adj = stats.norm.cdf(z0 + (z0 + zs) / (1 - acc * (z0 + zs)))
    return _boot_quantile(boot, float(adj[0])), _boot_quantile(boot, float(adj[1]))


def indirect_table(names, estimates, boot, jack, level: float) -> pd.DataFrame:
    """``predictor, estimate, boot_se, ci_lower, ci_upper`` (percentile), ``bca_lower, bca_upper``."""
    rows = []
    for k, name in enumerate(names):
        lo, hi = percentile_ci(boot[:, k], level)
        blo, bhi = bca_ci(boot[:, k], float(estimates[k]), jack[:, k], level)
        rows.append({"predictor": name, "estimate": float(estimates[k]), "boot_se": float(np.std(boot[:, k], ddof=1)),
                     "ci_lower": lo, "ci_upper": hi, "bca_lower": blo, "bca_upper": bhi})
    return pd.DataFrame(rows)
