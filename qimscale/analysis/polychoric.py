"""Polychoric and polyserial correlations by two-step maximum likelihood.

Public functions
----------------
polychoric(data, ...)
    The polychoric correlation matrix of ordinal items, matching
    ``psych::polychoric(x)`` (default) and ``lavaan::lavCor(x, ordered=names(x))``
    (``correct=0, global_thresholds=True``).
polyserial(x, y)
    Polyserial correlation of a continuous and an ordinal variable, matching
    ``polycor::polyserial(x, y)``.

Lower-level pieces (reused by WLSMV's first stage)
--------------------------------------------------
ordinal_codes(x)
    Codes ``0..K-1`` for the sorted observed categories of one item (-1 = missing).
univariate_thresholds(x)
    Thresholds :math:`\\tau_c = \\Phi^{-1}(\\text{cumulative proportion})`.
cell_probabilities(tau_x, tau_y, rho)
    The :math:`K_x \\times K_y` cell probabilities of the discretised bivariate normal.
cell_probability_derivatives(tau_x, tau_y, rho)
    Their derivatives with respect to ``rho`` and both threshold vectors.
polychoric_pair(x, y, tau_x=None, tau_y=None, correct=0)
    ML estimate of one correlation with thresholds fixed.
pair_scores(x, y, tau_x, tau_y, rho), threshold_scores(x, tau)
    Per-case score contributions of one pair / one item's thresholds (for
    robust/WLSMV weight matrices).
threshold_bounds, stacked_cell_probabilities, fit_polychoric_tables
    The vectorised engine on stacks of padded tables (all pairs at once).
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from qimscale.analysis.bivariate_normal import bvn_cdf, bvn_cdf_dh, bvn_pdf, bvn_pdf_drho
from qimscale._core.checks import check_option, numeric_matrix
from qimscale._core.result import Result
from qimscale.errors import DataError

__all__ = [
    "PolychoricResult",
    "PolychoricPair",
    "PolychoricWarning",
    "polychoric",
    "polyserial",
    "ordinal_codes",
    "univariate_thresholds",
    "cell_probabilities",
    "cell_probability_derivatives",
    "polychoric_pair",
    "pair_scores",
    "threshold_scores",
    "cor_smooth",
    "TablesFit",
    "threshold_bounds",
    "stacked_cell_probabilities",
    "fit_polychoric_tables",
]

_RHO_MAX = 1.0 - 1e-10  # the search interval is [-_RHO_MAX, _RHO_MAX]


class PolychoricWarning(UserWarning):
    """A polychoric result was computed but needs the user's attention."""


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------
@dataclass
class PolychoricResult(Result):
    """Result of :func:`polychoric`.

    Attributes
    ----------
    corr : pandas.DataFrame
        Items x items polychoric correlation matrix (after smoothing when
        ``smoothed`` is true); NaN where a pair has no complete cases.
    thresholds : dict[str, numpy.ndarray]
        Item -> its ``K - 1`` finite thresholds, from all non-missing values of
        that item (``K`` = number of observed categories).
    categories : dict[str, numpy.ndarray]
        Item -> its sorted observed category values (threshold ``c`` separates
        ``categories[c]`` from ``categories[c + 1]``).
    n_pairs : pandas.DataFrame
        Items x items number of complete cases of each pair (diagonal: item ``n``).
    smoothed : bool
        True when the matrix was not positive definite and was smoothed.
    warnings : list[str]
        Every warning raised while computing the result, in order.
    raw_corr : pandas.DataFrame
        The correlation matrix before smoothing.
    global_thresholds : bool
        Whether the correlations were estimated with the items' global
        thresholds (False when psych's pairwise rule was used).
    converged : pandas.DataFrame
        Items x items booleans: did the ML search of each pair converge.
    """

    corr: pd.DataFrame
    thresholds: dict[str, np.ndarray]
    categories: dict[str, np.ndarray]
    n_pairs: pd.DataFrame
    smoothed: bool
    warnings: list[str] = field(default_factory=list)
    raw_corr: pd.DataFrame | None = None
    global_thresholds: bool = True
    converged: pd.DataFrame | None = None

    title = "Polychoric correlations"

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"matrix"`` (the correlations), ``"thresholds"`` (:meth:`threshold_table`) and ``"n_pairs"``."""
        return {"matrix": self.corr.copy(), "thresholds": self.threshold_table(), "n_pairs": self.n_pairs.copy()}

    def threshold_table(self) -> pd.DataFrame:
        """Thresholds as an items x thresholds DataFrame (NaN-padded), like psych's ``$tau``.

        Columns are ``t1 .. t{K-1}`` for the largest ``K``. Equal to psych's
        ``$tau`` when every item uses the same categories; psych instead keeps
        one column per value of the global range, with -Inf (a category below
        the item's lowest), +Inf (above its highest) or a repeated threshold
        (an unobserved middle category), where qimscale lists only the
        thresholds between observed categories.
        """
        width = max((len(t) for t in self.thresholds.values()), default=0)
        rows = {k: np.concatenate([v, np.full(width - len(v), np.nan)]) for k, v in self.thresholds.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=[f"t{i + 1}" for i in range(width)])

    def to_dict(self) -> dict:
        """JSON-ready dictionary (NaN kept as float NaN; the CLI turns it into null)."""
        items = list(self.corr.columns)
        return {
            "method": "polychoric",
            "items": items,
            "corr": self.corr.to_numpy().tolist(),
            "thresholds": {k: v.tolist() for k, v in self.thresholds.items()},
            "categories": {k: v.tolist() for k, v in self.categories.items()},
            "n_pairs": self.n_pairs.to_numpy().tolist(),
            "smoothed": bool(self.smoothed),
            "global_thresholds": bool(self.global_thresholds),
            "warnings": list(self.warnings),
        }


class PolychoricPair(NamedTuple):
    """Result of :func:`polychoric_pair`.

    Attributes
    ----------
    rho : float
        ML estimate of the polychoric correlation (NaN when undefined).
    loglik : float
        Maximised log-likelihood :math:`\\sum_{ab} n_{ab}\\log P_{ab}(\\rho)`.
    n : int
        Number of complete cases of the pair.
    table : numpy.ndarray
        The ``Kx x Ky`` contingency table used (after any correction).
    tau_x, tau_y : numpy.ndarray
        Thresholds held fixed.
    iterations : int
        Newton iterations used.
    converged : bool
        Whether the search converged.
    """

    rho: float
    loglik: float
    n: int
    table: np.ndarray
    tau_x: np.ndarray
    tau_y: np.ndarray
    iterations: int
    converged: bool


# --------------------------------------------------------------------------------------
# Univariate pieces
# --------------------------------------------------------------------------------------
def ordinal_codes(x) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of one ordinal item.

    Parameters
    ----------
    x : array_like
        1-d numeric values; NaN marks a missing response.

    Returns
    -------
    codes : numpy.ndarray of int
        ``0 .. K-1`` giving the rank of each value among the observed
        categories; ``-1`` where ``x`` is missing.
    categories : numpy.ndarray
        The ``K`` sorted distinct observed values.

    Examples
    --------
    >>> codes, cats = ordinal_codes([3, 1, np.nan, 5, 3])
    >>> codes.tolist(), cats.tolist()
    ([1, 0, -1, 2, 1], [1.0, 3.0, 5.0])
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    categories, inv = np.unique(x[ok], return_inverse=True)
    codes = np.full(x.shape, -1, dtype=np.int64)
    codes[ok] = inv
    return codes, categories


def _thresholds_from_counts(counts: np.ndarray) -> np.ndarray:
    """Finite thresholds qnorm(cumsum(p))[:-1] from category counts (all > 0)."""
    counts = np.asarray(counts, dtype=float)
    return ndtri(np.cumsum(counts)[:-1] / counts.sum())


def univariate_thresholds(x) -> np.ndarray:
    """Thresholds of one ordinal item from its marginal proportions.

    Parameters
    ----------
    x : array_like
        1-d numeric responses; NaN = missing (ignored: all available cases are used).

    Returns
    -------
    numpy.ndarray
        The ``K - 1`` thresholds :math:`\\tau_c = \\Phi^{-1}(\\sum_{a \\le c} n_a / n)`,
        ``c = 1..K-1``, for the ``K`` observed categories in increasing order
        (see :func:`ordinal_codes`). All are finite.

    Raises
    ------
    DataError
        If fewer than two categories are observed.

    Notes
    -----
    This is the closed-form ML estimate of the thresholds of a single ordinal
    variable; it is what ``psych::polychoric`` returns as ``$tau`` (global
    thresholds) and what ``lavaan::lavCor`` uses in its first step.

    Matches ``psych::polychoric(x)$tau`` and the thresholds of
    ``lavaan::lavCor(x, ordered=names(x), output="th")``.

    Examples
    --------
    >>> univariate_thresholds([1, 1, 2, 2, 2, 3, np.nan]).round(6)
    array([-0.430727,  0.967422])
    """
    codes, cats = ordinal_codes(x)
    if len(cats) < 2:
        raise DataError(f"an ordinal variable needs at least two observed categories; "
                        f"found {len(cats)} ({cats.tolist()})")
    counts = np.bincount(codes[codes >= 0], minlength=len(cats))
    return _thresholds_from_counts(counts)


# --------------------------------------------------------------------------------------
# Cell probabilities (vectorised over pairs)
# --------------------------------------------------------------------------------------
def _bounds(tau: np.ndarray) -> np.ndarray:
    """[-inf, tau..., +inf] along the last axis."""
    tau = np.asarray(tau, dtype=float)
    shape = tau.shape[:-1] + (1,)
    return np.concatenate([np.full(shape, -np.inf), tau, np.full(shape, np.inf)], axis=-1)


def _diff2(g: np.ndarray) -> np.ndarray:
    """Rectangle differences of a corner grid (..., Kx+1, Ky+1) -> (..., Kx, Ky)."""
    return g[..., 1:, 1:] - g[..., :-1, 1:] - g[..., 1:, :-1] + g[..., :-1, :-1]


def _grid_terms(bx: np.ndarray, by: np.ndarray, rho: np.ndarray, order: int):
    """P and its first ``order`` rho-derivatives for boundaries bx (m, Kx+1), by (m, Ky+1)."""
    h = bx[:, :, None]
    k = by[:, None, :]
    r = rho[:, None, None]
    h, k, r = np.broadcast_arrays(h, k, r)
    out = [_diff2(bvn_cdf(h, k, r))]
    if order >= 1:
        out.append(_diff2(bvn_pdf(h, k, r)))
    if order >= 2:
        out.append(_diff2(bvn_pdf_drho(h, k, r)))
    return out


def cell_probabilities(tau_x, tau_y, rho) -> np.ndarray:
    """Cell probabilities of a discretised standard bivariate normal.

    Parameters
    ----------
    tau_x : array_like
        The ``Kx - 1`` increasing finite thresholds of the row variable.
    tau_y : array_like
        The ``Ky - 1`` thresholds of the column variable.
    rho : float
        Latent correlation, ``|rho| < 1``.

    Returns
    -------
    numpy.ndarray
        ``Kx x Ky`` matrix :math:`P_{ab} = \\Phi_2(\\tau_a, \\tau'_b) - \\Phi_2(\\tau_{a-1}, \\tau'_b)
        - \\Phi_2(\\tau_a, \\tau'_{b-1}) + \\Phi_2(\\tau_{a-1}, \\tau'_{b-1})` with
        :math:`\\tau_0 = -\\infty`, :math:`\\tau_K = +\\infty`; sums to 1.

    Examples
    --------
    >>> cell_probabilities([0.0], [0.0], 0.5).round(6)
    array([[0.333333, 0.166667],
           [0.166667, 0.333333]])
    """
    bx = _bounds(np.atleast_1d(np.asarray(tau_x, dtype=float)))[None, :]
    by = _bounds(np.atleast_1d(np.asarray(tau_y, dtype=float)))[None, :]
    return _grid_terms(bx, by, np.array([float(rho)]), 0)[0][0]


def cell_probability_derivatives(tau_x, tau_y, rho) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Derivatives of :func:`cell_probabilities` with respect to rho and the thresholds.

    Parameters
    ----------
    tau_x, tau_y : array_like
        Thresholds of the row and column variable (lengths ``Kx-1``, ``Ky-1``).
    rho : float
        Latent correlation, ``|rho| < 1``.

    Returns
    -------
    dP_drho : numpy.ndarray
        ``Kx x Ky``: :math:`\\partial P_{ab}/\\partial\\rho`, the rectangle
        differences of :math:`\\phi_2` at the cell corners.
    dP_dtau_x : numpy.ndarray
        ``(Kx-1) x Kx x Ky``: entry ``[c, a, b]`` is
        :math:`\\partial P_{ab}/\\partial\\tau_c` with
        :math:`\\partial\\Phi_2(h,k)/\\partial h = \\phi(h)\\Phi((k-\\rho h)/\\sqrt{1-\\rho^2})`;
        non-zero only for rows ``a = c - 1`` and ``a = c`` (0-based ``c`` is
        the boundary between rows ``c`` and ``c + 1``).
    dP_dtau_y : numpy.ndarray
        ``(Ky-1) x Kx x Ky``, the same for the column thresholds.

    Examples
    --------
    >>> d_rho, d_tx, d_ty = cell_probability_derivatives([0.0], [0.0], 0.0)
    >>> d_rho.round(6)
    array([[ 0.159155, -0.159155],
           [-0.159155,  0.159155]])
    >>> d_tx.shape, d_ty.shape
    ((1, 2, 2), (1, 2, 2))
    """
    tx = np.atleast_1d(np.asarray(tau_x, dtype=float))
    ty = np.atleast_1d(np.asarray(tau_y, dtype=float))
    bx, by = _bounds(tx), _bounds(ty)
    h, k = np.meshgrid(bx, by, indexing="ij")
    d_rho = _diff2(bvn_pdf(h, k, rho))
    # d Phi2(bx_u, by_v) / d bx_u along each column v: phi(bx_u) Phi((by_v - rho bx_u)/s)
    gx = bvn_cdf_dh(bx[:, None], by[None, :], rho)  # (Kx+1, Ky+1)
    gy = bvn_cdf_dh(by[None, :], bx[:, None], rho)  # (Kx+1, Ky+1), derivative wrt by_v
    kx, ky = len(tx) + 1, len(ty) + 1
    d_tx = np.zeros((kx - 1, kx, ky))
    for c in range(kx - 1):  # loop over thresholds only (not cells)
        u = c + 1  # boundary index in bx
        col = gx[u, 1:] - gx[u, :-1]  # d/d bx_u of [Phi2(bx_u, by_v) - Phi2(bx_u, by_{v-1})]
        d_tx[c, u - 1, :] = col  # cell row u-1 has bx_u as upper limit
        d_tx[c, u, :] = -col  # cell row u has bx_u as lower limit
    d_ty = np.zeros((ky - 1, kx, ky))
    for c in range(ky - 1):
        v = c + 1
        row = gy[1:, v] - gy[:-1, v]
        d_ty[c, :, v - 1] = row
        d_ty[c, :, v] = -row
    return d_rho, d_tx, d_ty


# --------------------------------------------------------------------------------------
# Vectorised ML for many pairs at once
# --------------------------------------------------------------------------------------
def _loglik(w: np.ndarray, p: np.ndarray) -> np.ndarray:
    pos = w > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.where(pos, np.log(np.where(pos, p, 1.0)), 0.0)
    return (w * lp).sum(axis=(1, 2))


def _fit_rho(w: np.ndarray, bx: np.ndarray, by: np.ndarray, rho0: np.ndarray,
             tol: float = 1e-10, max_iter: int = 100):
    """Maximise sum w log P(rho) for every pair (axis 0) simultaneously.

    Safeguarded Newton: the observed second derivative when it is negative,
    Fisher scoring otherwise, step halving until the log-likelihood does not
    decrease, and iterates kept inside (-1, 1). Each iteration needs one
    evaluation of the cell probabilities and their two rho-derivatives.
    """
    m = w.shape[0]
    rho = np.clip(np.asarray(rho0, dtype=float), -0.95, 0.95)
    n = w.sum(axis=(1, 2))
    active = np.ones(m, dtype=bool)
    converged = np.zeros(m, dtype=bool)
    iters = np.zeros(m, dtype=int)
    p, d1, d2 = _grid_terms(bx, by, rho, 2)
    ll = _loglik(w, p)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        wa, r = w[idx], rho[idx]
        pa, d1a, d2a = p[idx], d1[idx], d2[idx]
        pos = wa > 0
        safe_p = np.where(pa > 0, pa, 1.0)
        ratio = d1a / safe_p
        g = np.where(pos, wa * ratio, 0.0).sum(axis=(1, 2))
        hess = np.where(pos, wa * (d2a / safe_p - ratio * ratio), 0.0).sum(axis=(1, 2))
        fisher = n[idx] * np.where(pa > 1e-300, d1a * ratio, 0.0).sum(axis=(1, 2))
        step = np.where(hess < 0, -g / np.where(hess < 0, hess, -1.0), g / np.maximum(fisher, 1e-300))
        # keep the iterate strictly inside (-1, 1)
        over = np.abs(r + step) >= _RHO_MAX
        step = np.where(over, (np.sign(step) * _RHO_MAX - r) / 2.0, step)
        new = r + step
        pn, d1n, d2n = _grid_terms(bx[idx], by[idx], new, 2)
        ll_old = ll[idx]
        ll_new = _loglik(wa, pn)
        bad = ll_new < ll_old - 1e-12 * np.abs(ll_old)
        for _h in range(40):  # step halving on the log-likelihood
            if not bad.any():
                break
            step = np.where(bad, step / 2.0, step)
            sub = np.flatnonzero(bad)
            new[sub] = r[sub] + step[sub]
            pn[sub], d1n[sub], d2n[sub] = _grid_terms(bx[idx[sub]], by[idx[sub]], new[sub], 2)
            ll_new[sub] = _loglik(wa[sub], pn[sub])
            bad = ll_new < ll_old - 1e-12 * np.abs(ll_old)
        rho[idx], ll[idx] = new, ll_new
        p[idx], d1[idx], d2[idx] = pn, d1n, d2n
        iters[idx] += 1
        done = (np.abs(step) < tol) | (np.abs(g) < 1e-10 * np.maximum(n[idx], 1.0))
        converged[idx[done]] = True
        active[idx[done]] = False
    return rho, ll, converged, iters


def _start_values(w: np.ndarray) -> np.ndarray:
    """Pearson correlation of the category ranks in each table (start for Newton)."""
    m, kx, ky = w.shape
    a = np.arange(kx, dtype=float)[None, :, None]
    b = np.arange(ky, dtype=float)[None, None, :]
    n = w.sum(axis=(1, 2))
    n = np.where(n > 0, n, 1.0)
    ma = (w * a).sum(axis=(1, 2)) / n
    mb = (w * b).sum(axis=(1, 2)) / n
    va = (w * (a - ma[:, None, None]) ** 2).sum(axis=(1, 2)) / n
    vb = (w * (b - mb[:, None, None]) ** 2).sum(axis=(1, 2)) / n
    cov = (w * (a - ma[:, None, None]) * (b - mb[:, None, None])).sum(axis=(1, 2)) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(va * vb)
    return np.nan_to_num(r, nan=0.0)


class TablesFit(NamedTuple):
    """Result of :func:`fit_polychoric_tables` (arrays of length ``m``, one per table).

    Attributes
    ----------
    rho : numpy.ndarray
        ML correlations.
    loglik : numpy.ndarray
        Maximised :math:`\\sum_{ab} w_{ab}\\log P_{ab}`.
    converged : numpy.ndarray of bool
        Convergence flags.
    iterations : numpy.ndarray of int
        Newton iterations used.
    """

    rho: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray


def threshold_bounds(thresholds: list, width: int | None = None) -> np.ndarray:
    """Stack threshold vectors as padded boundary rows ``[-inf, tau..., +inf, +inf...]``.

    Parameters
    ----------
    thresholds : list of array_like
        One finite threshold vector per variable (lengths ``K_j - 1``).
    width : int, optional
        Number of categories to pad to (default: the largest ``K_j``).

    Returns
    -------
    numpy.ndarray
        ``len(thresholds) x (width + 1)``; padded categories have zero width
        (boundaries ``+inf``), so they get probability 0.

    Examples
    --------
    >>> threshold_bounds([[0.0], [-1.0, 1.0]])
    array([[-inf,   0.,  inf,  inf],
           [-inf,  -1.,   1.,  inf]])
    """
    taus = [np.atleast_1d(np.asarray(t, dtype=float)) for t in thresholds]
    k = max(len(t) + 1 for t in taus) if width is None else int(width)
    out = np.full((len(taus), k + 1), np.inf)
    out[:, 0] = -np.inf
    for j, t in enumerate(taus):
        out[j, 1:len(t) + 1] = t
    return out


def stacked_cell_probabilities(bounds_x: np.ndarray, bounds_y: np.ndarray, rho, order: int = 0) -> list:
    """Cell probabilities (and rho-derivatives) for a stack of bivariate tables.

    Parameters
    ----------
    bounds_x : numpy.ndarray
        ``m x (Kx+1)`` row boundaries (see :func:`threshold_bounds`).
    bounds_y : numpy.ndarray
        ``m x (Ky+1)`` column boundaries.
    rho : array_like
        ``m`` correlations.
    order : {0, 1, 2}
        Number of rho-derivatives to return as well.

    Returns
    -------
    list of numpy.ndarray
        ``[P, dP/drho, d2P/drho2][:order + 1]``, each ``m x Kx x Ky``.

    Examples
    --------
    >>> b = threshold_bounds([[0.0]])
    >>> stacked_cell_probabilities(b, b, [0.5])[0].round(6)
    array([[[0.333333, 0.166667],
            [0.166667, 0.333333]]])
    """
    return _grid_terms(np.asarray(bounds_x, dtype=float), np.asarray(bounds_y, dtype=float),
                       np.atleast_1d(np.asarray(rho, dtype=float)), order)


def fit_polychoric_tables(tables, bounds_x, bounds_y, *, start=None, tol: float = 1e-10,
                          max_iter: int = 100) -> TablesFit:
    """Two-step ML correlations for a stack of contingency tables, all at once.

    Parameters
    ----------
    tables : array_like
        ``m x Kx x Ky`` counts (or weights) per table; padded categories must
        have zero counts.
    bounds_x, bounds_y : array_like
        ``m x (Kx+1)`` and ``m x (Ky+1)`` fixed boundaries (see
        :func:`threshold_bounds`).
    start : array_like, optional
        ``m`` starting values (default: the Pearson correlation of the
        category ranks of each table).
    tol : float, default 1e-10
        Convergence tolerance on the Newton step.
    max_iter : int, default 100
        Maximum number of Newton iterations.

    Returns
    -------
    TablesFit
        ``rho``, ``loglik``, ``converged``, ``iterations`` (length ``m``).

    Notes
    -----
    The engine behind :func:`polychoric`: safeguarded Newton on
    :math:`\\ell(\\rho) = \\sum_{ab} w_{ab}\\log P_{ab}(\\rho)` vectorised over
    tables (observed second derivative when negative, Fisher scoring
    otherwise, step halving, iterates kept inside (-1, 1)).

    Examples
    --------
    >>> tab = np.array([[[40., 10.], [10., 40.]]])
    >>> b = threshold_bounds([[0.0]])
    >>> round(float(fit_polychoric_tables(tab, b, b).rho[0]), 6)  # cos(pi * 0.2)
    0.809017
    """
    w = np.asarray(tables, dtype=float)
    bx, by = np.asarray(bounds_x, dtype=float), np.asarray(bounds_y, dtype=float)
    r0 = _start_values(w) if start is None else np.asarray(start, dtype=float)
    return TablesFit(*_fit_rho(w, bx, by, r0, tol=tol, max_iter=max_iter))


# --------------------------------------------------------------------------------------
# One pair
# --------------------------------------------------------------------------------------
def _paired_vectors(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Two equally long 1-d float vectors without infinite values (NaN = missing)."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise DataError(f"x and y must have the same length; got {x.size} and {y.size}")
    for name, v in (("x", x), ("y", y)):
        if np.isinf(v).any():
            pos = int(np.flatnonzero(np.isinf(v))[0]) + 1
            raise DataError(f"{name} holds an infinite value at position {pos}; use NaN for a missing value")
    return x, y


def polychoric_pair(x, y, tau_x=None, tau_y=None, correct: float = 0.0) -> PolychoricPair:
    """ML polychoric correlation of one pair with thresholds held fixed.

    Parameters
    ----------
    x, y : array_like
        1-d ordinal responses of equal length; NaN = missing. Only the
        complete pairs enter the contingency table.
    tau_x, tau_y : array_like, optional
        Fixed thresholds (lengths ``Kx-1`` and ``Ky-1`` for the observed
        categories of ``x`` and ``y``). Default: :func:`univariate_thresholds`
        of all available values of each variable (lavaan's two-step).
    correct : float, default 0
        Value added to each empty cell of the table before the likelihood is
        maximised (0 = none, as lavaan does for tables larger than 2 x 2).

    Returns
    -------
    PolychoricPair
        ``rho``, ``loglik``, ``n``, ``table``, ``tau_x``, ``tau_y``,
        ``iterations``, ``converged``.

    Raises
    ------
    DataError
        If ``x`` and ``y`` differ in length, a value is infinite, a variable
        has fewer than two categories, or a threshold vector has the wrong length.

    Notes
    -----
    Maximises :math:`\\ell(\\rho) = \\sum_{ab} n_{ab}\\log P_{ab}(\\rho)` (see
    :func:`cell_probabilities`) by safeguarded Newton iterations using
    :math:`\\partial P/\\partial\\rho` (differences of :math:`\\phi_2`) and
    :math:`\\partial^2 P/\\partial\\rho^2`, to ``|step| < 1e-10``.

    Matches ``lavaan::lavCor(data.frame(x, y), ordered=c("x", "y"))`` and, with
    ``psych`` global thresholds, ``psych::polychoric(cbind(x, y))$rho``.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric
    correlation coefficient. *Psychometrika*, 44, 443-460.
    https://doi.org/10.1007/BF02296207

    Examples
    --------
    >>> x = [1, 1, 2, 2, 3, 3, 1, 2, 3, 3]
    >>> y = [1, 2, 2, 2, 3, 3, 1, 1, 2, 3]
    >>> round(polychoric_pair(x, y).rho, 4)  # polycor::polychor(x, y): 0.9007671
    0.9008
    """
    x, y = _paired_vectors(x, y)
    cx, catx = ordinal_codes(x)
    cy, caty = ordinal_codes(y)
    tx = univariate_thresholds(x) if tau_x is None else np.asarray(tau_x, dtype=float).ravel()
    ty = univariate_thresholds(y) if tau_y is None else np.asarray(tau_y, dtype=float).ravel()
    if len(tx) != len(catx) - 1 or len(ty) != len(caty) - 1:
        raise DataError(f"threshold vectors must have K-1 entries for the observed categories: x has "
                        f"{len(catx)} categories and {len(tx)} thresholds, y has {len(caty)} and {len(ty)}")
    ok = (cx >= 0) & (cy >= 0)
    kx, ky = len(catx), len(caty)
    table = np.bincount(cx[ok] * ky + cy[ok], minlength=kx * ky).reshape(kx, ky).astype(float)
    n = int(ok.sum())
    if correct > 0:
        table = np.where(table == 0, float(correct), table)
    if n == 0:
        return PolychoricPair(np.nan, np.nan, 0, table, tx, ty, 0, False)
    w = table[None]
    rho, ll, conv, it = _fit_rho(w, _bounds(tx)[None], _bounds(ty)[None], _start_values(w))
    return PolychoricPair(float(rho[0]), float(ll[0]), n, table, tx, ty, int(it[0]), bool(conv[0]))


def threshold_scores(x, tau) -> np.ndarray:
    """Per-case score contributions of the univariate threshold likelihood.

    Parameters
    ----------
    x : array_like
        1-d ordinal responses (NaN = missing), coded as in :func:`ordinal_codes`.
    tau : array_like
        The item's ``K-1`` thresholds.

    Returns
    -------
    numpy.ndarray
        ``n x (K-1)``: for a case in category ``a`` (0-based),
        :math:`\\partial\\log p_a/\\partial\\tau_c = [\\phi(\\tau_c)\\,\\mathbb 1(c = a)
        - \\phi(\\tau_c)\\,\\mathbb 1(c = a - 1)]/p_a` with
        :math:`p_a = \\Phi(\\tau_{a}) - \\Phi(\\tau_{a-1})`; rows of missing cases are 0.

    Notes
    -----
    At the ML thresholds (:func:`univariate_thresholds`) every column sums to 0.

    Examples
    --------
    >>> x = [1, 1, 2, 2, 2, 3, np.nan]
    >>> bool(np.allclose(threshold_scores(x, univariate_thresholds(x)).sum(axis=0), 0))
    True
    """
    codes, _ = ordinal_codes(x)
    t = np.atleast_1d(np.asarray(tau, dtype=float))
    b = _bounds(t)
    pc = ndtr(b[1:]) - ndtr(b[:-1])
    phi = np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)
    out = np.zeros((codes.size, t.size))
    ok = codes >= 0
    rows, a = np.flatnonzero(ok), codes[ok]
    up = a < t.size
    out[rows[up], a[up]] += phi[a[up]] / pc[a[up]]
    lo = a > 0
    out[rows[lo], a[lo] - 1] -= phi[a[lo] - 1] / pc[a[lo]]
    return out


def pair_scores(x, y, tau_x, tau_y, rho: float) -> np.ndarray:
    """Per-case score contributions of a bivariate ordinal pair.

    Parameters
    ----------
    x, y : array_like
        1-d ordinal responses (NaN = missing), coded as in :func:`ordinal_codes`.
    tau_x, tau_y : array_like
        Thresholds of ``x`` (``Kx-1``) and ``y`` (``Ky-1``).
    rho : float
        Polychoric correlation.

    Returns
    -------
    numpy.ndarray
        ``n x (1 + (Kx-1) + (Ky-1))``: for each case in cell ``(a, b)``,
        :math:`\\partial\\log P_{ab}/\\partial\\rho`, then
        :math:`\\partial\\log P_{ab}/\\partial\\tau_{x,c}` and
        :math:`\\partial\\log P_{ab}/\\partial\\tau_{y,c}`. Rows of incomplete
        cases are 0 (they do not contribute to the pairwise likelihood).

    Notes
    -----
    These are the bivariate building blocks of the WLSMV weight matrix
    (Muthén, 1984; lavaan's ``lav_bvord_cor_scores``).

    Examples
    --------
    >>> s = pair_scores([1, 2, 2, 1], [1, 2, 1, 2], [0.0], [0.0], 0.0)
    >>> s.shape
    (4, 3)
    """
    cx, _ = ordinal_codes(x)
    cy, _ = ordinal_codes(y)
    tx = np.atleast_1d(np.asarray(tau_x, dtype=float))
    ty = np.atleast_1d(np.asarray(tau_y, dtype=float))
    p = cell_probabilities(tx, ty, rho)
    d_rho, d_tx, d_ty = cell_probability_derivatives(tx, ty, rho)
    ok = (cx >= 0) & (cy >= 0)
    a, b = np.where(ok, cx, 0), np.where(ok, cy, 0)
    pc = p[a, b]
    out = np.column_stack([d_rho[a, b] / pc, (d_tx[:, a, b] / pc).T, (d_ty[:, a, b] / pc).T])
    out[~ok] = 0.0
    return out


# --------------------------------------------------------------------------------------
# Smoothing
# --------------------------------------------------------------------------------------
def cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """Eigenvalue smoothing of a non-positive-definite correlation matrix.

    Parameters
    ----------
    r : numpy.ndarray
        Symmetric correlation matrix.
    eig_tol : float, default 1e-12
        Eigenvalues below this are replaced by ``100 * eig_tol``.

    Returns
    -------
    smoothed : numpy.ndarray
        The smoothed matrix (``r`` unchanged when already positive definite).
    changed : bool
        True when smoothing was applied.

    Notes
    -----
    psych's ``cor.smooth``: if the smallest eigenvalue is below machine
    epsilon, eigenvalues below ``eig_tol`` become ``100 * eig_tol``, all
    eigenvalues are rescaled to sum to ``p``, the matrix is rebuilt as
    :math:`V \\Lambda V'` and rescaled to unit diagonal (``cov2cor``).
    Matches ``psych::cor.smooth(r)``.

    References
    ----------
    Wothke, W. (1993). Nonpositive definite matrices in structural modeling.
    In K. A. Bollen & J. S. Long (Eds.), *Testing structural equation models*
    (pp. 256-293). Sage.

    Examples
    --------
    >>> r = np.array([[1, .9, .9], [.9, 1, -.9], [.9, -.9, 1]])
    >>> s, changed = cor_smooth(r)
    >>> changed, bool(np.linalg.eigvalsh(s).min() > 0)
    (True, True)
    """
    r = np.asarray(r, dtype=float)
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= np.finfo(float).eps:
        return r, False
    vals = np.where(vals < eig_tol, 100.0 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    s = (vecs * vals) @ vecs.T
    d = 1.0 / np.sqrt(np.diag(s))
    s = s * d[:, None] * d[None, :]
    return (s + s.T) / 2.0, True


# --------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------
def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise DataError(f"polychoric needs a 2-d table of items (rows = respondents); got {arr.ndim} dimension(s)")
    return pd.DataFrame(arr, columns=[f"V{i + 1}" for i in range(arr.shape[1])])


def _validate(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Numeric float matrix of the items after the checks every item must pass."""
    names = [str(c) for c in df.columns]
    if len(names) < 2:
        raise DataError(f"polychoric correlations need at least 2 items; got {len(names)} ({names})")
    # one validator for every analysis: numbers (ordered categoricals as codes 1..K), finite,
    # whole numbers; a bad cell is named by row, column and value
    x = numeric_matrix(df, context="polychoric", integer=True, ordered_categorical=True)
    return x, names


# --------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------
def polychoric(data, *, correct: float = 0.5, smooth: bool = True,
               missing: Literal["pairwise", "listwise"] = "pairwise",
               global_thresholds: bool | Literal["auto"] = "auto",
               max_categories: int = 8, zero_add_2x2: float = 0.0) -> PolychoricResult:
    """Polychoric correlation matrix by two-step maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame or array_like
        Rows = respondents, columns = ordinal items coded as integers (or
        ordered categoricals, used as codes ``1..K`` in their declared order);
        NaN = missing.
    correct : float, default 0.5
        psych's continuity correction: in the pairwise-threshold path each
        empty cell of a pair's table gets ``correct`` counts (see Notes).
        ``0`` switches it off. It has no effect with global thresholds (as in
        psych).
    smooth : bool, default True
        Smooth a non-positive-definite result with :func:`cor_smooth` (and warn).
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"``: each correlation uses the cases complete on its pair and
        thresholds use all non-missing values of each item (psych, lavaan's
        ``missing="pairwise"``). ``"listwise"``: rows with any missing value are
        dropped first.
    global_thresholds : {"auto", True, False}, default "auto"
        ``True``: thresholds of each item from all its data, held fixed in
        every pair (lavaan; psych ``global=TRUE``). ``False``: thresholds from
        each pair's (corrected) table margins (psych ``global=FALSE``).
        ``"auto"``: psych's rule - global unless the items do not all have the
        same highest observed category, in which case pairwise, with a warning.
    max_categories : int, default 8
        Items with more distinct observed values raise an error (psych's
        ``max.cat``).
    zero_add_2x2 : float, default 0
        lavaan's ``zero.add[1]`` (lavaan uses 0.5): when two *binary* items
        have a 2 x 2 table with exactly one empty cell, add this to the empty
        cell and its diagonal partner and subtract it from the other two cells
        (the margins stay the same) before estimating rho. Only used with
        global thresholds. psych does not do this (default 0).

    Returns
    -------
    PolychoricResult
        ``corr`` (items x items DataFrame), ``thresholds`` (item -> finite
        thresholds), ``categories``, ``n_pairs`` (items x items complete-case
        counts), ``smoothed`` (bool), ``warnings`` (list of str),
        ``raw_corr`` (before smoothing), ``global_thresholds`` (bool used),
        ``converged`` (items x items bool).

    Raises
    ------
    DataError
        Fewer than 2 items; a non-numeric column, a non-integer or infinite
        value (names the column, row and value); an item with no observed
        value, a constant item (a single observed category) or more than
        ``max_categories`` categories; no complete rows with
        ``missing="listwise"``; unknown option values.

    Warns
    -----
    PolychoricWarning
        Smoothing applied; a pair without complete cases (NaN, smoothing off);
        psych's switch to pairwise thresholds; zero cells corrected; rows with
        no responses; a pair that did not converge; a correlation at the
        boundary: ``|rho| > 0.999`` (lavaan's bound) or a likelihood as high
        at :math:`\\pm 1` as at the estimate (e.g. a 2 x 2 table with one empty
        cell, where the supremum is at the boundary and the likelihood is
        flat, so psych, polycor and qimscale stop at different values). Each message is also in ``result.warnings``.

    Notes
    -----
    Model: item :math:`x_j` is a discretised standard normal :math:`z_j`,
    :math:`x_j = c \\iff \\tau_{j,c-1} < z_j \\le \\tau_{j,c}`. Step 1:
    :math:`\\tau_{j,c} = \\Phi^{-1}(\\text{cumulative proportion of categories}
    \\le c)` from all non-missing responses to item ``j``. Step 2: for each pair,
    with thresholds fixed, :math:`\\rho` maximises
    :math:`\\sum_{ab} n_{ab}\\log P_{ab}(\\rho)` over the pair's complete cases
    (:func:`cell_probabilities`). All pairs are solved at once with vectorised
    safeguarded Newton iterations (tolerance 1e-10 on :math:`\\rho`); psych uses
    ``optimize`` with tolerance ~1.2e-4 and ``sadmvn`` cell probabilities, so
    expect agreement with psych to about 1e-4 and with lavaan to about 1e-6.

    psych conventions followed (psych 2.2.9, ``polychoric``/``polyc``):

    * Contingency tables contain the pairwise complete cases; thresholds use
      every non-missing response of the item ("global" thresholds).
    * With global thresholds psych ignores ``correct``: empty cells simply
      contribute nothing to the likelihood. qimscale does the same.
    * If the items do not share the same maximum observed value, psych warns
      "The items do not have an equal number of response alternatives, global
      set to FALSE" and switches to pairwise thresholds (``"auto"`` here).
    * Pairwise thresholds: rows/columns of the pair's table that are all zero
      are dropped; every remaining empty cell is set to ``correct`` counts;
      thresholds are :math:`\\Phi^{-1}` of the cumulative *corrected* margins
      divided by the *uncorrected* number of pairs (psych divides by the
      original total and does not renormalise). A pair whose trimmed table
      has fewer than 2 rows or columns gets NaN.
    * Smoothing (``cor.smooth``): applied when the smallest eigenvalue is below
      machine epsilon; skipped (with a message) if any correlation is NaN.
    * psych deletes constant items with a message; qimscale raises
      :class:`~qimscale.errors.DataError` instead so the caller decides.
    * psych's ``max.cat`` counts the global range of values; qimscale counts
      each item's distinct observed values.

    To reproduce ``lavaan::lavCor(x, ordered=names(x), missing="pairwise")``
    use ``correct=0, global_thresholds=True`` (lavaan never uses pairwise
    thresholds and, for tables larger than 2 x 2, adds nothing to empty cells);
    for binary items also pass ``zero_add_2x2=0.5`` (lavaan's 2 x 2 rule).
    lavaan returns exactly +-1 for a 2 x 2 table with two empty cells and
    bounds rho to [-0.999, 0.999] elsewhere; qimscale returns the unbounded
    ML estimate, which approaches +-1 on such tables, with a boundary warning.

    Matches ``psych::polychoric(x)`` (``$rho``, ``$tau``).

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric
    correlation coefficient. *Psychometrika*, 44, 443-460.
    https://doi.org/10.1007/BF02296207

    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric,
    and Personality Research* (R package 2.2.9). https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0, 0], [[1, .5, .4], [.5, 1, .3], [.4, .3, 1]], size=400)
    >>> x = pd.DataFrame(np.digitize(z, [-1, 0, 1]) + 1, columns=["a", "b", "c"])
    >>> res = polychoric(x)
    >>> res.corr.round(2)
          a     b     c
    a  1.00  0.51  0.42
    b  0.51  1.00  0.28
    c  0.42  0.28  1.00
    """
    check_option("missing", missing, ("pairwise", "listwise"), "polychoric", error=DataError)
    check_option("global_thresholds", global_thresholds, (True, False, "auto"), "polychoric", error=DataError)
    if isinstance(max_categories, bool) or not isinstance(max_categories, (int, np.integer)) or max_categories < 2:
        raise DataError(f"The 'max_categories' parameter of polychoric must be an integer >= 2. "
                        f"Got {max_categories!r} instead.")
    if not np.isfinite(zero_add_2x2) or zero_add_2x2 < 0:
        raise DataError(f"The 'zero_add_2x2' parameter of polychoric must be >= 0. Got {zero_add_2x2!r} instead.")
    if not np.isfinite(correct) or correct < 0:
        raise DataError(f"The 'correct' parameter of polychoric must be >= 0. Got {correct!r} instead.")
    df = _as_frame(data)
    x, names = _validate(df)
    msgs: list[str] = []

    def warn(msg: str) -> None:
        msgs.append(msg)
        _warnings.warn(msg, PolychoricWarning, stacklevel=3)

    empty_rows = np.isnan(x).all(axis=1)
    if empty_rows.any():
        warn(f"{int(empty_rows.sum())} row(s) have no responses at all and contribute nothing "
             f"(first: row {df.index[np.flatnonzero(empty_rows)[0]]!r})")
    if missing == "listwise":
        keep = ~np.isnan(x).any(axis=1)
        if not keep.any():
            raise DataError("no row is complete on all items, so listwise deletion leaves no data; "
                            "use missing='pairwise'")
        x = x[keep]
    n, p = x.shape

    # ---- step 1: codes and thresholds of each item
    codes = np.empty((n, p), dtype=np.int64)
    cats: list[np.ndarray] = []
    for j in range(p):
        codes[:, j], c = ordinal_codes(x[:, j])
        if len(c) == 0:
            raise DataError(f"item '{names[j]}' has no observed responses; remove it from the analysis")
        if len(c) == 1:
            raise DataError(f"item '{names[j]}' is constant (every response is {c[0]:g}), so its polychoric "
                            f"correlations are undefined; remove it from the analysis")
        if len(c) > max_categories:
            raise DataError(f"item '{names[j]}' has {len(c)} distinct values (more than max_categories="
                            f"{max_categories}); treat it as continuous (Pearson) or raise max_categories")
        cats.append(c)
    ks = np.array([len(c) for c in cats])
    kmax = int(ks.max())
    counts = np.zeros((p, kmax))
    for j in range(p):
        counts[j, :ks[j]] = np.bincount(codes[codes[:, j] >= 0, j], minlength=ks[j])
    taus = {names[j]: _thresholds_from_counts(counts[j, :ks[j]]) for j in range(p)}

    use_global = global_thresholds is True
    if global_thresholds == "auto":
        maxima = np.array([c[-1] for c in cats])
        use_global = bool(maxima.min() == maxima.max())
        if not use_global:
            warn("The items do not have an equal number of response alternatives (highest observed "
                 "categories differ), so thresholds were estimated pairwise as psych does "
                 "(global=FALSE); pass global_thresholds=True to keep each item's own thresholds")

    # ---- all pairwise tables at once (pairwise complete cases)
    iu, ju = np.triu_indices(p, 1)
    tables = _pair_tables(codes, iu, ju, kmax)  # (m, kmax, kmax)
    npair = tables.sum(axis=(1, 2))

    # ---- boundaries per pair
    bnd = np.full((p, kmax + 1), np.inf)
    bnd[:, 0] = -np.inf
    for j in range(p):
        bnd[j, 1:ks[j]] = taus[names[j]]
    m = len(iu)
    rho = np.full(m, np.nan)
    conv = np.zeros(m, dtype=bool)
    if use_global:
        w = tables
        bx, by = bnd[iu], bnd[ju]
        fit = npair > 0
        if zero_add_2x2 > 0:
            w = _zero_add_2x2(tables, (ks[iu] == 2) & (ks[ju] == 2), zero_add_2x2)
    else:
        w, bx, by, fit, n_fixed = _pairwise_setup(tables, npair, correct)
        if n_fixed and correct > 0:
            warn(f"{n_fixed} pair table(s) had empty cells that were set to {correct:g} counts (psych's "
                 f"correction for continuity); examine sparse categories carefully")
    at_edge = np.zeros(m, dtype=bool)
    if fit.any():
        r, ll_hat, c, _ = _fit_rho(w[fit], bx[fit], by[fit], _start_values(w[fit]))
        rho[fit], conv[fit] = r, c
        # is the likelihood as high at rho = +-1 (supremum on the boundary, flat tail)?
        edge = np.where(r < 0, -1.0, 1.0)
        ll_edge = _loglik(w[fit], _grid_terms(bx[fit], by[fit], edge, 0)[0])
        at_edge[fit] = (np.abs(r) > 0.999) | (ll_edge >= ll_hat - 1e-9 * np.maximum(1.0, np.abs(ll_hat)))
    for k in np.flatnonzero(fit & ~conv):
        warn(f"the polychoric correlation of '{names[iu[k]]}' and '{names[ju[k]]}' did not converge "
             f"(last value {rho[k]:.4f})")
    for k in np.flatnonzero(at_edge):
        warn(f"the polychoric correlation of '{names[iu[k]]}' and '{names[ju[k]]}' is at the boundary "
             f"({rho[k]:.4f}; the likelihood is as high at {np.sign(rho[k]):+.0f}): their table has (almost) "
             f"no responses off one diagonal, e.g. a 2 x 2 table with an empty cell, so the value is not "
             f"well determined and psych, polycor and lavaan differ; collapse sparse categories, merge the "
             f"items, or for binary items use zero_add_2x2=0.5 (lavaan's rule)")
    for k in np.flatnonzero(~fit & (npair > 0)):
        warn(f"items '{names[iu[k]]}' and '{names[ju[k]]}': with pairwise thresholds their table keeps fewer "
             f"than 2 non-empty rows or columns (or its corrected margins exceed 1), so their correlation "
             f"is NaN as in psych; use global_thresholds=True")
    for k in np.flatnonzero(npair == 0):
        warn(f"items '{names[iu[k]]}' and '{names[ju[k]]}' have no complete pairs; their correlation is NaN")

    mat = np.eye(p)
    mat[iu, ju] = mat[ju, iu] = rho
    raw = mat.copy()
    smoothed = False
    if smooth:
        if np.isnan(mat).any():
            warn("some correlations are missing (NaN), so smoothing was turned off")
        else:
            mat, smoothed = cor_smooth(mat)
            if smoothed:
                warn("Matrix was not positive definite, smoothing was done (psych::cor.smooth); "
                     "inspect sparse items or use a larger sample")
    npm = np.diag((codes >= 0).sum(axis=0).astype(float))
    npm[iu, ju] = npm[ju, iu] = npair
    convm = np.ones((p, p), dtype=bool)
    convm[iu, ju] = convm[ju, iu] = conv | (npair == 0)
    frame = lambda a: pd.DataFrame(a, index=names, columns=names)  # noqa: E731
    return PolychoricResult(
        corr=frame(mat), thresholds=taus, categories={names[j]: cats[j] for j in range(p)},
        n_pairs=frame(npm.astype(np.int64)), smoothed=smoothed, warnings=msgs, raw_corr=frame(raw),
        global_thresholds=use_global, converged=frame(convm))


def _pair_tables(codes: np.ndarray, iu: np.ndarray, ju: np.ndarray, k: int) -> np.ndarray:
    """Contingency tables of the pairs (iu, ju) from codes (n x p, -1 = missing), via bincount.

    Missing is mapped to an extra category ``k`` whose row and column are
    dropped afterwards, so one ``np.bincount`` per chunk of pairs counts the
    pairwise complete cases (no BLAS, so timing does not depend on threads).
    """
    n = codes.shape[0]
    m = len(iu)
    k1 = k + 1
    ct = np.where(codes >= 0, codes, k).T.astype(np.int64, order="C")  # (p, n), rows contiguous
    out = np.empty((m, k, k))
    chunk = max(1, 4_000_000 // max(n, 1))
    for start in range(0, m, chunk):
        ii, jj = iu[start:start + chunk], ju[start:start + chunk]
        cell = ct[ii] * k1 + ct[jj] + (np.arange(len(ii)) * (k1 * k1))[:, None]
        counts = np.bincount(cell.ravel(), minlength=len(ii) * k1 * k1).reshape(len(ii), k1, k1)
        out[start:start + len(ii)] = counts[:, :k, :k]
    return out


def _zero_add_2x2(tables: np.ndarray, binary: np.ndarray, add: float) -> np.ndarray:
    """lavaan's rule for a 2 x 2 table with one empty cell: shift ``add`` along the diagonals."""
    w = tables.copy()
    t = w[:, :2, :2]
    one_zero = binary & ((t == 0).sum(axis=(1, 2)) == 1)
    diag_zero = one_zero & ((t[:, 0, 0] == 0) | (t[:, 1, 1] == 0))
    sign = np.where(diag_zero, 1.0, -1.0)[:, None, None] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    w[:, :2, :2] = np.where(one_zero[:, None, None], t + add * sign, t)
    return w


def _pairwise_setup(tables: np.ndarray, npair: np.ndarray, correct: float):
    """psych's global=FALSE path for every pair: trim, correct, pairwise thresholds."""
    m, kx, ky = tables.shape
    rowsum = tables.sum(axis=2)
    colsum = tables.sum(axis=1)
    live_r = rowsum > 0
    live_c = colsum > 0
    live = live_r[:, :, None] & live_c[:, None, :]
    w = tables.copy()
    fixed = np.zeros(m, dtype=bool)
    if correct > 0:
        zero = live & (w == 0)
        fixed = zero.any(axis=(1, 2))
        w[zero] = correct
    fit = (live_r.sum(axis=1) >= 2) & (live_c.sum(axis=1) >= 2) & (npair > 0)
    tot = np.where(npair > 0, npair, 1.0)[:, None]

    def bounds(margin: np.ndarray, live_m: np.ndarray) -> np.ndarray:
        k = margin.shape[1]
        cum = np.cumsum(margin, axis=1)[:, :-1] / tot
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ndtri(cum)
        # boundary u sits between categories u-1 and u: +inf when no live category lies above
        above = np.flip(np.cumsum(np.flip(live_m, axis=1), axis=1), axis=1)[:, 1:] > 0
        below = np.cumsum(live_m, axis=1)[:, :-1] > 0
        t = np.where(~above, np.inf, np.where(~below, -np.inf, t))
        out = np.empty((margin.shape[0], k + 1))
        out[:, 0], out[:, -1], out[:, 1:-1] = -np.inf, np.inf, t
        return out

    bx = bounds(w.sum(axis=2), live_r)
    by = bounds(w.sum(axis=1), live_c)
    bad = np.isnan(bx).any(axis=1) | np.isnan(by).any(axis=1)
    fit &= ~bad
    return w, bx, by, fit, int(fixed.sum())


# --------------------------------------------------------------------------------------
# Polyserial
# --------------------------------------------------------------------------------------
def polyserial(x, y, *, ml: bool = False) -> float:
    """Polyserial correlation of a continuous and an ordinal variable.

    Parameters
    ----------
    x : array_like
        Continuous variable (NaN = missing).
    y : array_like
        Ordinal variable (NaN = missing).
    ml : bool, default False
        ``False``: polycor's default two-step "ad hoc" estimator (Olsson,
        Drasgow & Dorans, 1982, eq. 20). ``True``: two-step maximum likelihood
        with the thresholds fixed at their marginal estimates.

    Returns
    -------
    float
        The polyserial correlation :math:`\\rho`.

    Raises
    ------
    DataError
        If lengths differ, a value is infinite, fewer than 3 complete cases,
        ``x`` is constant or ``y`` has fewer than 2 observed categories.

    Notes
    -----
    Complete cases only. Thresholds :math:`\\tau_c = \\Phi^{-1}(\\text{cumulative
    proportion of } y \\le c)`. With ``y`` recoded to ranks ``1..K``:

    * ad hoc: :math:`\\hat\\rho = r_{xy}\\, s_y \\sqrt{(n-1)/n} \\,/\\, \\sum_c \\phi(\\tau_c)`
      (:math:`r_{xy}` Pearson, :math:`s_y` the ``n-1`` standard deviation of
      the ranks), exactly as ``polycor::polyserial(x, y)``;
    * ML: :math:`z = (x - \\bar x)/s_x` (``n-1`` SD, R's ``scale``) and
      :math:`\\rho` maximises :math:`\\sum_i \\log[\\Phi(\\tau^*_{y_i}) -
      \\Phi(\\tau^*_{y_i-1})]`, :math:`\\tau^*_c = (\\tau_c - \\rho z_i)/\\sqrt{1-\\rho^2}`,
      as ``polycor::polyserial(x, y, std.err=TRUE)$rho`` (which optimises
      ``rho`` with the thresholds fixed).

    Matches ``polycor::polyserial(x, y)`` (``ml=False``) and
    ``polycor::polyserial(x, y, std.err=TRUE)$rho`` (``ml=True``).

    References
    ----------
    Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial
    correlation coefficient. *Psychometrika*, 47, 337-347.
    https://doi.org/10.1007/BF02294164

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=2000)
    >>> y = np.digitize(z[:, 1], [-.5, .5])
    >>> round(polyserial(z[:, 0], y), 1), round(polyserial(z[:, 0], y, ml=True), 1)
    (0.6, 0.6)
    """
    from scipy.optimize import minimize_scalar

    x, y = _paired_vectors(x, y)
    ok = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[ok], y[ok]
    if x.size < 3:
        raise DataError(f"polyserial needs at least 3 complete cases; got {x.size}")
    sd = x.std(ddof=1)
    if sd == 0:
        raise DataError("the continuous variable is constant; the polyserial correlation is undefined")
    codes, cats = ordinal_codes(y)
    if len(cats) < 2:
        raise DataError(f"the ordinal variable has a single observed category ({cats.tolist()}); "
                        f"the polyserial correlation is undefined")
    tau = univariate_thresholds(y)
    n = x.size
    if not ml:
        ranks = codes.astype(float)
        r_xy = np.corrcoef(x, ranks)[0, 1]
        phi = np.exp(-0.5 * tau * tau) / np.sqrt(2.0 * np.pi)
        return float(np.sqrt((n - 1) / n) * ranks.std(ddof=1) * r_xy / phi.sum())
    z = (x - x.mean()) / sd
    b = _bounds(tau)
    lo, hi = b[codes], b[codes + 1]

    def nll(r: float) -> float:
        s = np.sqrt(1.0 - r * r)
        pr = ndtr((hi - r * z) / s) - ndtr((lo - r * z) / s)
        return -np.sum(np.log(np.maximum(pr, 1e-300)))

    res = minimize_scalar(nll, bounds=(-_RHO_MAX, _RHO_MAX), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    return float(res.x)
