"""Multiple-testing adjustment of p-values (R's ``p.adjust``)."""

from __future__ import annotations

import numpy as np

from qimscale.errors import DataError

__all__ = ["ADJUST_METHODS", "p_adjust"]


ADJUST_METHODS = ("holm", "fdr_bh", "bonferroni", "none")


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
