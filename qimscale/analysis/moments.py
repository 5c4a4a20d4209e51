"""Pairwise moments shared by the scale statistics: covariances, correlations, SMCs.

Each matches its R counterpart (``cov(x, use="pairwise")``, ``cov2cor``,
``psych::smc``); reliability, omega, split-half, correlation and EFA build on
them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qimscale.errors import DataError

__all__ = ["pairwise_cov", "cov2cor", "check_pairs_defined", "smc"]


def pairwise_cov(x: np.ndarray) -> np.ndarray:
    """Covariances from pairwise-complete observations, as R's ``cov(x, use="pairwise")``.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        Scores, NaN for missing.

    Returns
    -------
    ndarray of shape (k, k)
        Each entry uses the rows answering both items (its own means); NaN
        where fewer than 2 rows do.

    Examples
    --------
    >>> pairwise_cov(np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 4.0]])).round(4)
    array([[1.6667, 1.8333],
           [1.8333, 2.3333]])
    """
    m = ~np.isnan(x)
    if m.all():
        return np.cov(x, rowvar=False)
    k = x.shape[1]
    z = np.concatenate([np.where(m, x, 0.0), m.astype(float)], axis=1)
    g = z.T @ z                          # one symmetric product holds every pairwise moment
    sab, sa, n = g[:k, :k], g[:k, k:], g[k:, k:]   # sa[j, l] = sum of x_j over rows answering j and l
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (sab - sa * sa.T / n) / (n - 1)
    c[n < 2] = np.nan
    return c


def cov2cor(c: np.ndarray) -> np.ndarray:
    """Rescale a covariance matrix to correlations (unit diagonal), as R's ``cov2cor``.

    Examples
    --------
    >>> cov2cor(np.array([[4.0, 2.0], [2.0, 9.0]])).round(4)
    array([[1.    , 0.3333],
           [0.3333, 1.    ]])
    """
    d = 1.0 / np.sqrt(np.diag(c))
    r = c * d[:, None] * d[None, :]
    np.fill_diagonal(r, 1.0)
    return r


def check_pairs_defined(c: np.ndarray, items: Sequence[str], context: str) -> None:
    """Raise if a pairwise covariance is undefined (NaN).

    Parameters
    ----------
    c : ndarray of shape (k, k)
        Output of :func:`pairwise_cov`.
    items : sequence of str
        Item names, for the message.
    context : str
        Command name that starts the message.

    Raises
    ------
    DataError
        Naming the first pair answered together by fewer than 2 respondents.
    """
    if np.isnan(c).any():
        j, l = np.argwhere(np.isnan(c))[0]
        raise DataError(f"{context}: items '{items[j]}' and '{items[l]}' are answered together by fewer "
                        "than 2 respondents, so their covariance is undefined; use more data or drop one "
                        "of them")


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of each variable on all the others.

    Matches ``psych::smc(R)`` for a complete correlation matrix: ``1 -
    1/diag(R⁺)`` with the Moore–Penrose inverse, values clamped to [0, 1].

    Parameters
    ----------
    r : ndarray of shape (k, k)
        Correlation matrix.

    Returns
    -------
    ndarray of shape (k,)
        The SMC of each variable.

    Examples
    --------
    >>> import numpy as np
    >>> smc(np.array([[1.0, 0.5], [0.5, 1.0]]))
    array([0.25, 0.25])
    """
    r = np.asarray(r, dtype=float)
    # psych::Pinv: SVD pseudo-inverse, singular values below sqrt(eps) * largest dropped
    inv = np.linalg.pinv(r, rcond=math.sqrt(np.finfo(float).eps), hermitian=True)
    out = 1.0 - 1.0 / np.diag(inv)
    return np.clip(out, 0.0, 1.0)
