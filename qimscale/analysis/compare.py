"""Group comparisons of scale scores: t tests, one-way ANOVAs, rank tests, post hoc pairs.

:func:`compare_groups` is the library call behind ``qimscale compare``. For each
variable it runs every test of its kind side by side (never choosing one from
the assumption checks): two groups get Welch's and Student's t with Hedges' g
and the Mann–Whitney test with the rank-biserial correlation; more groups get
Welch's ANOVA, the one-way ANOVA (η², ω²), Kruskal–Wallis (ε²) and the
Games–Howell, Tukey HSD and Dunn post hoc pairs. The omnibus p-values are
adjusted across the family of variables (``p_adj``). Shapiro–Wilk per group and
Levene / Brown–Forsythe are reported beside the tests.

Disclosure control (:mod:`qimscale.analysis.disclosure`) is applied before any
statistic is computed: a group with fewer than ``min_cell`` values of a variable
takes no part in that variable's tests, and is shown as suppressed.

:func:`latent_mean_comparison` compares factor means through the CFA engine and
refuses unless scalar invariance holds.

Every statistic names the R call it matches; ``tests/reference/compare_r.R``
holds the reference values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as _st

from qimscale._core.result import Result
from qimscale.analysis.disclosure import DEFAULT_MIN_CELL, Disclosure, check_not_identifier
from qimscale.analysis.studentized_range import ptukey_sf
from qimscale.errors import DataError, ModelError

__all__ = ["ADJUST_METHODS", "CompareResult", "LatentCompareResult", "compare_groups", "eta_sq_ci", "games_howell",
           "hedges_g", "kruskal_wallis", "latent_mean_comparison", "mann_whitney", "oneway_anova",
           "p_adjust", "qtukey", "rank_biserial", "t_test", "tukey_hsd", "dunn", "welch_anova"]

ADJUST_METHODS = ("holm", "fdr_bh", "bonferroni", "none")

COMPARISON_COLUMNS = ["variable", "test", "groups_compared", "n", "statistic", "df", "df2", "p", "p_adj",
                      "estimate", "estimate_ci_lower", "estimate_ci_upper", "effect", "effect_size",
                      "effect_ci_lower", "effect_ci_upper", "omega_sq", "suppressed"]
POSTHOC_COLUMNS = ["variable", "test", "group1", "group2", "diff", "se", "statistic", "df", "p", "p_adj",
                   "ci_lower", "ci_upper", "suppressed"]
DESCRIPTIVE_COLUMNS = ["variable", "group", "n", "mean", "sd", "median", "suppressed"]
ASSUMPTION_COLUMNS = ["variable", "check", "group", "statistic", "df", "df2", "p", "suppressed"]

_NAN = math.nan
_TEXT_COLS = {"variable", "test", "group1", "group2"}
# scipy.stats.shapiro without its axis/NaN-policy wrapper (about 0.3 ms a call; the input here is always a
# 1-D array of at least 3 finite values), or the public function when the wrapper does not expose it
_SHAPIRO = getattr(_st.shapiro, "__wrapped__", _st.shapiro)
#: comparison columns left out of the printed table (they are in the JSON)
_TEXT_HIDDEN = {"groups_compared", "estimate", "estimate_ci_lower", "estimate_ci_upper"}


# --------------------------------------------------------------------------- p-value adjustment

def p_adjust(p, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple testing, as R's ``p.adjust``.

    Parameters
    ----------
    p : array_like
        p-values; NaN (a suppressed or untestable entry) stays NaN and is not
        counted in the family, as ``p.adjust`` does with ``NA``.
    method : {"holm", "fdr_bh", "bonferroni", "none"}
        Holm (1979) step-down, Benjamini & Hochberg (1995) false discovery rate,
        Bonferroni, or none.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values.

    Notes
    -----
    With the ``m`` non-missing p-values ordered ``p_(1) <= ... <= p_(m)``: Holm
    ``min(1, max_{j<=i} (m - j + 1) p_(j))``; BH ``min(1, min_{j>=i} m p_(j) / j)``;
    Bonferroni ``min(1, m p)``. Matches ``p.adjust(p, method = "holm" | "BH" |
    "bonferroni" | "none")``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6, 65–70.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
    *JRSS B*, 57, 289–300. https://doi.org/10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> p_adjust([0.01, 0.02, 0.03], "holm").tolist()
    [0.03, 0.04, 0.04]
    >>> p_adjust([0.01, 0.04, float("nan")], "fdr_bh").tolist()
    [0.02, 0.04, nan]
    """
    if method not in ADJUST_METHODS:
        raise DataError(f"adjust must be one of {', '.join(ADJUST_METHODS)}; got {method!r}")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        adj = np.minimum(1.0, m * q)
    elif method == "holm":
        o = np.argsort(q, kind="stable")
        adj = np.empty(m)
        adj[o] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[o]))
    else:  # fdr_bh
        o = np.argsort(-q, kind="stable")
        i = np.arange(m, 0, -1)
        adj = np.empty(m)
        adj[o] = np.minimum(1.0, np.minimum.accumulate(m / i * q[o]))
    out[ok] = adj
    return out


# --------------------------------------------------------------------------- two-group statistics

def t_test(x, y, *, equal_var: bool = False, conf_level: float = 0.95) -> dict:
    """Two-sample t test of ``mean(x) - mean(y)``, as R's ``t.test``.

    Parameters
    ----------
    x, y : array_like
        The two samples (no missing values).
    equal_var : bool
        False for Welch's test (``t.test(x, y)``), True for Student's
        (``t.test(x, y, var.equal = TRUE)``).
    conf_level : float

    Returns
    -------
    dict
        ``statistic, df, p, estimate`` (the mean difference), ``ci_lower, ci_upper``.

    Notes
    -----
    Welch: ``t = (m1 - m2) / sqrt(v1/n1 + v2/n2)`` with Welch–Satterthwaite
    ``df = (v1/n1 + v2/n2)^2 / ((v1/n1)^2/(n1-1) + (v2/n2)^2/(n2-1))``. Student:
    pooled variance, ``df = n1 + n2 - 2``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika*, 34, 28–35.
    https://doi.org/10.2307/2332510

    Examples
    --------
    >>> r = t_test([1., 2, 3, 4], [2., 4, 6, 8, 10])
    >>> round(float(r["statistic"]), 6), round(float(r["df"]), 6)
    (-2.251436, 5.520788)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = x.size, y.size
    m1, m2 = x.mean(), y.mean()
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    if equal_var:
        df = n1 + n2 - 2.0
        sp2 = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        se = math.sqrt(sp2 * (1.0 / n1 + 1.0 / n2))
    else:
        a, b = v1 / n1, v2 / n2
        se = math.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1)) if se > 0 else _NAN
    diff = m1 - m2
    t = diff / se if se > 0 else _NAN
    p = 2.0 * special.stdtr(df, -abs(t)) if se > 0 else _NAN
    h = special.stdtrit(df, 0.5 + conf_level / 2.0) * se if se > 0 else _NAN
    return {"statistic": t, "df": df, "p": float(p), "estimate": diff, "ci_lower": diff - h, "ci_upper": diff + h}


def _hedges_j(df: float) -> float:
    """Exact small-sample correction ``J = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2))`` (Hedges 1981)."""
    return math.exp(special.gammaln(df / 2.0) - 0.5 * math.log(df / 2.0) - special.gammaln((df - 1.0) / 2.0))


def _ncp_interval(t: float, df: float, conf_level: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put ``t`` at the upper/lower ``(1-conf)/2`` tail."""
    a = (1.0 - conf_level) / 2.0

    def cdf(ncp):
        v = float(_st.nct.cdf(t, df, ncp))
        if math.isnan(v):  # SciPy returns NaN deep in a tail, where the cdf is 0 (t << ncp) or 1 (t >> ncp)
            v = 0.0 if t < ncp else 1.0
        return v

    def root(target):
        f = lambda ncp: cdf(ncp) - target  # noqa: E731
        lo, hi = t - 10.0, t + 10.0
        while f(lo) < 0:
            lo -= 10.0
        while f(hi) > 0:
            hi += 10.0
        return optimize.brentq(f, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=200)

    return root(1.0 - a), root(a)


def hedges_g(x, y, *, conf_level: float = 0.95) -> dict:
    """Hedges' g (bias-corrected standardised mean difference) with a noncentral-t interval.

    Parameters
    ----------
    x, y : array_like
    conf_level : float

    Returns
    -------
    dict
        ``g, ci_lower, ci_upper, d`` (Cohen's d, pooled SD).

    Notes
    -----
    ``d = (m1 - m2) / s_p`` with the pooled SD; ``g = J d`` with the exact
    ``J = Γ(ν/2) / (sqrt(ν/2) Γ((ν-1)/2))``, ``ν = n1 + n2 - 2``. The interval
    inverts the noncentral t distribution of Student's t (Steiger & Fouladi
    1997): ``ncp_L, ncp_U`` solve ``P(T_ν(ncp) <= t) = 1 - α/2, α/2``, and
    ``g_{L,U} = J ncp_{L,U} sqrt(1/n1 + 1/n2)``. These are the conventions of R's
    ``effectsize::hedges_g(x, y)``; the R reference computes them with ``pt``
    and ``uniroot``.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect
    size and related estimators. *Journal of Educational Statistics*, 6, 107–128.
    https://doi.org/10.3102/10769986006002107
    Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation
    and the evaluation of statistical models. In *What if there were no
    significance tests?* (pp. 221–257). Erlbaum.

    Examples
    --------
    >>> r = hedges_g([1., 2, 3, 4], [2., 4, 6, 8, 10])
    >>> round(float(r["d"]), 6), round(float(r["g"]), 6)
    (-1.380419, -1.226092)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = x.size, y.size
    df = n1 + n2 - 2.0
    sp = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
    if not sp > 0:
        return {"g": _NAN, "ci_lower": _NAN, "ci_upper": _NAN, "d": _NAN}
    d = (x.mean() - y.mean()) / sp
    j = _hedges_j(df)
    k = math.sqrt(1.0 / n1 + 1.0 / n2)
    lo, hi = _ncp_interval(d / k, df, conf_level)
    return {"g": j * d, "ci_lower": j * lo * k, "ci_upper": j * hi * k, "d": d}


def _ranks(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-ranks (1-based, ties averaged, as R's ``rank``) and ``Σ(t³ - t)`` over tied groups."""
    o = np.argsort(values, kind="stable")
    xs = values[o]
    first = np.empty(xs.size, dtype=bool)
    first[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=first[1:])
    grp = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, xs.size)).astype(float)
    r = np.empty(xs.size)
    r[o] = (starts + (counts + 1.0) / 2.0)[grp]
    return r, float(np.sum(counts ** 3 - counts))


def mann_whitney(x, y) -> dict:
    """Wilcoxon rank-sum (Mann–Whitney) test with the normal approximation, as R's ``wilcox.test``.

    Parameters
    ----------
    x, y : array_like

    Returns
    -------
    dict
        ``statistic`` (R's ``W``: the rank sum of ``x`` minus ``n1 (n1 + 1) / 2``),
        ``z``, ``p`` (two-sided).

    Notes
    -----
    ``z = (W - n1 n2 / 2 - 0.5 sign(W - n1 n2 / 2)) / σ`` with
    ``σ² = n1 n2 / 12 ((N + 1) - Σ(t³ - t) / (N (N - 1)))`` (ties by mid-ranks).
    Matches ``wilcox.test(x, y, exact = FALSE, correct = TRUE)``, R's choice
    whenever there are ties; it is used here for every sample so that the test
    does not change with the data.

    Examples
    --------
    >>> round(mann_whitney([1., 2, 3, 4], [2., 4, 6, 8, 10])["statistic"], 1)
    3.0
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = x.size, y.size
    allv = np.concatenate([x, y])
    r, tie_sum = _ranks(allv)
    w = float(r[:n1].sum() - n1 * (n1 + 1) / 2.0)
    nn = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12.0 * ((nn + 1) - tie_sum / (nn * (nn - 1))))
    dz = w - n1 * n2 / 2.0
    if not sigma > 0:
        return {"statistic": w, "z": _NAN, "p": _NAN}
    z = (dz - 0.5 * np.sign(dz)) / sigma
    return {"statistic": w, "z": z, "p": float(2.0 * min(special.ndtr(z), special.ndtr(-z)))}


def rank_biserial(x, y, *, conf_level: float = 0.95) -> dict:
    """Rank-biserial correlation of two independent samples with a Fisher-z interval.

    Returns
    -------
    dict
        ``r, ci_lower, ci_upper``; positive when ``x`` tends to exceed ``y``.

    Notes
    -----
    ``r = 2 U1 / (n1 n2) - 1`` (Glass 1965; Kerby 2014) with ``U1`` the
    Mann–Whitney statistic of ``x``; interval ``tanh(atanh(r) ± z_{1-α/2} SE)``
    with ``SE = sqrt((n1 + n2 + 1) / (3 n1 n2))``, the conventions of R's
    ``effectsize::rank_biserial``.

    References
    ----------
    Kerby, D. S. (2014). The simple difference formula: An approach to teaching
    nonparametric correlation. *Comprehensive Psychology*, 3, 11.IT.3.1.
    https://doi.org/10.2466/11.IT.3.1

    Examples
    --------
    >>> round(rank_biserial([1., 2, 3, 4], [2., 4, 6, 8, 10])["r"], 6)
    -0.7
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = x.size, y.size
    r = 2.0 * mann_whitney(x, y)["statistic"] / (n1 * n2) - 1.0
    se = math.sqrt((n1 + n2 + 1.0) / (3.0 * n1 * n2))
    zc = special.ndtri(0.5 + conf_level / 2.0)
    zr = math.atanh(max(min(r, 1.0 - 1e-15), -1.0 + 1e-15))
    return {"r": r, "ci_lower": math.tanh(zr - zc * se), "ci_upper": math.tanh(zr + zc * se)}


# --------------------------------------------------------------------------- k-group statistics

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


def _qtukey_start(p: float, k: int, df: np.ndarray) -> np.ndarray:
    """Starting value of the quantile search (the approximation R's ``qtukey`` starts from)."""
    ps = 0.5 - 0.5 * p
    yi = math.sqrt(math.log(1.0 / (ps * ps)))
    # normal quantile by Odeh & Evans (1974), then the studentized-range correction
    t = yi + ((((yi * -0.453642210148e-04 - 0.0204231210245) * yi - 0.342242088547) * yi - 1.0) * yi
              - 0.322232431088) / ((((yi * 0.38560700634e-02 + 0.103537752850) * yi + 0.531103462366) * yi
                                    + 0.588581570495) * yi + 0.993484626060e-01)
    small = df < 120.0
    tv = np.where(small, t + (t ** 3 + t) / df / 4.0, t)
    q = 0.8832 - 0.2368 * tv + np.where(small, -1.214 / df + 1.208 * tv / df, 0.0)
    return tv * (q * math.log(k - 1.0) + 1.4142)


def qtukey(p, k: int, df):
    """Quantile of the studentized range, ``qtukey(p, k, df)``, for a scalar or an array of ``df``.

    A safeguarded secant search on :func:`ptukey_sf`, vectorised over ``df``:
    it starts where R's ``qtukey`` starts, stays inside the bracket
    ``sqrt(2) t_{df}(1 - α/2) <= q <= sqrt(2) t_{df}(1 - α / (k (k - 1)))``
    (exact for k = 2, Bonferroni above; a bisection step whenever the secant
    leaves it) and stops at ``|Δq| < 1e-11 q``. R's ``qtukey`` stops at
    ``|Δq| < 1e-4``, so the two agree to about 1e-7.

    >>> round(float(qtukey(0.95, 3, 20)), 6)
    3.577935
    """
    dfa = np.atleast_1d(np.asarray(df, dtype=float))
    alpha = 1.0 - p
    lo = math.sqrt(2.0) * special.stdtrit(dfa, 1.0 - alpha / 2.0) * (1.0 - 1e-12)
    hi = math.sqrt(2.0) * special.stdtrit(dfa, 1.0 - alpha / (k * (k - 1.0))) * (1.0 + 1e-9) + 1e-12
    f = lambda q: (1.0 - ptukey_sf(q, k, dfa)) - p  # noqa: E731

    def narrow(x, fx):
        nonlocal lo, hi
        lo = np.where(fx < 0, np.maximum(lo, x), lo)
        hi = np.where(fx > 0, np.minimum(hi, x), hi)

    x0 = np.clip(_qtukey_start(p, k, dfa), lo, hi)
    f0 = f(x0)
    narrow(x0, f0)
    x1 = np.clip(x0 * np.where(f0 > 0, 1.0 - 1e-3, 1.0 + 1e-3), lo, hi)
    f1 = f(x1)
    narrow(x1, f1)
    done = np.zeros(dfa.shape, dtype=bool)
    for _ in range(60):
        with np.errstate(divide="ignore", invalid="ignore"):
            x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        bad = ~np.isfinite(x2) | (x2 <= lo) | (x2 >= hi)
        x2 = np.where(done, x1, np.where(bad, 0.5 * (lo + hi), x2))
        x2 = np.where(f1 == 0, x1, x2)
        done = done | (np.abs(x2 - x1) <= 1e-11 * np.abs(x2)) | (f1 == 0)
        if done.all():
            break
        f2 = f1.copy()
        act = ~done  # only the quantiles still moving are evaluated again
        f2[act] = (1.0 - ptukey_sf(x2[act], k, dfa[act])) - p
        lo = np.where(act & (f2 < 0), np.maximum(lo, x2), lo)
        hi = np.where(act & (f2 > 0), np.minimum(hi, x2), hi)
        x0, f0 = np.where(act, x1, x0), np.where(act, f1, f0)
        x1, f1 = x2, f2
    return x2 if np.ndim(df) else float(x2[0])


def _pairs(k):
    return [(i, j) for i in range(k) for j in range(i + 1, k)]


def _pair_index(k):
    pr = _pairs(k)
    return np.array([a for a, _ in pr], dtype=int), np.array([b for _, b in pr], dtype=int)


class _Studentized:
    """Pairs whose p-values and intervals need the studentized range, finished in one batch
    (:func:`_finish_studentized`) so that many variables cost one ``ptukey`` sweep."""

    def __init__(self, cols: dict, k: int, q, df, half_scale):
        self.cols, self.k = cols, k
        self.q, self.df, self.half_scale = np.asarray(q, float), np.asarray(df, float), np.asarray(half_scale, float)


def _finish_studentized(parts, conf_level: float) -> None:
    """Fill ``p`` (``P(Q > q)``) and ``ci_lower/ci_upper`` (``diff ∓ q_{1-α} · half_scale``) of every part."""
    for k in sorted({pt.k for pt in parts}):
        idx = [i for i, pt in enumerate(parts) if pt.k == k]
        q = np.concatenate([parts[i].q for i in idx])
        df = np.concatenate([parts[i].df for i in idx])
        ok = np.isfinite(q) & np.isfinite(df)
        p = np.full(q.shape, np.nan)
        crit = np.full(q.shape, np.nan)
        if ok.any():
            p[ok] = ptukey_sf(q[ok], k, df[ok])
            udf, inv = np.unique(df[ok], return_inverse=True)
            crit[ok] = qtukey(conf_level, k, udf)[inv]
        pos = 0
        for i in idx:
            pt = parts[i]
            m = pt.q.size
            h = crit[pos:pos + m] * pt.half_scale
            pt.cols.update(p=p[pos:pos + m], ci_lower=pt.cols["diff"] - h, ci_upper=pt.cols["diff"] + h)
            pos += m


def _tukey_parts(groups, labels) -> _Studentized:
    n, m, v = _moments(groups)
    k = len(groups)
    df = n.sum() - k
    msw = float(((n - 1.0) * v).sum() / df)
    i, j = _pair_index(k)
    diff = m[j] - m[i]
    se = np.sqrt(msw / 2.0 * (1.0 / n[i] + 1.0 / n[j]))
    q = np.abs(diff) / se if msw > 0 else np.full(diff.shape, np.nan)
    cols = {"group1": [labels[b] for b in j], "group2": [labels[a] for a in i], "diff": diff, "se": se,
            "statistic": q, "df": np.full(q.shape, df)}
    return _Studentized(cols, k, q, np.full(q.shape, df), se)


def _games_howell_parts(groups, labels) -> _Studentized:
    n, m, v = _moments(groups)
    k = len(groups)
    i, j = _pair_index(k)
    diff = m[j] - m[i]
    va, vb = v[i] / n[i], v[j] / n[j]
    se = np.sqrt(va + vb)
    ok = se > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(ok, (va + vb) ** 2 / (va * va / (n[i] - 1.0) + vb * vb / (n[j] - 1.0)), np.nan)
        t = np.where(ok, diff / se, np.nan)
    cols = {"group1": [labels[b] for b in j], "group2": [labels[a] for a in i], "diff": diff, "se": se,
            "statistic": t, "df": df}
    return _Studentized(cols, k, np.abs(t) * math.sqrt(2.0), df, se / math.sqrt(2.0))


def tukey_hsd(groups: Sequence, labels: Sequence, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Tukey–Kramer honestly significant differences, as ``TukeyHSD(aov(y ~ g))``.

    Returns
    -------
    DataFrame
        One row per pair (R's order: ``b-a, c-a, c-b``): ``group1, group2, diff``
        (``mean(group1) - mean(group2)``), ``se, statistic`` (q), ``df, p`` (R's
        ``p adj``), ``ci_lower, ci_upper``.

    Notes
    -----
    ``q = |diff| / sqrt(MS_W / 2 (1/n_i + 1/n_j))``, ``p = P(Q_{k, N-k} > q)``;
    interval ``diff ± q_{1-α; k, N-k} sqrt(MS_W / 2 (1/n_i + 1/n_j))``.

    References
    ----------
    Kramer, C. Y. (1956). Extension of multiple range tests to group means with
    unequal numbers of replications. *Biometrics*, 12, 307–310.
    https://doi.org/10.2307/3001469

    Examples
    --------
    >>> t = tukey_hsd([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])], ["a", "b", "c"])
    >>> t[["group1", "group2"]].values.tolist()
    [['b', 'a'], ['c', 'a'], ['c', 'b']]
    """
    part = _tukey_parts(groups, labels)
    _finish_studentized([part], conf_level)
    return pd.DataFrame(part.cols)


def games_howell(groups: Sequence, labels: Sequence, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Games–Howell pairwise comparisons (unequal variances).

    Returns
    -------
    DataFrame
        Columns as :func:`tukey_hsd`; ``statistic`` is Welch's ``t`` and ``df``
        its Welch–Satterthwaite degrees of freedom.

    Notes
    -----
    ``t = diff / sqrt(s_i²/n_i + s_j²/n_j)``, ``p = P(Q_{k, df_ij} > sqrt(2) |t|)``,
    interval ``diff ± q_{1-α; k, df_ij} / sqrt(2) · se``. R has no base function;
    the reference applies these formulas with ``ptukey``/``qtukey`` (as
    ``rstatix::games_howell_test`` and pingouin do).

    References
    ----------
    Games, P. A., & Howell, J. F. (1976). Pairwise multiple comparison
    procedures with unequal n's and/or variances. *Journal of Educational
    Statistics*, 1, 113–125. https://doi.org/10.3102/10769986001002113

    Examples
    --------
    >>> t = games_howell([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])], ["a", "b", "c"])
    >>> t.loc[1, ["group1", "group2"]].tolist(), round(float(t.loc[1, "statistic"]), 6)
    (['c', 'a'], 4.6291)
    """
    part = _games_howell_parts(groups, labels)
    _finish_studentized([part], conf_level)
    return pd.DataFrame(part.cols)


def dunn(groups: Sequence, labels: Sequence, *, adjust: str = "holm") -> pd.DataFrame:
    """Dunn's pairwise rank test after Kruskal–Wallis, with the chosen p adjustment.

    Returns
    -------
    DataFrame
        ``group1, group2, diff`` (mean rank of group1 minus that of group2),
        ``se, statistic`` (z), ``p`` (two-sided), ``p_adj`` (``p_adjust`` over
        the pairs of this variable).

    Notes
    -----
    ``z = (R̄_i - R̄_j) / sqrt((N (N + 1) / 12 - Σ(t³ - t) / (12 (N - 1))) (1/n_i + 1/n_j))``
    with ranks from the pooled sample (Dunn 1964), as ``dunn.test``/``FSA::dunnTest``.

    References
    ----------
    Dunn, O. J. (1964). Multiple comparisons using rank sums. *Technometrics*,
    6, 241–252. https://doi.org/10.1080/00401706.1964.10490181

    Examples
    --------
    >>> t = dunn([np.array([1., 2, 3]), np.array([2., 4, 7]), np.array([5., 6, 9, 8])], ["a", "b", "c"])
    >>> [round(float(z), 6) for z in t.statistic]
    [1.082004, 2.385715, 1.229005]
    """
    return pd.DataFrame(_dunn_cols(groups, labels, adjust))


def _dunn_cols(groups, labels, adjust: str) -> dict:
    allv, r, b, tie_sum = _pooled_ranks(groups)
    nn = float(allv.size)
    k = len(groups)
    n = np.diff(b).astype(float)
    mr = np.add.reduceat(r, b[:-1]) / n
    s2 = nn * (nn + 1.0) / 12.0 - tie_sum / (12.0 * (nn - 1.0))
    i, j = _pair_index(k)
    diff = mr[j] - mr[i]
    se = np.sqrt(s2 * (1.0 / n[i] + 1.0 / n[j]))
    z = np.divide(diff, se, out=np.full(diff.shape, np.nan), where=se > 0)
    p = 2.0 * special.ndtr(-np.abs(z))
    nan = np.full(diff.shape, np.nan)
    return {"group1": [labels[c] for c in j], "group2": [labels[a] for a in i], "diff": diff, "se": se,
            "statistic": z, "df": nan, "p": p, "p_adj": p_adjust(p, adjust), "ci_lower": nan, "ci_upper": nan}


def _levene(groups, center: str) -> dict:
    """Levene (``center="mean"``) or Brown–Forsythe (``"median"``) test: the ANOVA of absolute deviations,
    as ``car::leveneTest(y ~ g, center = mean | median)``."""
    gs = _Groups.of(groups)
    n, m, _ = gs.moments
    sizes = n.astype(int)
    dev = np.abs(gs.values - np.repeat(m if center == "mean" else gs.medians, sizes))
    r = oneway_anova(_Groups(dev, sizes, is_sorted=False))
    return {"statistic": r["statistic"], "df": r["df"], "df2": r["df2"], "p": r["p"]}


def _shapiro(x) -> tuple[float, float]:
    """Shapiro–Wilk W and p (``shapiro.test``; Royston's algorithm), NaN outside 3..5000 values or when constant."""
    if not 3 <= x.size <= 5000 or np.ptp(x) == 0:
        return _NAN, _NAN
    w, p = _SHAPIRO(x)
    return float(w), float(p)


# --------------------------------------------------------------------------- input checks
# (house message format: spreadsheet row = data position + 2, header = row 1; to be swapped for
# qimscale._core.checks once it lands)

def _show(value) -> str:
    s = repr(value)
    return s if len(s) <= 80 else f"{s[:77]}... ({len(s)} characters)"


def _check_column(data: pd.DataFrame, col: str, role: str) -> None:
    if col not in data.columns:
        cols = [str(c) for c in data.columns]
        raise DataError(f"{role} column '{col}' not found; the data have: {', '.join(cols[:30])}"
                        f"{' ...' if len(cols) > 30 else ''}")


def _check_numeric(data: pd.DataFrame, col: str) -> None:
    s = data[col]
    if pd.api.types.is_numeric_dtype(s):
        return
    filled = s.notna().to_numpy()
    bad = filled & pd.to_numeric(s, errors="coerce").isna().to_numpy()
    pos = int((bad if bad.any() else filled).argmax())
    raise DataError(f"row {pos + 2}, column '{col}': value {_show(s.iloc[pos])} is not a number"
                    f"{'' if bad.any() else ' (numbers stored as text)'}; compare needs numeric outcomes: "
                    "recode it (qimscale score does) or leave the column out of --vars")


def _check_constant(col: str, y: np.ndarray) -> None:
    if y.size and np.ptp(y) == 0:
        raise DataError(f"column '{col}': every analysed value is {y[0]:g}, so there is nothing to compare; "
                        "leave it out of --vars (or check that the right column was scored)")


def _group_codes(data: pd.DataFrame, group: str):
    g = data[group].to_numpy(dtype=object)
    miss = pd.isna(g)
    present = set(g[~miss].tolist())
    if not present:
        raise DataError(f"group column '{group}' is empty; fill it in or choose another --group column")
    levels = sorted(present, key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        raise DataError(f"group column '{group}' has one level ({_show(levels[0])}) in every row that has a "
                        "value; compare needs at least two groups: check the column or choose another --group")
    index = {v: i for i, v in enumerate(levels)}
    codes = np.fromiter((-1 if m else index[v] for v, m in zip(g.tolist(), miss.tolist())), dtype=np.int64,
                        count=g.size)
    return codes, [_label(v) for v in levels]


def _label(v) -> str:
    """A group label as text (a code read as 2.0 because the column has gaps is shown as 2)."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------- results

@dataclass
class CompareResult(Result):
    """Group comparisons of several variables; returned by :func:`compare_groups`.

    Attributes
    ----------
    group : str
        The grouping column.
    groups : DataFrame
        ``group, n`` (rows with a value of the grouping column), ``suppressed``.
    variables : list of str
    adjust : str
    min_cell : int
    comparisons : DataFrame
        :data:`COMPARISON_COLUMNS`: one row per variable and test.
    descriptives, posthoc, assumptions : DataFrame
        Per group ``n, mean, sd, median``; post hoc pairs; Shapiro–Wilk per
        group, Levene and Brown–Forsythe.
    notes, warnings : list of str
    """

    group: str
    groups: pd.DataFrame
    variables: list
    adjust: str
    min_cell: int
    comparisons: pd.DataFrame
    descriptives: pd.DataFrame
    posthoc: pd.DataFrame
    assumptions: pd.DataFrame
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Group comparisons"

    def tables(self) -> dict:
        return {"groups": self.groups, "comparisons": self.comparisons, "descriptives": self.descriptives,
                "posthoc": self.posthoc, "assumptions": self.assumptions}

    def to_dict(self) -> dict:
        d = Disclosure(self.min_cell)
        comps = []
        for rec in d.records(self.comparisons):
            rec["effect_ci"] = [rec.pop("effect_ci_lower"), rec.pop("effect_ci_upper")]
            rec["estimate_ci"] = [rec.pop("estimate_ci_lower"), rec.pop("estimate_ci_upper")]
            comps.append(rec)
        return {"group": self.group, "groups": d.records(self.groups), "variables": list(self.variables),
                "adjust": self.adjust, "min_cell": self.min_cell, "suppressed_text": d.text,
                "comparisons": comps, "descriptives": d.records(self.descriptives),
                "posthoc": d.records(self.posthoc), "assumptions": d.records(self.assumptions),
                "notes": list(self.notes), "warnings": list(self.warnings)}

    def summary(self) -> str:
        d = Disclosure(self.min_cell)
        parts = [f"{self.title} by '{self.group}' (p_adj: {self.adjust} across {len(self.variables)} "
                 f"variable(s); cells with n < {self.min_cell} suppressed)"]
        shown = dict(self.tables())
        shown["comparisons"] = self.comparisons[[c for c in COMPARISON_COLUMNS if c not in _TEXT_HIDDEN]]
        for name, table in shown.items():
            if len(table):
                parts.append(f"\n{name}\n{d.render(table).to_string(index=False)}")
        parts += [f"Note: {n}" for n in self.notes]
        return "\n".join(parts)


def compare_groups(data: pd.DataFrame, group: str, variables: Sequence[str], *, adjust: str = "holm",
                   min_cell: int = DEFAULT_MIN_CELL, conf_level: float = 0.95, posthoc: bool = True,
                   identifiers: Sequence[str] = ()) -> CompareResult:
    """Compare groups on each variable with every test of its kind, effect sizes and checks.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    group : str
        Grouping column (any labels; levels sorted as R's ``factor``).
    variables : sequence of str
        Numeric outcome columns (for example scale scores from ``qimscale score``).
    adjust : {"holm", "fdr_bh", "bonferroni", "none"}
        Multiple-testing adjustment of each omnibus test's p across the
        variables (``p_adj``), and of Dunn's pairs within a variable.
    min_cell : int
        Disclosure threshold: a group with fewer values of a variable is left
        out of that variable's statistics and shown as suppressed.
    conf_level : float
        Level of every interval.
    posthoc : bool
        Compute the pairwise tests when more than two groups are compared.
    identifiers : sequence of str
        Identifier columns: naming one as group or variable is an error.

    Returns
    -------
    CompareResult

    Raises
    ------
    DataError
        A missing or identifier column, a non-numeric variable (row and value
        named), a grouping column with one level, a constant outcome.

    Notes
    -----
    Tests per variable, all reported: two groups, ``welch_t`` and
    ``student_t`` (both with Hedges' g, :func:`hedges_g`) and ``mann_whitney``
    (rank-biserial r); more groups, ``welch_anova`` (ω² from F), ``anova``
    (η², ω²) and ``kruskal`` (ε²), then Games–Howell, Tukey HSD and Dunn.
    Missing values are left out per variable (counted in ``notes``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(["a", "b"], 20), "y": rng.normal(size=40)})
    >>> res = compare_groups(df, "g", ["y"])
    >>> res.comparisons.test.tolist()
    ['welch_t', 'student_t', 'mann_whitney']
    """
    if adjust not in ADJUST_METHODS:
        raise DataError(f"adjust must be one of {', '.join(ADJUST_METHODS)}; got {adjust!r}")
    disc = Disclosure(min_cell)
    variables = list(dict.fromkeys(variables))
    if not variables:
        raise DataError("no variables to compare; give --vars (or score the data with qimscale score first)")
    check_not_identifier([group], identifiers, role="group")
    check_not_identifier(variables, identifiers)
    _check_column(data, group, "group")
    for v in variables:
        _check_column(data, v, "variable")
        if v == group:
            raise DataError(f"column '{v}' is the group column; it cannot also be compared")
        _check_numeric(data, v)
    codes, labels = _group_codes(data, group)
    notes, warns = [], []
    if len(labels) > 10:
        warns.append(f"group column '{group}' has {len(labels)} levels; check that it is a grouping variable "
                     "and not a score or an identifier")
    no_group = int((codes < 0).sum())
    if no_group:
        notes.append(f"{no_group} row(s) without a value of '{group}' were left out")
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    group_tab = pd.DataFrame({"group": labels, "n": counts.astype(float)})
    small = [disc.is_small(c) for c in counts]
    group_tab = disc.mask(group_tab, small, ["n"])
    if any(small):
        notes.append(f"group(s) {', '.join(repr(lab) for lab, s in zip(labels, small) if s)} have fewer than "
                     f"{min_cell} respondents: {disc.text}; they take no part in any statistic")

    comp_rows, desc_rows, post_cols, assum_rows, studentized = [], [], [], [], []
    k_all = len(labels)
    for v in variables:
        y = data[v].to_numpy(dtype=float, na_value=np.nan)
        has = (codes >= 0) & ~np.isnan(y)
        cnt = np.bincount(codes[has], minlength=k_all)
        kept = [i for i in range(k_all) if not small[i] and not disc.is_small(cnt[i])]
        n_missing = int(sum(counts[i] - cnt[i] for i in kept))
        if n_missing:
            notes.append(f"'{v}': {n_missing} missing value(s) in the compared groups were left out")
        dropped = [labels[i] for i in range(k_all) if not small[i] and i not in kept]
        if dropped:
            notes.append(f"'{v}': group(s) {', '.join(map(repr, dropped))} have fewer than {min_cell} values: "
                         f"{disc.text}; left out of this variable's statistics")
        in_kept = np.zeros(k_all + 1, dtype=bool)  # the last slot answers code -1 (no group)
        in_kept[kept] = True
        sel = has & in_kept[codes]
        ys, cs = y[sel], codes[sel]
        gs = _Groups(ys[np.lexsort((ys, cs))], cnt[kept]) if kept else _Groups(np.zeros(0), [])
        gn, gm, gv = gs.moments
        pos = {i: j for j, i in enumerate(kept)}
        for i in range(k_all):
            j = pos.get(i)
            desc_rows.append({"variable": v, "group": labels[i], "n": _NAN if j is None else gn[j],
                              "mean": _NAN if j is None else gm[j], "sd": _NAN if j is None else math.sqrt(gv[j]),
                              "median": _NAN if j is None else gs.medians[j], "suppressed": j is None})
        glabels = [labels[i] for i in kept]
        two = (len(kept) == 2) if len(kept) >= 2 else (k_all == 2)
        tests = ("welch_t", "student_t", "mann_whitney") if two else ("welch_anova", "anova", "kruskal")
        if len(kept) < 2:
            for t in tests:
                comp_rows.append(_row(v, t, glabels, _NAN, suppressed=True))
            warns.append(f"'{v}': fewer than two groups have {min_cell} or more values, so every statistic "
                         f"of this variable is {disc.text}")
            continue
        _check_constant(v, gs.values)
        for i, x in zip(kept, gs):
            if x[-1] == x[0]:
                warns.append(f"'{v}': every value in group '{labels[i]}' is {x[0]:g} (no variance); Welch "
                             "tests and Games-Howell are undefined for it")
        nn = float(gs.values.size)
        if two:
            a, b = gs
            g = hedges_g(a, b, conf_level=conf_level)
            for t, eq in (("welch_t", False), ("student_t", True)):
                r = t_test(a, b, equal_var=eq, conf_level=conf_level)
                comp_rows.append(_row(v, t, glabels, nn, statistic=r["statistic"], df=r["df"], p=r["p"],
                                      estimate=r["estimate"], estimate_ci_lower=r["ci_lower"],
                                      estimate_ci_upper=r["ci_upper"], effect="hedges_g", effect_size=g["g"],
                                      effect_ci_lower=g["ci_lower"], effect_ci_upper=g["ci_upper"]))
            mw = mann_whitney(a, b)
            rb = rank_biserial(a, b, conf_level=conf_level)
            comp_rows.append(_row(v, "mann_whitney", glabels, nn, statistic=mw["statistic"], p=mw["p"],
                                  effect="rank_biserial", effect_size=rb["r"], effect_ci_lower=rb["ci_lower"],
                                  effect_ci_upper=rb["ci_upper"]))
        else:
            w = welch_anova(gs)
            comp_rows.append(_row(v, "welch_anova", glabels, nn, statistic=w["statistic"], df=w["df"],
                                  df2=w["df2"], p=w["p"], effect="omega_sq", effect_size=w["omega_sq"]))
            a = oneway_anova(gs)
            elo, ehi = eta_sq_ci(a["statistic"], a["df"], a["df2"], conf_level)
            comp_rows.append(_row(v, "anova", glabels, nn, statistic=a["statistic"], df=a["df"], df2=a["df2"],
                                  p=a["p"], effect="eta_sq", effect_size=a["eta_sq"], effect_ci_lower=elo,
                                  effect_ci_upper=ehi, omega_sq=a["omega_sq"]))
            kw = kruskal_wallis(gs)
            comp_rows.append(_row(v, "kruskal", glabels, nn, statistic=kw["statistic"], df=kw["df"], p=kw["p"],
                                  effect="epsilon_sq", effect_size=kw["epsilon_sq"]))
            if posthoc:
                for part, name in ((_games_howell_parts(gs, glabels), "games_howell"),
                                   (_tukey_parts(gs, glabels), "tukey_hsd")):
                    part.cols.update(variable=[v] * part.q.size, test=[name] * part.q.size)
                    studentized.append(part)  # p and intervals filled in after the loop, in one batch
                    post_cols.append(part.cols)
                dn = _dunn_cols(gs, glabels, adjust)
                dn.update(variable=[v] * len(dn["p"]), test=["dunn"] * len(dn["p"]))
                post_cols.append(dn)
        for i, x in zip(kept, gs):
            wst, wp = _shapiro(x)
            assum_rows.append({"variable": v, "check": "shapiro_wilk", "group": labels[i], "statistic": wst,
                               "df": _NAN, "df2": _NAN, "p": wp, "suppressed": False})
        for check, center in (("levene", "mean"), ("brown_forsythe", "median")):
            r = _levene(gs, center)
            assum_rows.append({"variable": v, "check": check, "group": None, "suppressed": False, **r})

    for t in dict.fromkeys(r["test"] for r in comp_rows):  # each test's family: the variables
        fam = [r for r in comp_rows if r["test"] == t]
        for r, pa in zip(fam, p_adjust([r["p"] for r in fam], adjust)):
            r["p_adj"] = float(pa)
    comps = pd.DataFrame(comp_rows, columns=COMPARISON_COLUMNS)
    if studentized:
        _finish_studentized(studentized, conf_level)
        for part in studentized:
            part.cols["p_adj"] = part.cols["p"]  # Tukey and Games-Howell p are adjusted for the pairs already
    post = pd.DataFrame({c: np.concatenate([np.asarray(pc[c], dtype=object if c in _TEXT_COLS else float)
                                            for pc in post_cols]) if post_cols else []
                         for c in POSTHOC_COLUMNS if c != "suppressed"}).assign(suppressed=False)
    for c in POSTHOC_COLUMNS:
        if c not in _TEXT_COLS and c != "suppressed":
            post[c] = post[c].astype(float)
    return CompareResult(group=group, groups=group_tab, variables=variables, adjust=adjust, min_cell=int(min_cell),
                         comparisons=comps, descriptives=pd.DataFrame(desc_rows, columns=DESCRIPTIVE_COLUMNS),
                         posthoc=post, assumptions=pd.DataFrame(assum_rows, columns=ASSUMPTION_COLUMNS),
                         notes=notes, warnings=warns)


def _row(variable, test, glabels, n, *, suppressed=False, **values) -> dict:
    row = dict.fromkeys(COMPARISON_COLUMNS, _NAN)
    row.update(variable=variable, test=test, groups_compared=", ".join(glabels), n=n, effect=None,
               suppressed=suppressed)
    row.update(values)
    return row


# --------------------------------------------------------------------------- latent means

@dataclass
class LatentCompareResult(Result):
    """Latent mean differences under (at least) scalar invariance; see :func:`latent_mean_comparison`.

    Attributes
    ----------
    group : str
    level : str
        The highest invariance level held (``scalar`` or ``strict``).
    latent_means : DataFrame
        ``level, group, reference_group, factor, est, se, z, pvalue, std_all``.
    levels : DataFrame
        The invariance table the decision rests on.
    """

    group: str
    level: str
    latent_means: pd.DataFrame
    levels: pd.DataFrame
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    title: str = "Latent mean comparison"

    def tables(self) -> dict:
        return {"latent_means": self.latent_means, "invariance": self.levels}

    def to_dict(self) -> dict:
        return {"group": self.group, "invariance_level": self.level,
                "latent_means": self.latent_means.to_dict(orient="records"),
                "invariance": self.levels.to_dict(orient="records"), "notes": list(self.notes),
                "warnings": list(self.warnings)}


def latent_mean_comparison(model: str, data: pd.DataFrame, group: str, *, estimator: str | None = None,
                           ordered=None, min_cell: int = DEFAULT_MIN_CELL, identifiers: Sequence[str] = (),
                           criteria: str = "chen2007") -> LatentCompareResult:
    """Compare factor means across groups, only where scalar invariance holds.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement model.
    data : DataFrame
    group : str
    estimator, ordered, criteria
        Passed to :func:`qimscale.analysis.cfa.measurement_invariance`.
    min_cell : int
        Groups with fewer respondents are left out before fitting (disclosure).
    identifiers : sequence of str

    Returns
    -------
    LatentCompareResult

    Raises
    ------
    ModelError
        Scalar invariance does not hold (the message names the highest level
        reached): latent means are not comparable.

    Notes
    -----
    The scalar model (equal loadings and intercepts/thresholds) frees the
    latent means of groups 2.. with group 1 fixed at 0, as
    ``lavaan::cfa(model, group = g, group.equal = c("loadings", "intercepts"))``.
    """
    from qimscale.analysis.cfa import measurement_invariance

    disc = Disclosure(min_cell)
    check_not_identifier([group], identifiers, role="group")
    _check_column(data, group, "group")
    codes, labels = _group_codes(data, group)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    kept = [lab for lab, c in zip(labels, counts) if not disc.is_small(c)]
    notes = []
    if len(kept) < len(labels):
        notes.append(f"group(s) {', '.join(repr(lab) for lab in labels if lab not in kept)}: {disc.text}; left "
                     "out of the latent model")
    if len(kept) < 2:
        raise DataError(f"group column '{group}': fewer than two groups have {min_cell} or more respondents; "
                        "latent means cannot be compared without disclosing a small group")
    sub = data[np.isin(codes, [i for i, lab in enumerate(labels) if lab in kept])]
    inv = measurement_invariance(model, sub, group=group, estimator=estimator, ordered=ordered, criteria=criteria)
    level = inv.highest_level_held
    if level not in ("scalar", "strict"):
        raise ModelError(f"latent means of '{group}' are not comparable: the highest invariance level held is "
                         f"'{level or 'none'}', and comparing factor means needs scalar invariance (equal "
                         "loadings and intercepts); run 'qimscale invariance' to see which level fails and "
                         "compare observed scale scores instead, or fit a partial-invariance model")
    lm = inv.latent_means
    return LatentCompareResult(group=group, level=level, latent_means=lm, levels=inv.levels, notes=notes)
