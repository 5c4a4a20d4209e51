"""The vectorised ML engine: safeguarded Newton for a stack of padded contingency tables at once.

Reused by WLSMV's first stage (:mod:`qimscale.analysis.cfa.ordinal_stage1`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from qimscale.analysis.polychoric.cells import _grid_terms

__all__ = ["TablesFit", "threshold_bounds", "stacked_cell_probabilities", "fit_polychoric_tables"]

_RHO_MAX = 1.0 - 1e-10  # the search interval is [-_RHO_MAX, _RHO_MAX]


def _loglik(w: np.ndarray, p: np.ndarray) -> np.ndarray:
    pos = w > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.where(pos, np.log(np.where(pos, p, 1.0)), 0.0)
    return (w * lp).sum(axis=(1, 2))


def _fit_rho(w: np.ndarray, bx: np.ndarray, by: np.ndarray, rho0: np.ndarray,
             tol: float = 1e-10, max_iter: int = 100, rel_tol: float = 1e-10):
    """Maximise sum w log P(rho) for every pair (axis 0) simultaneously.

    Safeguarded Newton: the observed second derivative when it is negative,
    Fisher scoring otherwise, step halving until the log-likelihood does not
    decrease, and iterates kept inside (-1, 1). Each iteration needs one
    evaluation of the cell probabilities and their two rho-derivatives.

    A pair stops when its step or gradient is negligible, or after the step
    whose predicted gain ``g * step / 2`` was at most ``rel_tol * |loglik|``:
    the relative-function-convergence rule of the PORT routines behind R's
    ``nlminb`` (default ``rel.tol = 1e-10``), which lavaan uses for these
    correlations. On a well-determined likelihood that step lands within
    round-off of the maximum; on one left flat by empty cells it makes the
    reported value the one lavaan reports.
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
        last = 0.5 * g * step <= rel_tol * np.abs(ll[idx])
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
        done = last | (np.abs(step) < tol) | (np.abs(g) < 1e-10 * np.maximum(n[idx], 1.0))
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
