"""Post hoc pairs: Tukey HSD and Games–Howell (studentized range, ``qtukey``) and Dunn's test."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from qimscale.analysis.compare.adjust import p_adjust
from qimscale.analysis.compare.k_groups import _moments, _pooled_ranks
from qimscale.analysis.studentized_range import ptukey_sf

__all__ = ["qtukey", "tukey_hsd", "games_howell", "dunn"]


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
