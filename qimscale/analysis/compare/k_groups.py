"""Tests of more than two groups: Welch's ANOVA, the one-way ANOVA (η², ω² and the CI of η²), Kruskal–Wallis."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, special

from qimscale.analysis.compare.two_groups import _ranks

__all__ = ["welch_anova", "eta_sq_ci", "oneway_anova", "kruskal_wallis"]


_NAN = math.nan


class _Groups(list):
    """The groups of one variable, each sorted, with their sizes, means, variances and medians computed
    once from the concatenated values (the statistics of a variable all read these)."""

    def __init__(self, values: np.ndarray, sizes, *, is_sorted: bool = True):
        n = np.asarray(sizes, dtype=float)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        super().__init__(values[bounds[i]:bounds[i + 1]] for i in range(len(sizes)))
        self.values, self.starts = values, bounds[:-1]
        if not len(sizes):
            self.moments, self.medians = (n, n, n), n
            return
        m = np.add.reduceat(values, self.starts) / n
        dev = values - np.repeat(m, sizes)
        v = np.add.reduceat(dev * dev, self.starts) / (n - 1.0)
        self.moments = (n, m, v)
        lo, hi = self.starts + (np.asarray(sizes) - 1) // 2, self.starts + np.asarray(sizes) // 2
        self.medians = 0.5 * (values[lo] + values[hi]) if is_sorted and len(sizes) else None

    @classmethod
    def of(cls, groups) -> _Groups:
        """Sorted groups from arrays (kept as they are when already a ``_Groups``)."""
        if isinstance(groups, _Groups):
            return groups
        return cls(np.concatenate([np.sort(np.asarray(g, dtype=float)) for g in groups]), [len(g) for g in groups])


def _moments(groups):
    """Sizes, means and variances (ddof = 1) of each group."""
    if isinstance(groups, _Groups):
        return groups.moments
    n = np.array([g.size for g in groups], float)
    m = np.array([g.mean() for g in groups])
    v = np.array([g.var(ddof=1) for g in groups])
    return n, m, v


def welch_anova(groups: Sequence) -> dict:
    """Welch's heteroscedastic one-way ANOVA, as ``oneway.test(y ~ g, var.equal = FALSE)``.

    Returns
    -------
    dict
        ``statistic, df, df2, p, omega_sq``.

    Notes
    -----
    With ``w_i = n_i / s_i²``, ``W = Σ w_i`` and ``m̄ = Σ w_i m_i / W``:
    ``F = Σ w_i (m_i - m̄)² / (k - 1) / (1 + 2 (k - 2) λ)`` with
    ``λ = Σ (1 - w_i / W)² / (n_i - 1) / (k² - 1)``, ``df2 = 1 / (3 λ)``.
    ``omega_sq = (F - 1) / (F + (df2 + 1) / df1)``, the F-to-ω² conversion of
    ``effectsize::F_to_omega2``.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an
    alternative approach. *Biometrika*, 38, 330–336. https://doi.org/10.2307/2332579

    Examples
    --------
    >>> r = welch_anova([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])])
    >>> round(float(r["statistic"]), 6), round(float(r["df2"]), 6)
    (9.362351, 4.089715)
    """
    n, m, v = _moments(groups)
    k = len(groups)
    if not np.all(v > 0):
        return {"statistic": _NAN, "df": k - 1.0, "df2": _NAN, "p": _NAN, "omega_sq": _NAN}
    w = n / v
    sw = w.sum()
    mw = (w * m).sum() / sw
    lam = ((1.0 - w / sw) ** 2 / (n - 1.0)).sum() / (k * k - 1.0)
    f = (w * (m - mw) ** 2).sum() / ((k - 1.0) * (1.0 + 2.0 * (k - 2.0) * lam))
    df2 = 1.0 / (3.0 * lam)
    return {"statistic": f, "df": k - 1.0, "df2": df2, "p": float(special.fdtrc(k - 1.0, df2, f)),
            "omega_sq": (f - 1.0) / (f + (df2 + 1.0) / (k - 1.0))}


def eta_sq_ci(f: float, df1: float, df2: float, conf_level: float = 0.95) -> tuple[float, float]:
    """Two-sided interval for η² by inverting the noncentral F distribution (Steiger 2004).

    Notes
    -----
    ``λ_L, λ_U`` solve ``P(F_{df1, df2}(λ) <= F) = 1 - α/2, α/2`` (``0`` when no
    ``λ >= 0`` does); ``η² = λ / (λ + df1 + df2 + 1)``, the conversion of
    ``effectsize::eta_squared(..., alternative = "two.sided")``. The R reference
    solves the same equations with ``pf(ncp = )`` and ``uniroot``.

    References
    ----------
    Steiger, J. H. (2004). Beyond the F test: Effect size confidence intervals
    and tests of close fit in the analysis of variance and contrast analysis.
    *Psychological Methods*, 9, 164–182. https://doi.org/10.1037/1082-989X.9.2.164

    Examples
    --------
    >>> [round(float(v), 4) for v in eta_sq_ci(6.162838, 2, 7)]
    [0.0, 0.7834]
    """
    if not (math.isfinite(f) and f >= 0):
        return _NAN, _NAN
    a = (1.0 - conf_level) / 2.0
    cdf = lambda lam: float(special.ncfdtr(df1, df2, lam, f)) if lam > 0 else float(special.fdtr(df1, df2, f))  # noqa: E731

    def root(target):
        if cdf(0.0) <= target:
            return 0.0
        hi = max(10.0, 2.0 * f * df1)
        while cdf(hi) > target:
            hi *= 2.0
        return optimize.brentq(lambda lam: cdf(lam) - target, 0.0, hi, xtol=1e-12, rtol=1e-13, maxiter=300)

    n = df1 + df2 + 1.0
    lo, up = root(1.0 - a), root(a)
    return lo / (lo + n), up / (up + n)


def oneway_anova(groups: Sequence) -> dict:
    """One-way ANOVA with η² and ω², as ``summary(aov(y ~ g))``.

    Returns
    -------
    dict
        ``statistic, df, df2, p, eta_sq, omega_sq, ms_within``.

    Notes
    -----
    ``η² = SS_B / SS_T``; ``ω² = (SS_B - df_B MS_W) / (SS_T + MS_W)`` (Hays 1963;
    Olejnik & Algina 2003).

    References
    ----------
    Olejnik, S., & Algina, J. (2003). Generalized eta and omega squared
    statistics. *Psychological Methods*, 8, 434–447.
    https://doi.org/10.1037/1082-989X.8.4.434

    Examples
    --------
    >>> r = oneway_anova([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])])
    >>> round(float(r["statistic"]), 6), round(float(r["eta_sq"]), 6)
    (6.162838, 0.637788)
    """
    n, m, v = _moments(groups)
    k, nn = len(groups), n.sum()
    grand = (n * m).sum() / nn
    ssb = float((n * (m - grand) ** 2).sum())
    ssw = float(((n - 1.0) * v).sum())
    df1, df2 = k - 1.0, nn - k
    msw = ssw / df2
    sst = ssb + ssw
    f = (ssb / df1) / msw if msw > 0 else _NAN
    return {"statistic": f, "df": df1, "df2": df2, "p": float(special.fdtrc(df1, df2, f)) if msw > 0 else _NAN,
            "eta_sq": ssb / sst if sst > 0 else _NAN,
            "omega_sq": (ssb - df1 * msw) / (sst + msw) if sst > 0 else _NAN, "ms_within": msw}


def _pooled_ranks(groups):
    allv = np.concatenate(groups)
    r, tie_sum = _ranks(allv)
    bounds = np.cumsum([0] + [g.size for g in groups])
    return allv, r, bounds, tie_sum


def kruskal_wallis(groups: Sequence) -> dict:
    """Kruskal–Wallis rank-sum test with ε², as ``kruskal.test(y ~ g)``.

    Returns
    -------
    dict
        ``statistic`` (H, corrected for ties), ``df``, ``p``, ``epsilon_sq``.

    Notes
    -----
    ``H = [12 / (N (N + 1)) Σ R_i² / n_i - 3 (N + 1)] / (1 - Σ(t³ - t) / (N³ - N))``;
    ``ε² = H / ((N² - 1) / (N + 1))`` (Tomczak & Tomczak 2014;
    ``effectsize::rank_epsilon_squared``).

    References
    ----------
    Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion
    variance analysis. *JASA*, 47, 583–621. https://doi.org/10.1080/01621459.1952.10483441
    Tomczak, M., & Tomczak, E. (2014). The need to report effect size estimates
    revisited. *Trends in Sport Sciences*, 1(21), 19–25.

    Examples
    --------
    >>> r = kruskal_wallis([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])])
    >>> round(float(r["statistic"]), 6)
    5.743902
    """
    allv, r, b, tie_sum = _pooled_ranks(groups)
    nn = float(allv.size)
    k = len(groups)
    rs = np.add.reduceat(r, b[:-1])
    n = np.diff(b).astype(float)
    ties = 1.0 - tie_sum / (nn ** 3 - nn)
    if not ties > 0:
        return {"statistic": _NAN, "df": k - 1.0, "p": _NAN, "epsilon_sq": _NAN}
    h = (12.0 / (nn * (nn + 1.0)) * (rs ** 2 / n).sum() - 3.0 * (nn + 1.0)) / ties
    return {"statistic": h, "df": k - 1.0, "p": float(special.chdtrc(k - 1.0, h)),
            "epsilon_sq": h / ((nn * nn - 1.0) / (nn + 1.0))}
