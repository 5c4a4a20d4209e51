"""Internal-consistency reliability: Cronbach's alpha and its item analysis.

The numbers follow ``psych::alpha`` (Revelle) formula for formula, including
its conventions where a choice is arbitrary; each such convention is listed in
the Notes of :func:`alpha`. ω lives in :mod:`qimscale.analysis.omega`, split
halves and Guttman's λ4 in :mod:`qimscale.analysis.splithalf`, test-retest
ICCs in :mod:`qimscale.analysis.icc`.

psych conventions that are arbitrary, and followed here
-------------------------------------------------------
Each is pinned by a test against ``tests/reference/reliability_psych.json``
(written by ``tests/reference/reliability_psych.R``).

* ``alpha``: pairwise covariances ``C`` and ``R = cov2cor(C)``; item means,
  SDs and the total (row mean of the answered items) use every available
  answer; the Feldt CI uses the number of rows, not of complete rows;
  reverse keying uses the observed global min + max unless a range is given;
  constant items are dropped with a warning (analysis/reliability/test_reliability_alpha.py).
* ``omega``: ``cor(x, use="pairwise")`` (pair-specific means and SDs, unlike
  alpha's ``cov2cor``); varimax (reflected, sorted) then oblimin from the
  identity; Schmid–Leiman communalities from the orthogonal solution; items
  with a negative general loading reflected; 2 group factors → equal
  general loadings (analysis/reliability/test_reliability_omega.py).
* ``splitHalf``: halves of ``floor(k/2)`` items; the first
  ``ceil(choose(k, k//2)/2)`` splits in lexicographic order, mean divided by
  ``choose(k, k//2)/2`` (for odd ``k`` this skips some splits); random
  splits when there are more than ``n_sample`` (test_split_half_matches_psych).
* ``ICC``: two-way ANOVA mean squares; Satterthwaite-type bounds for ICC2
  exactly as psych (test_icc_matches_psych).

Deliberate deviations (each raises a warning): rows with no answer are
excluded before ``n`` is counted; with 2 items the item-deleted statistics
are NaN; ``missing="listwise"`` drops incomplete rows before everything
(``psych::alpha(na.omit(x))``; psych's own ``use="complete"`` still takes
means, SDs and ``n`` from all rows).
"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option
from qimscale._core.distributions import f_ppf, norm_cdf, norm_ppf
from qimscale._core.result import Result, row_table
from qimscale.analysis._threads import single_thread_blas
# the item validator and the pairwise moments live in leaf modules (omega, split-half,
# correlation and EFA use them too); their names stay importable from here
from qimscale.analysis.responses import ItemMatrix, item_matrix  # noqa: F401
from qimscale.analysis.moments import check_pairs_defined, cov2cor, pairwise_cov, smc
from qimscale.analysis.omega import omega_total
from qimscale.analysis.splithalf import split_half as _split_half
from qimscale.errors import DataError

__all__ = [
    "AlphaResult",
    "ItemMatrix",
    "alpha",
    "feldt_ci",
    "item_matrix",
    "pairwise_cov",
    "cov2cor",
    "check_pairs_defined",
    "scale_reliability",
    "smc",
]

_MOMENT_CELLS = 4_000_000   # largest block of per-row moment columns held at once (32 MB)
_CI = ("feldt", "bootstrap", "bca", "percentile")


def _alpha1(c: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """psych's internal ``alpha.1``: the alpha family of one covariance matrix."""
    with np.errstate(divide="ignore", invalid="ignore"):   # a zero total variance gives inf/NaN, as in R
        return _alpha1_unguarded(c, r)


def _alpha1_unguarded(c: np.ndarray, r: np.ndarray) -> dict[str, float]:
    k = c.shape[0]
    tr_c, sum_c = np.trace(c), c.sum()
    raw = (1.0 - tr_c / sum_c) * k / (k - 1)
    sum_r = r.sum()
    std = (1.0 - k / sum_r) * k / (k - 1)
    g6 = 1.0 - (k - smc(r).sum()) / sum_r
    av_r = (sum_r - k) / (k * (k - 1))
    low = r[np.tril_indices(k, -1)]
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else np.nan
    med_r = float(np.median(low))
    cc = c @ c
    q = (2.0 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (sum_c * (np.trace(cc) + tr_c**2) - 2.0 * tr_c * cc.sum())
    return {"raw_alpha": raw, "std_alpha": std, "g6": g6, "average_r": av_r,
            "signal_noise": k * av_r / (1.0 - av_r), "q": q, "var_r": var_r, "median_r": med_r}


def _sqrt(v: float) -> float:
    """Square root that gives NaN for a negative value, as R's ``sqrt``."""
    return math.sqrt(v) if v >= 0 else float("nan")


def feldt_ci(alpha_value: float, n: int, k: int, *, conf_level: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for coefficient alpha.

    Matches ``psych::alpha.ci(alpha, n.obs, n.var)`` (the ``feldt`` element of
    ``psych::alpha``).

    Parameters
    ----------
    alpha_value : float
        Raw coefficient alpha.
    n : int
        Number of respondents.
    k : int
        Number of items.
    conf_level : float, default 0.95

    Returns
    -------
    (lower, upper) : tuple of float

    Notes
    -----
    With :math:`F_p` the ``p`` quantile of an F distribution on
    :math:`(n-1, (n-1)(k-1))` degrees of freedom and :math:`a = 1 -
    \\text{conf\\_level}`, the bounds are :math:`1 - (1-\\alpha) F_{1-a/2}`
    and :math:`1 - (1-\\alpha) F_{a/2}` (Feldt, Woodruff & Salih, 1987).

    References
    ----------
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference
    for coefficient alpha. *Applied Psychological Measurement, 11*(1), 93–103.
    https://doi.org/10.1177/014662168701100107

    Examples
    --------
    >>> lo, hi = feldt_ci(0.8, 200, 6)
    >>> round(lo, 4), round(hi, 4)  # psych::alpha.ci(0.8, 200, 6)
    (0.7538, 0.8401)
    """
    p = 1.0 - conf_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha_value) * f_ppf(1.0 - p / 2.0, df1, df2)
    upper = 1.0 - (1.0 - alpha_value) * f_ppf(p / 2.0, df1, df2)
    return float(lower), float(upper)


# --------------------------------------------------------------------------- bootstrap

def _moment_columns(x0: np.ndarray, m: np.ndarray, iu: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per-row contributions to the pairwise moments (counts, sums, cross-products).

    For items j ≤ l (upper triangle ``iu``): m_j m_l and x_j x_l m_j m_l;
    for every ordered pair (j, l): x_j m_j m_l. Summing rows with weights
    gives the pairwise-complete moments of a weighted (bootstrap) sample.
    """
    mf = m.astype(float)
    pair = mf[:, :, None] * mf[:, None, :]                    # (n, k, k)
    sums = (x0[:, :, None] * pair).reshape(x0.shape[0], -1)   # x_j over pairs (j, l)
    j, l = iu
    return np.concatenate([pair[:, j, l], sums, (x0[:, j] * x0[:, l]) * pair[:, j, l]], axis=1)


def _alpha_from_moments(mom: np.ndarray, k: int, iu) -> np.ndarray:
    """Raw alpha for each row of pairwise moments (see :func:`_moment_columns`)."""
    j, l = iu
    npair = len(j)
    cnt = mom[:, :npair]
    sa_jl = mom[:, npair + j * k + l]          # sum of x_j over rows answering j and l
    sa_lj = mom[:, npair + l * k + j]
    sab = mom[:, npair + k * k:]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sab - sa_jl * sa_lj / cnt) / (cnt - 1.0)
    diag = j == l
    tr = cov[:, diag].sum(axis=1)
    tot = 2.0 * cov.sum(axis=1) - tr
    return (1.0 - tr / tot) * k / (k - 1.0)


def _alpha_complete_moments(mom: np.ndarray, k: int) -> np.ndarray:
    """Raw alpha from weighted moments of complete data: [1, x, x², total, total²]."""
    n = mom[:, :1]
    sx, sxx = mom[:, 1:k + 1], mom[:, k + 1:2 * k + 1]
    st, stt = mom[:, 2 * k + 1], mom[:, 2 * k + 2]
    var_items = ((sxx - sx**2 / n) / (n - 1)).sum(axis=1)
    var_tot = (stt - st**2 / n[:, 0]) / (n[:, 0] - 1)
    return (1.0 - var_items / var_tot) * k / (k - 1.0)


class _AlphaMoments:
    """Raw alpha of reweighted samples, computed from row-wise moment contributions.

    Complete rows need only ``[1, x, x_j x_l]`` (their pair masks are all
    one); rows with a missing answer carry the full pairwise layout of
    :func:`_moment_columns`. Both are expanded to that layout after the
    (replicates × rows) products.
    """

    def __init__(self, x: np.ndarray):
        self.n, self.k = x.shape
        self.m = ~np.isnan(x)
        self.x0 = np.where(self.m, x, 0.0)
        self.complete = bool(self.m.all())
        if self.complete:
            t = self.x0.sum(axis=1)
            self.z = np.column_stack([np.ones(self.n), self.x0, self.x0**2, t, t**2])
            return
        self.iu = np.triu_indices(self.k)
        self.rows_c = self.m.all(axis=1)
        xc = self.x0[self.rows_c]
        j, l = self.iu
        self.z_c = np.column_stack([np.ones(len(xc)), xc, xc[:, j] * xc[:, l]])
        inc = np.flatnonzero(~self.rows_c)
        ncol = 2 * len(j) + self.k**2
        step = max(1, _MOMENT_CELLS // ncol)
        self.chunks = [inc[s:s + step] for s in range(0, inc.size, step)]
        # keep the moment columns when they are small; rebuild them chunk by chunk otherwise
        self.z_i = self._z(inc) if inc.size <= step else None

    def _z(self, rows: np.ndarray) -> np.ndarray:
        return _moment_columns(self.x0[rows], self.m[rows], self.iu)

    def _incomplete(self, w: np.ndarray) -> np.ndarray:
        if self.z_i is not None:
            return w[:, ~self.rows_c] @ self.z_i
        return sum(w[:, rows] @ self._z(rows) for rows in self.chunks)

    def _expand(self, mom_c: np.ndarray, mom_i: np.ndarray) -> np.ndarray:
        k, npair = self.k, len(self.iu[0])
        out = mom_i.copy()
        out[:, :npair] += mom_c[:, :1]
        sums = out[:, npair:npair + k * k].reshape(-1, k, k)
        sums += mom_c[:, 1:k + 1][:, :, None]
        out[:, npair + k * k:] += mom_c[:, k + 1:]
        return out

    def alpha(self, mom: np.ndarray) -> np.ndarray:
        if self.complete:
            return _alpha_complete_moments(mom, self.k)
        return _alpha_from_moments(mom, self.k, self.iu)

    def weighted(self, w: np.ndarray) -> np.ndarray:
        if self.complete:
            return self.alpha(w @ self.z)
        return self.alpha(self._expand(w[:, self.rows_c] @ self.z_c, self._incomplete(w)))

    def jackknife(self) -> np.ndarray:
        """Raw alpha with each row left out in turn."""
        if self.complete:
            total = self.z.sum(axis=0)
        else:
            total = self._expand(self.z_c.sum(axis=0)[None, :], self._incomplete(np.ones((1, self.n))))[0]
        out = np.empty(self.n)
        step = max(1, _MOMENT_CELLS // total.size)
        for s in range(0, self.n, step):
            z = self.z[s:s + step] if self.complete else _moment_columns(
                self.x0[s:s + step], self.m[s:s + step], self.iu)
            out[s:s + step] = self.alpha(total[None, :] - z)
        return out


def _bootstrap_alpha(x: np.ndarray, n_boot: int, seed, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap replicates of raw alpha and the jackknife values (for BCa).

    Resampling rows with replacement is done as integer frequency weights, so
    every replicate's pairwise covariance matrix comes out of one matrix
    product (replicates × rows) @ (rows × moments).
    """
    rng = np.random.default_rng(seed)
    mom = _AlphaMoments(x)
    n = x.shape[0]
    out = np.empty(n_boot)
    chunk = max(1, min(n_boot, 20_000_000 // max(n, 1)))
    for s in range(0, n_boot, chunk):
        b = min(chunk, n_boot - s)
        idx = rng.integers(0, n, size=(b, n))
        w = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        out[s:s + b] = mom.weighted(w.astype(float))
        if progress is not None:
            progress(s + b, n_boot)
    return out, mom.jackknife()


def _bca_interval(theta: float, boot: np.ndarray, jack: np.ndarray, conf_level: float) -> tuple[float, float]:
    """Bias-corrected and accelerated percentile interval (Efron, 1987)."""
    boot = boot[np.isfinite(boot)]
    prop = (np.sum(boot < theta) + 0.5 * np.sum(boot == theta)) / boot.size
    if prop <= 0.0 or prop >= 1.0:
        return (np.nan, np.nan)
    z0 = norm_ppf(prop)
    d = jack.mean() - jack
    den = 6.0 * (np.sum(d**2) ** 1.5)
    acc = np.sum(d**3) / den if den > 0 else 0.0
    zq = norm_ppf([(1 - conf_level) / 2, 1 - (1 - conf_level) / 2])
    adj = norm_cdf(z0 + (z0 + zq) / (1 - acc * (z0 + zq)))
    lo, hi = np.quantile(boot, adj)
    return float(lo), float(hi)


# --------------------------------------------------------------------------- alpha

@dataclass
class AlphaResult(Result):
    """Cronbach's alpha with psych's item analysis; returned by :func:`alpha`.

    Attributes
    ----------
    n : int
        Respondents used (rows with at least one answer; complete rows for
        ``missing="listwise"``). psych's ``nrow(x)``, used for the Feldt CI.
    k : int
        Items used.
    items : list of str
    raw_alpha, std_alpha, g6, average_r, signal_noise, ase, mean, sd, median_r, var_r : float
        psych's ``total`` row (``raw_alpha``, ``std.alpha``, ``G6(smc)``,
        ``average_r``, ``S/N``, ``ase``, ``mean``, ``sd``, ``median_r``) and
        ``var.r``.
    feldt : (float, float)
        Feldt interval.
    boot : ndarray or None
        Bootstrap replicates of raw alpha.
    boot_percentile, boot_bca : (float, float) or None
        Percentile and BCa bootstrap intervals.
    ci_method : str
        Which interval :attr:`alpha_ci` reports.
    keys : list of str
        Items that were reverse-keyed.
    item_stats : pandas.DataFrame
        One row per item: ``item``, ``n``, ``raw_r``, ``std_r``, ``r_cor``,
        ``r_drop``, ``mean``, ``sd`` (psych's ``item.stats``).
    alpha_drop : pandas.DataFrame
        One row per item, the statistics with that item deleted: ``item``,
        ``raw_alpha``, ``std_alpha``, ``g6``, ``average_r``, ``signal_noise``,
        ``alpha_se``, ``var_r``, ``median_r`` (psych's ``alpha.drop``).
    warnings : list of str
    """

    n: int
    k: int
    items: list[str]
    raw_alpha: float
    std_alpha: float
    g6: float
    average_r: float
    signal_noise: float
    ase: float
    mean: float
    sd: float
    median_r: float
    var_r: float
    feldt: tuple[float, float]
    item_stats: pd.DataFrame
    alpha_drop: pd.DataFrame
    missing: str = "pairwise"
    conf_level: float = 0.95
    ci_method: str = "feldt"
    boot: np.ndarray | None = None
    boot_percentile: tuple[float, float] | None = None
    boot_bca: tuple[float, float] | None = None
    keys: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    title = "Cronbach's alpha"

    @property
    def alpha_ci(self) -> tuple[float, float]:
        """The interval chosen by ``ci`` (Feldt, or bootstrap percentile / BCa)."""
        if self.ci_method == "percentile":
            return self.boot_percentile
        if self.ci_method == "bca":
            return self.boot_bca
        return self.feldt

    def to_dict(self) -> dict:
        """Plain-type summary (the CLI's JSON for one scale, without ω)."""
        drop = self.alpha_drop.set_index("item")
        st = self.item_stats.set_index("item")
        return {
            "n": self.n, "k": self.k, "alpha": self.raw_alpha, "alpha_ci": list(self.alpha_ci),
            "ci_method": self.ci_method, "conf_level": self.conf_level,
            "std_alpha": self.std_alpha, "g6": self.g6, "average_r": self.average_r,
            "median_r": self.median_r, "signal_noise": self.signal_noise, "ase": self.ase,
            "mean": self.mean, "sd": self.sd, "feldt_ci": list(self.feldt),
            "boot_ci_percentile": None if self.boot_percentile is None else list(self.boot_percentile),
            "boot_ci_bca": None if self.boot_bca is None else list(self.boot_bca),
            "n_boot": None if self.boot is None else int(self.boot.size),
            "missing": self.missing, "reverse": list(self.keys),
            "items": [
                {"item": it, "r_drop": float(st.at[it, "r_drop"]),
                 "alpha_if_deleted": float(drop.at[it, "raw_alpha"]),
                 "std_alpha_if_deleted": float(drop.at[it, "std_alpha"]),
                 "raw_r": float(st.at[it, "raw_r"]), "std_r": float(st.at[it, "std_r"]),
                 "r_cor": float(st.at[it, "r_cor"]), "n": int(st.at[it, "n"]),
                 "mean": float(st.at[it, "mean"]), "sd": float(st.at[it, "sd"])}
                for it in self.items
            ],
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A short text report."""
        lo, hi = self.alpha_ci
        lines = [f"alpha = {self.raw_alpha:.3f} [{lo:.3f}, {hi:.3f}] ({self.ci_method}), "
                 f"std alpha = {self.std_alpha:.3f}, G6 = {self.g6:.3f}, average r = {self.average_r:.3f}, "
                 f"n = {self.n}, k = {self.k}"]
        tab = self.item_stats[["item", "r_drop"]].merge(self.alpha_drop[["item", "raw_alpha"]], on="item")
        tab = tab.rename(columns={"raw_alpha": "alpha_if_deleted"})
        lines.append(tab.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"total"`` (one row: psych's ``total`` with the interval), ``"items"`` (psych's
        ``item.stats``) and ``"alpha_if_deleted"`` (psych's ``alpha.drop``)."""
        lo, hi = self.alpha_ci
        total = row_table({"n": self.n, "k": self.k, "alpha": self.raw_alpha, "ci_lower": lo, "ci_upper": hi,
                           "ci_method": self.ci_method, "std_alpha": self.std_alpha, "g6": self.g6,
                           "average_r": self.average_r, "median_r": self.median_r,
                           "signal_noise": self.signal_noise, "ase": self.ase, "mean": self.mean, "sd": self.sd})
        return {"total": total, "items": self.item_stats.copy(), "alpha_if_deleted": self.alpha_drop.copy()}


def alpha(data, items: Sequence[str] | None = None, *, keys: Sequence[str] | None = None,
          key_range: tuple[float, float] | None = None, missing: str = "pairwise", ci: str = "feldt",
          n_boot: int = 1000, seed=None, conf_level: float = 0.95, progress=None) -> AlphaResult:
    """Cronbach's alpha, standardized alpha, Guttman's λ6 and psych's item analysis.

    Matches ``psych::alpha(x, keys=keys, check.keys=FALSE)`` (``use="pairwise"``,
    psych's default) and, for ``missing="listwise"``, ``psych::alpha(na.omit(x))``.

    Parameters
    ----------
    data : pandas.DataFrame or array-like
        One row per respondent, one column per item.
    items : sequence of str, optional
        Columns to use (default: all columns).
    keys : sequence of str, optional
        Items to reverse-key as ``min + max - x``.
    key_range : (min, max), optional
        Response range used to reverse-key; when given, a value outside it is
        an error. Default: the smallest and largest value observed over *all*
        the items (psych's convention).
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` uses pairwise-complete covariances as psych does;
        ``"listwise"`` first drops every row with a missing answer.
    ci : {"feldt", "bootstrap", "bca", "percentile"}, default "feldt"
        Interval reported by :attr:`AlphaResult.alpha_ci`. ``"bootstrap"`` is
        the BCa interval; every bootstrap choice also fills both bootstrap
        intervals. The Feldt interval is always computed.
    n_boot : int, default 1000
        Bootstrap replicates (rows resampled with replacement).
    seed : int or numpy.random.Generator, optional
        Seed for the bootstrap; the same seed gives the same interval.
    conf_level : float, default 0.95
    progress : callable, optional
        ``progress(done, total)``, called after each chunk of bootstrap
        replicates (ending with ``done == n_boot``); it does not change any number.

    Returns
    -------
    AlphaResult
        See its attributes; ``item_stats`` and ``alpha_drop`` list their
        columns.

    Raises
    ------
    DataError
        Non-numeric item, fewer than 2 usable items, fewer than 3 rows, a pair
        of items never answered together, or a bad option value.

    Notes
    -----
    With covariance matrix :math:`C` of the :math:`k` items and correlation
    matrix :math:`R`:

    * raw :math:`\\alpha = \\frac{k}{k-1}(1 - \\operatorname{tr}C / \\mathbf 1'C\\mathbf 1)`;
    * standardized :math:`\\alpha_s = \\frac{k}{k-1}(1 - k / \\mathbf 1'R\\mathbf 1)`;
    * :math:`\\lambda_6 = 1 - \\sum_j(1 - \\mathrm{SMC}_j) / \\mathbf 1'R\\mathbf 1`;
    * average r :math:`\\bar r = (\\mathbf 1'R\\mathbf 1 - k)/(k(k-1))`, S/N
      :math:`= k\\bar r/(1-\\bar r)`;
    * r.drop :math:`= (C\\mathbf 1 - \\operatorname{diag}C)_j / \\sqrt{C_{jj}\\,
      \\mathbf 1'C_{(-j)}\\mathbf 1}`; std.r :math:`=(R\\mathbf 1)_j/\\sqrt{\\mathbf 1'R\\mathbf 1}`;
      r.cor is std.r with SMCs on the diagonal of R;
    * ase :math:`= \\sqrt{Q/n}` (Duhachek & Iacobucci, 2004).

    psych conventions that are arbitrary, all followed here:

    1. ``C`` is the pairwise-complete covariance matrix and ``R =
       cov2cor(C)`` (not the pairwise correlation matrix, which rescales each
       pair by its own standard deviations; ``psych::omega`` and ``guttman``
       use that one instead).
    2. Item means and SDs use every available answer; the total score is the
       row mean of the available answers; ``raw_r`` correlates it with each
       item over pairwise-complete rows.
    3. Reverse keying uses the global min and max over all items unless
       ``key_range`` is given (the CLI passes the instrument's range).
    4. Items with a single observed value are dropped with a warning and do
       not count in ``k``; with 2 items the item-deleted statistics are NaN
       (psych returns placeholders).
    5. The Feldt interval uses ``n`` = the number of rows, not the number of
       complete rows. Deviation: rows with no answer at all are excluded first
       (psych counts them), with a warning.
    6. psych's bootstrap (``n.iter``) reports percentiles (R's type 7
       quantile) of raw alpha; the percentile interval here is the same
       statistic, and the BCa interval adds Efron's bias correction and
       jackknife acceleration. Replicates cannot match R's random numbers.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika, 16*(3), 297–334. https://doi.org/10.1007/BF02310555

    Guttman, L. (1945). A basis for analyzing test-retest reliability.
    *Psychometrika, 10*(4), 255–282. https://doi.org/10.1007/BF02288892

    Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE).
    *Journal of Applied Psychology, 89*(5), 792–808.
    https://doi.org/10.1037/0021-9010.89.5.792

    Efron, B. (1987). Better bootstrap confidence intervals. *JASA, 82*(397),
    171–185. https://doi.org/10.1080/01621459.1987.10478410

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                    "c": [1, 3, 3, 4, 5, 2], "d": [5, 4, 3, 2, 1, 3]})
    >>> res = alpha(df, keys=["d"])
    >>> round(res.raw_alpha, 4), res.k  # psych::alpha(df, keys="d"): 0.9636
    (0.9636, 4)
    >>> res.item_stats[["item", "r_drop"]].round(3).to_dict("list")
    {'item': ['a', 'b', 'c', 'd'], 'r_drop': [0.977, 0.825, 0.877, 0.977]}
    """
    if ci not in _CI:
        check_option("ci", ci, _CI, "alpha", error=DataError)
    if not 0.0 < conf_level < 1.0:
        raise DataError(f"conf_level must lie between 0 and 1; got {conf_level!r}")
    with single_thread_blas():
        res = _alpha(data, items, keys, key_range, missing, ci, n_boot, seed, conf_level, progress)
    for m in res.warnings:
        _warnings.warn(m, UserWarning, stacklevel=2)
    return res


def _alpha(data, items, keys, key_range, missing, ci, n_boot, seed, conf_level, progress=None) -> AlphaResult:
    mat = item_matrix(data, items, missing=missing, keys=keys, key_range=key_range, context="alpha")
    x, names = mat.x, mat.items
    msgs = list(mat.warnings)
    n, k = x.shape
    if k == 2:
        msgs.append("alpha: only 2 items; alpha equals a 2-item split-half coefficient and the "
                    "item-deleted statistics are undefined (NaN). Use 3 or more items.")
    c = pairwise_cov(x) if missing == "pairwise" else np.cov(x, rowvar=False)
    check_pairs_defined(c, names, "alpha")
    r = cov2cor(c)
    tot = _alpha1(c, r)
    # psych's check: items loading negatively on the first principal component
    vec = np.linalg.eigh(r)[1][:, -1]
    vec = vec if vec.sum() >= 0 else -vec
    negative = [nm for nm, v in zip(names, vec) if v < 0]
    if negative:
        msgs.append(f"alpha: item(s) {', '.join(negative)} correlate negatively with the total scale and "
                    "probably should be reverse-keyed (keys=[...], or --scale NAME=a,-b on the command line).")

    drop_rows = []
    for j in range(k):
        if k > 2:
            keep = np.arange(k) != j
            d = _alpha1(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)])
            drop_rows.append([names[j], d["raw_alpha"], d["std_alpha"], d["g6"], d["average_r"],
                              d["signal_noise"], _sqrt(d["q"] / n) if n > k else np.nan,
                              d["var_r"], d["median_r"]])
        else:
            drop_rows.append([names[j]] + [np.nan] * 8)
    alpha_drop = pd.DataFrame(drop_rows, columns=["item", "raw_alpha", "std_alpha", "g6", "average_r",
                                                  "signal_noise", "alpha_se", "var_r", "median_r"])

    # negative sums (items that correlate negatively) give NaN, as in R
    sum_r = r.sum()
    rc = r.copy()
    np.fill_diagonal(rc, smc(r))
    colsum = c.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        std_r = r.sum(axis=0) / np.sqrt(sum_r)
        r_cor = rc.sum(axis=0) / np.sqrt(rc.sum())
        r_drop = (colsum - np.diag(c)) / np.sqrt(np.diag(c) * (c.sum() - 2 * colsum + np.diag(c)))
    total = np.nanmean(x, axis=1)
    raw_r = np.empty(k)
    for j in range(k):
        ok = ~np.isnan(x[:, j])
        raw_r[j] = np.corrcoef(total[ok], x[ok, j])[0, 1]
    item_stats = pd.DataFrame({
        "item": names, "n": (~np.isnan(x)).sum(axis=0), "raw_r": raw_r, "std_r": std_r, "r_cor": r_cor,
        "r_drop": r_drop, "mean": np.nanmean(x, axis=0), "sd": np.nanstd(x, axis=0, ddof=1),
    })

    res = AlphaResult(
        n=n, k=k, items=names, raw_alpha=float(tot["raw_alpha"]), std_alpha=float(tot["std_alpha"]),
        g6=float(tot["g6"]), average_r=float(tot["average_r"]), signal_noise=float(tot["signal_noise"]),
        ase=_sqrt(tot["q"] / n), mean=float(np.mean(total)), sd=float(np.std(total, ddof=1)),
        median_r=tot["median_r"], var_r=tot["var_r"], feldt=feldt_ci(tot["raw_alpha"], n, k, conf_level=conf_level),
        item_stats=item_stats, alpha_drop=alpha_drop, missing=missing, conf_level=conf_level,
        ci_method="bca" if ci == "bootstrap" else ci, keys=list(keys or []), warnings=msgs,
    )
    if ci != "feldt":
        if n_boot < 2:
            raise DataError(f"n_boot must be at least 2 for a bootstrap interval; got {n_boot}")
        boot, jack = _bootstrap_alpha(x, int(n_boot), seed, progress)
        res.boot = boot
        ok = boot[np.isfinite(boot)]
        q = np.quantile(ok, [(1 - conf_level) / 2, 1 - (1 - conf_level) / 2])
        res.boot_percentile = (float(q[0]), float(q[1]))
        res.boot_bca = _bca_interval(res.raw_alpha, boot, jack, conf_level)
    return res


# --------------------------------------------------------------------------- several scales

def scale_reliability(data, scales: Mapping[str, Sequence[str]], *,
                      reverse: Mapping[str, Sequence[str]] | None = None,
                      ranges: Mapping[str, tuple[float, float]] | None = None,
                      missing: str = "pairwise", ci: str = "feldt", n_boot: int = 1000, seed=None,
                      conf_level: float = 0.95, omega: bool = True, split_half: bool = False,
                      progress=None) -> dict:
    """Alpha (and one-factor ω total) for each of several scales.

    The library call behind ``qimscale reliability``. Matches, per scale,
    ``psych::alpha(x[items], keys=reverse, check.keys=FALSE)`` and
    ``psych::omega(x[items], nfactors=1)$omega.tot``.

    Parameters
    ----------
    data : pandas.DataFrame
        Item scores.
    scales : mapping of str to sequence of str
        Scale name → its items, in order.
    reverse : mapping of str to sequence of str, optional
        Scale name → its reverse-keyed items.
    ranges : mapping of str to (min, max), optional
        Scale name → response range for reverse keying (default: observed).
    missing, ci, n_boot, seed, conf_level
        As in :func:`alpha`. Each scale's bootstrap uses ``seed`` afresh, so
        a scale's interval does not depend on which other scales are listed.
    progress : callable, optional
        ``progress(done, total)`` over the bootstrap replicates of all scales
        (``total = len(scales) * n_boot``); only called for a bootstrap ``ci``.
    omega : bool, default True
        Also compute one-factor ω total (:func:`qimscale.analysis.omega.omega_total`).
    split_half : bool, default False
        Also report split-half coefficients (:func:`qimscale.analysis.splithalf.split_half`)
        under ``"split_half"``: ``lambda4``, ``min_split``, ``mean_split``,
        ``lambda2``, ``lambda6``, ``odd_even_r``, ``odd_even_sb``.

    Returns
    -------
    dict
        ``{"scales": [{"scale", "n", "k", "alpha", "alpha_ci", "std_alpha", "g6",
        "average_r", "omega_total", "items": [{"item", "r_drop",
        "alpha_if_deleted", ...}], ...}]}`` (the CLI contract's JSON).

    Raises
    ------
    DataError
        As :func:`alpha`, with the scale named.
    """
    out = []
    reverse = dict(reverse or {})
    ranges = dict(ranges or {})
    boot_total = len(scales) * int(n_boot)
    for i, (name, its) in enumerate(scales.items()):
        scale_progress = None
        if progress is not None and ci != "feldt":
            def scale_progress(done, _total, _before=i * int(n_boot)):
                progress(_before + done, boot_total)
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            try:
                res = alpha(data, its, keys=reverse.get(name), key_range=ranges.get(name), missing=missing,
                            ci=ci, n_boot=n_boot, seed=seed, conf_level=conf_level, progress=scale_progress)
            except DataError as exc:
                raise DataError(f"scale '{name}': {exc}") from None
        entry = {"scale": name, **res.to_dict()}
        entry["warnings"] = [w.replace("alpha:", f"scale '{name}':", 1) for w in entry["warnings"]]
        entry["omega_total"] = None
        keys = [kk for kk in (reverse.get(name) or []) if kk in res.items]   # alpha may have dropped some
        if omega and res.k >= 3:
            try:
                sub = item_matrix(data, res.items, drop_constant=False, keys=keys, key_range=ranges.get(name),
                                  context="omega")
                entry["omega_total"] = omega_total(pd.DataFrame(sub.x, columns=res.items), missing=missing)
            except Exception as exc:  # noqa: BLE001 - ω is an extra; alpha stands on its own
                entry["warnings"].append(f"scale '{name}': omega total could not be computed ({exc})")
        if split_half and res.k >= 3:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                sh = _split_half(data, res.items, keys=keys, key_range=ranges.get(name), missing=missing,
                                 seed=seed)
            entry["split_half"] = {kk: getattr(sh, kk) for kk in (
                "lambda4", "min_split", "mean_split", "lambda2", "lambda6", "odd_even_r", "odd_even_sb",
                "n_splits", "exhaustive")}
            entry["warnings"].extend(sh.warnings)
        # key order: contract keys first
        ordered = {kk: entry.pop(kk) for kk in ("scale", "n", "k", "alpha", "alpha_ci", "std_alpha", "g6",
                                                  "average_r", "omega_total", "items")}
        ordered.update(entry)
        out.append(ordered)
    _merge_repeated_warnings(out)
    return {"scales": out}


def _merge_repeated_warnings(entries) -> None:
    """One warning for a message every scale repeats (e.g. the same rows answering none of the items):
    ``scale 'a': M`` and ``scale 'b': M`` become ``scales 'a', 'b': M`` in the first scale's list."""
    import re

    pattern = re.compile(r"^scale '(.+?)': (.*)$", re.S)
    owners: dict[str, list[str]] = {}
    for e in entries:
        for w in e["warnings"]:
            m = pattern.match(w)
            if m:
                owners.setdefault(m.group(2), []).append(m.group(1))
    shared = {tail: names for tail, names in owners.items() if len(names) > 1}
    if not shared:
        return
    done: set[str] = set()
    for e in entries:
        kept = []
        for w in e["warnings"]:
            m = pattern.match(w)
            tail = m.group(2) if m else None
            if tail in shared:
                if tail not in done:
                    done.add(tail)
                    kept.append("scales " + ", ".join(f"'{n}'" for n in shared[tail]) + f": {tail}")
                continue
            kept.append(w)
        e["warnings"] = kept

