"""One pair: the ML polychoric correlation with thresholds fixed, and per-case scores (for WLSMV weights)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from qimscale.analysis.polychoric.cells import _bounds, cell_probabilities, cell_probability_derivatives
from qimscale.analysis.polychoric.engine import _fit_rho, _start_values
from qimscale.analysis.polychoric.thresholds import ordinal_codes, univariate_thresholds
from qimscale.errors import DataError

__all__ = ["PolychoricPair", "polychoric_pair", "pair_scores", "threshold_scores"]


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
