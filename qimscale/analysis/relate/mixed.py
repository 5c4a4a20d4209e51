"""Linear mixed models for ``relate --cluster``: random intercept (profiled REML), one random slope, ICCs.

Random intercept
    The REML criterion of :math:`y_j = X_j\\beta + u_j 1 + e_j`, :math:`u_j\\sim N(0,\\tau^2)`,
    :math:`e\\sim N(0,\\sigma^2 I)` is profiled over :math:`\\beta` and :math:`\\sigma^2` and
    depends only on :math:`\\theta = \\tau^2/\\sigma^2` through group sums, so each evaluation
    costs :math:`O(gp^2)` whatever the number of respondents. :math:`\\theta` solves
    :math:`f'(\\theta) = 0` (analytic derivative, bracketed root), or sits on the boundary 0
    when :math:`f'(0) \\ge 0`. The estimates are the same as ``lme4::lmer(y ~ X + (1 | g),
    REML = TRUE)`` and statsmodels ``MixedLM(...).fit(reml=True)`` (same likelihood); statsmodels'
    general optimiser is used for random slopes, where no such reduction exists.

Random slope
    statsmodels ``MixedLM`` with ``exog_re = [1, x]`` (unstructured 2×2 covariance), REML,
    matched to ``lmer(y ~ X + (1 + x | g))``; convergence is judged from the gradient of the
    REML log-likelihood at the estimate and the curvature, not from warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from qimscale._core import linalg
from qimscale.errors import ConvergenceError, DataError

#: |f'(θ)|·max(θ, 1) at the solution must be below this (f = −2 × profiled REML log-likelihood)
GRAD_TOL = 1e-6
#: the random-slope fit: max |projected gradient of -2 REML log-likelihood| over the covariance factor
SLOPE_GRAD_TOL = 1e-4


@dataclass
class GroupSums:
    """Sufficient statistics of a random-intercept model: group sizes and sums."""

    n_j: np.ndarray          # (g,)
    sx: np.ndarray           # (g, p) column sums of X per group
    sy: np.ndarray           # (g,) sums of y per group
    xtx: np.ndarray          # (p, p)
    xty: np.ndarray          # (p,)
    yty: float
    n: int
    p: int

    @classmethod
    def of(cls, y: np.ndarray, x: np.ndarray, codes: np.ndarray, g: int) -> "GroupSums":
        n_j = np.bincount(codes, minlength=g).astype(float)
        sx = np.zeros((g, x.shape[1]))
        np.add.at(sx, codes, x)
        sy = np.bincount(codes, weights=y, minlength=g)
        return cls(n_j, sx, sy, x.T @ x, x.T @ y, float(y @ y), len(y), x.shape[1])

    def parts(self, theta: float):
        """``A = X'V*⁻¹X``, ``b = X'V*⁻¹y``, ``c = y'V*⁻¹y`` and ``w_j = θ/(1+n_jθ)`` with ``V* = V/σ²``."""
        w = theta / (1.0 + self.n_j * theta)
        a = self.xtx - (self.sx * w[:, None]).T @ self.sx
        b = self.xty - self.sx.T @ (w * self.sy)
        c = self.yty - float(np.sum(w * self.sy ** 2))
        return a, b, c, w

    def criterion(self, theta: float) -> tuple[float, float, np.ndarray, np.ndarray, float]:
        """``(f, f', beta, A⁻¹, RSS)`` with f = −2 log REML likelihood profiled over β and σ² (constants kept)."""
        a, b, c, w = self.parts(theta)
        chol = np.linalg.cholesky(a)
        beta = np.linalg.solve(a, b)
        rss = c - float(b @ beta)
        ainv = np.linalg.inv(a)
        nm = self.n - self.p
        logdet_a = 2.0 * float(np.sum(np.log(np.diag(chol))))
        f = nm * (1.0 + math.log(2 * math.pi * rss / nm)) + float(np.sum(np.log1p(self.n_j * theta))) + logdet_a
        dw = 1.0 / (1.0 + self.n_j * theta) ** 2
        r_j = self.sy - self.sx @ beta                      # group sums of the residuals
        drss = -float(np.sum(dw * r_j ** 2))
        da = -(self.sx * dw[:, None]).T @ self.sx
        fprime = nm * drss / rss + float(np.sum(self.n_j / (1.0 + self.n_j * theta))) + float(np.sum(ainv * da))
        return f, fprime, beta, ainv, rss


def random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> dict:
    """Fit a random-intercept model by REML.

    Parameters
    ----------
    y : array (n,)
    x : array (n, p)
        Fixed-effects design (with the intercept column).
    groups : array (n,)
        Cluster labels.

    Returns
    -------
    dict
        ``beta`` (p,), ``cov_beta`` (p, p) (:math:`\\hat\\sigma^2 A^{-1}`, as ``vcov(lmer)``),
        ``group_var`` (:math:`\\tau^2`), ``residual_var`` (:math:`\\sigma^2`), ``reml_criterion``
        (``REMLcrit``), ``n_groups``, ``convergence`` (``converged``, ``boundary``, ``gradient``,
        ``curvature``, ``criteria``).

    Notes
    -----
    Matches ``lme4::lmer(y ~ X + (1 | g), REML = TRUE)``: ``fixef``, ``vcov``, ``VarCorr`` and
    ``REMLcrit`` (``tests/reference/relate_r.R``).

    Raises
    ------
    ConvergenceError
        The criterion has no minimum at a finite :math:`\\theta` (no residual variance within clusters).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(30), 10)
    >>> y = 1 + rng.normal(0, 0.7, 30)[g] + rng.normal(size=300)
    >>> fit = random_intercept(y, np.ones((300, 1)), g)
    >>> fit["convergence"]["converged"], round(float(fit["beta"][0]), 2)
    (True, 0.88)
    """
    codes, labels = pd.factorize(groups)
    gs = GroupSums.of(np.asarray(y, float), np.asarray(x, float), codes, len(labels))
    f0, d0, *_ = gs.criterion(0.0)
    boundary = d0 >= 0
    if boundary:
        theta = 0.0
    else:
        hi = 1.0
        while gs.criterion(hi)[1] < 0:
            hi *= 4.0
            if hi > 1e10:
                raise ConvergenceError("the random-intercept model has no finite estimate: the outcome hardly "
                                       "varies within clusters once the predictors are accounted for; fit the "
                                       "cluster means with OLS instead")
        theta = optimize.brentq(lambda t: gs.criterion(t)[1], 0.0, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps,
                                maxiter=500)
    f, fp, beta, ainv, rss = gs.criterion(theta)
    h = 1e-5 * max(theta, 1e-3)
    curv = (gs.criterion(theta + h)[1] - (gs.criterion(max(theta - h, 0.0))[1] if theta > h else fp)) / \
        (h if theta <= h else 2 * h)
    sigma2 = rss / (gs.n - gs.p)
    grad_ok = boundary or abs(fp) * max(theta, 1.0) <= GRAD_TOL
    converged = bool(grad_ok and (boundary or curv > 0))
    return {"beta": beta, "cov_beta": sigma2 * ainv, "group_var": theta * sigma2, "residual_var": sigma2,
            "reml_criterion": f, "n_groups": len(labels), "group_sizes": gs.n_j,
            "convergence": {"converged": converged, "boundary": bool(boundary), "gradient": fp,
                            "curvature": curv, "optimizer": "profiled REML, Brent root of the derivative",
                            "criteria": f"|f'(theta)|*max(theta,1) <= {GRAD_TOL:g} and f''(theta) > 0, or "
                                        "theta = 0 with f'(0) >= 0 (boundary)"}}


def _slope_parts(ztz, ztx, zty, lam):
    """Per-group Woodbury pieces for ``V*_j = I + Z_j Λ Λ' Z_j'`` (two random effects, so each
    ``M_j = I + Λ'Z_j'Z_jΛ`` is 2×2 and inverted in closed form): ``Σ log|M_j|``, ``Σ X'ZΛ M⁻¹ Λ'Z'X``,
    ``Σ X'ZΛ M⁻¹ Λ'Z'y`` and ``Σ y'ZΛ M⁻¹ Λ'Z'y``."""
    m = np.einsum("ki,gkl,lj->gij", lam, ztz, lam, optimize=False)
    m[:, 0, 0] += 1.0
    m[:, 1, 1] += 1.0
    det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
    inv = np.empty_like(m)
    inv[:, 0, 0], inv[:, 1, 1] = m[:, 1, 1] / det, m[:, 0, 0] / det
    inv[:, 0, 1], inv[:, 1, 0] = -m[:, 0, 1] / det, -m[:, 1, 0] / det
    lx = np.einsum("ki,gkp->gip", lam, ztx)                         # Λ' Z'X
    ly = np.einsum("ki,gk->gi", lam, zty)                           # Λ' Z'y
    mx = np.einsum("gij,gjp->gip", inv, lx)
    my = np.einsum("gij,gj->gi", inv, ly)
    return (float(np.sum(np.log(det))), np.einsum("gip,giq->pq", lx, mx), np.einsum("gip,gi->p", lx, my),
            float(np.einsum("gi,gi->", ly, my)))


def _lambda(par, q):
    lam = np.zeros((q, q))
    lam[np.tril_indices(q)] = par
    return lam


def random_slope(y: np.ndarray, x: pd.DataFrame, groups: np.ndarray, slope: str, start: float | None = None) -> dict:
    """Fit a random intercept and one random slope (unstructured covariance) by profiled REML.

    The criterion is lme4's: with the relative covariance factor :math:`\\Lambda` (lower
    triangular, :math:`G = \\sigma^2\\Lambda\\Lambda'`), :math:`-2\\ell_R = (n-p)(1 + \\log
    2\\pi\\hat\\sigma^2) + \\sum_j \\log|I + \\Lambda'Z_j'Z_j\\Lambda| + \\log|X'V_*^{-1}X|`,
    minimised over the three elements of :math:`\\Lambda` (SLSQP with bounds, diagonal ≥ 0; central-difference
    gradients).

    Returns
    -------
    dict
        ``beta``, ``cov_beta`` (:math:`\\hat\\sigma^2 (X'V_*^{-1}X)^{-1}`, as ``vcov(lmer)``), ``cov_re``
        (2×2: intercept, slope), ``residual_var``, ``reml_criterion``, ``convergence``
        (``converged``, ``gradient`` = max |projected gradient of −2ℓ_R|, ``boundary``, ``criteria``).
        Matches ``lme4::lmer(y ~ X + (1 + slope | g), REML = TRUE)``; statsmodels ``MixedLM`` with
        ``exog_re = [1, slope]`` reaches the same optimum (checked in the tests).
    """
    y = np.asarray(y, float)
    xm = x.to_numpy(dtype=float)
    codes, labels = pd.factorize(groups)
    g, n, p, q = len(labels), len(y), xm.shape[1], 2
    z = np.column_stack([np.ones(n), x[slope].to_numpy(dtype=float)])
    ztz = np.zeros((g, q, q))
    np.add.at(ztz, codes, z[:, :, None] * z[:, None, :])
    ztx = np.zeros((g, q, p))
    np.add.at(ztx, codes, z[:, :, None] * xm[:, None, :])
    zty = np.zeros((g, q))
    np.add.at(zty, codes, z * y[:, None])
    xtx, xty, yty = xm.T @ xm, xm.T @ y, float(y @ y)

    def pieces(par):
        logdet, sxx, sxy, syy = _slope_parts(ztz, ztx, zty, _lambda(par, q))
        a = xtx - sxx
        beta = np.linalg.solve(a, xty - sxy)
        rss = yty - syy - float((xty - sxy) @ beta)
        chol = np.linalg.cholesky(a)
        f = (n - p) * (1 + math.log(2 * math.pi * rss / (n - p))) + logdet + \
            2.0 * float(np.sum(np.log(np.diag(chol))))
        return f, a, beta, rss

    def grad(par, h=1e-6):
        out = np.zeros_like(par)
        for i in range(len(par)):
            e = np.zeros_like(par)
            e[i] = h
            lo = par - e
            if i != 1 and lo[i] < 0:  # one-sided at the boundary of a diagonal element
                out[i] = (pieces(par + e)[0] - pieces(par)[0]) / h
            else:
                out[i] = (pieces(par + e)[0] - pieces(lo)[0]) / (2 * h)
        return out

    s0 = 0.5 if start is None else max(math.sqrt(max(start, 0.0)), 0.05)
    x0 = np.array([s0, 0.0, 0.1])
    bounds = [(0.0, None), (None, None), (0.0, None)]
    res = optimize.minimize(lambda t: pieces(t)[0], x0, jac=grad, method="SLSQP", bounds=bounds,
                            options={"maxiter": 1000, "ftol": 1e-12})
    par = res.x
    f, a, beta, rss = pieces(par)
    gr = grad(par)
    at0 = np.array([par[0] <= 1e-8, False, par[2] <= 1e-8])
    projected = np.where(at0 & (gr > 0), 0.0, gr)
    gmax = float(np.max(np.abs(projected)))
    sigma2 = rss / (n - p)
    lam = _lambda(par, q)
    cov_re = sigma2 * lam @ lam.T
    boundary = bool(at0.any())
    return {"beta": beta, "cov_beta": sigma2 * np.linalg.inv(a), "cov_re": cov_re, "residual_var": sigma2,
            "reml_criterion": f, "n_groups": g,
            "convergence": {"converged": bool(gmax <= SLOPE_GRAD_TOL), "gradient": gmax, "boundary": boundary,
                            "optimizer": "profiled REML (lme4's criterion), SLSQP on the relative "
                                         "covariance factor",
                            "criteria": f"max |projected gradient of -2 REML log-likelihood| <= {SLOPE_GRAD_TOL:g}"
                                        " (a variance at 0 with a positive gradient is a boundary fit)"}}


def icc_anova(y: np.ndarray, groups: np.ndarray) -> dict:
    """ICC(1) and ICC(2) from the one-way ANOVA of ``y`` on the clusters (Bliese, 2000).

    Notes
    -----
    :math:`ICC(1) = \\frac{MSB - MSW}{MSB + (\\bar k - 1) MSW}` with :math:`\\bar k = n/g`
    (as ``multilevel::ICC1``); :math:`ICC(2) = \\frac{MSB - MSW}{MSB}`, the reliability of the
    cluster means (``multilevel::ICC2``). Checked against R's ``anova(lm(y ~ factor(g)))``.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In K. J. Klein &
    S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in organizations* (pp. 349–381).
    """
    codes, labels = pd.factorize(groups)
    g, n = len(labels), len(y)
    n_j = np.bincount(codes, minlength=g)
    means = np.bincount(codes, weights=y, minlength=g) / n_j
    ssb = float(np.sum(n_j * (means - y.mean()) ** 2))
    ssw = float(np.sum((y - means[codes]) ** 2))
    msb, msw = ssb / (g - 1), ssw / (n - g)
    k = n / g
    return {"msb": msb, "msw": msw, "icc1_anova": (msb - msw) / (msb + (k - 1) * msw),
            "icc2": (msb - msw) / msb if msb > 0 else math.nan, "mean_cluster_size": k}


def check_clusters(groups: np.ndarray, col: str, source: str) -> list[str]:
    """Clusters must allow a random intercept: not all singletons; at least 2 clusters. Returns warnings."""
    codes, labels = pd.factorize(groups)
    counts = np.bincount(codes)
    if len(labels) < 2:
        raise DataError(f"{source}: column '{col}' (--cluster) holds one cluster among the analysed rows; a random "
                        "intercept needs several clusters: drop --cluster")
    if np.all(counts == 1):
        raise DataError(f"{source}: every one of the {len(labels)} clusters in column '{col}' (--cluster) has a "
                        "single analysed row, so cluster and residual variance cannot be separated; drop "
                        "--cluster (ordinary regression) or give a coarser cluster column")
    out = []
    singles = int(np.sum(counts == 1))
    if singles:
        out.append(f"{singles} of {len(labels)} clusters in '{col}' have a single analysed row; they inform the "
                   "fixed effects but hardly the cluster variance")
    if len(labels) < 10:
        out.append(f"only {len(labels)} clusters in '{col}': the cluster variance is poorly estimated")
    return out


def check_outcome_varies_within(y: np.ndarray, groups: np.ndarray, outcome: str, col: str, source: str) -> None:
    """An outcome constant within every cluster (an organisation-level outcome) leaves no residual variance."""
    codes, _ = pd.factorize(groups)
    lo = np.full(codes.max() + 1, np.inf)
    hi = np.full(codes.max() + 1, -np.inf)
    np.minimum.at(lo, codes, y)
    np.maximum.at(hi, codes, y)
    if np.all(lo == hi):
        raise DataError(f"{source}: the outcome '{outcome}' is constant within every cluster of '{col}' (a cluster-"
                        "level outcome), so a respondent-level mixed model has no residual variance; analyse one "
                        f"row per cluster (cluster means of the predictors) with OLS instead of --cluster {col}")


def wald_table(names, beta, cov, level: float = 0.95) -> pd.DataFrame:
    """Fixed effects with Wald z tests and normal CIs (statsmodels' convention; lme4 prints no p-values)."""
    se = np.sqrt(np.diag(cov))
    z = beta / se
    q = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame({"term": list(names), "estimate": beta, "se": se, "statistic": z,
                         "p": 2 * stats.norm.sf(np.abs(z)), "ci_lower": beta - q * se, "ci_upper": beta + q * se})
