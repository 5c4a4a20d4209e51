"""Univariate pieces of the polychoric model: ordinal codes and ML thresholds of one item."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from qimscale.errors import DataError

__all__ = ["ordinal_codes", "univariate_thresholds"]


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
