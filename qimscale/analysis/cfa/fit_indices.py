"""Fit indices from test statistics, shared by the ML/MLR/FIML and the WLSMV results.

Each function is one of lavaan's formulas (``lav_fit_cfi``, ``lav_fit_rmsea``,
``lav_fit_rmsea_ci``, ``lav_fit_rmsea_closefit``). ``c`` and ``cb`` are the
scaling factors of the user and baseline statistics for the *robust* indices
(Brosseau-Liard & Savalei 2014, doi:10.1080/00273171.2014.933697;
Brosseau-Liard, Savalei & Li 2012, doi:10.1080/00273171.2012.715252); with
the defaults (1) the indices are the standard ones.
"""

from __future__ import annotations

import math

import numpy as np

from qimscale._core.distributions import brentq, chi2_cdf, ncx2_cdf, ncx2_sf

__all__ = ["cfi", "tli", "rmsea", "rmsea_ci", "rmsea_close"]


def cfi(X2, df, X2b, dfb, c=1.0, cb=1.0) -> float:
    """Comparative fit index, as ``lavaan::fitMeasures(fit, "cfi")``.

    Notes
    -----
    :math:`1 - \\max(X^2 - c\\,df, 0) / \\max(X^2 - c\\,df, X^2_b - c_b df_b, 0)`,
    and 1 when numerator and denominator are both 0 (within 1.5e-8, R's
    ``all.equal``).

    Examples
    --------
    >>> round(cfi(30.0, 10, 500.0, 15), 4)
    0.9588
    """
    t1 = max(X2 - c * df, 0.0)
    t2 = max(X2 - c * df, X2b - cb * dfb, 0.0)
    if abs(t1) < 1.5e-8 and abs(t2) < 1.5e-8:
        return 1.0
    return 1 - t1 / t2


def tli(X2, df, X2b, dfb, c=1.0, cb=1.0) -> float:
    """Tucker–Lewis index, as ``lavaan::fitMeasures(fit, "tli")``.

    Notes
    -----
    :math:`1 - (X^2 - c\\,df)\\,df_b / ((X^2_b - c_b df_b)\\,df)`; 1 for
    ``df = 0``.

    Examples
    --------
    >>> round(tli(30.0, 10, 500.0, 15), 4)
    0.938
    """
    t1 = (X2 - c * df) * dfb
    t2 = (X2b - cb * dfb) * df
    if df > 0 and abs(t2) > 0:
        return 1 - t1 / t2
    return 1.0


def rmsea(X2, df, N, G=1, c=1.0) -> float:
    """Root mean square error of approximation, as ``lavaan::fitMeasures(fit, "rmsea")``.

    Notes
    -----
    :math:`\\sqrt{G}\\sqrt{\\max(X^2/(N\\,df) - c/N, 0)}`; 0 for ``df = 0``.

    Examples
    --------
    >>> round(rmsea(30.0, 10, 300), 4)
    0.0816
    """
    if df <= 0:
        return 0.0
    return math.sqrt(max(X2 / N / df - c / N, 0.0)) * math.sqrt(G)


def rmsea_ci(X2, df, N, G=1, c_hat=1.0, level=0.90):
    """Lower and upper RMSEA confidence limits (lavaan's ``lav_fit_rmsea_ci``).

    Notes
    -----
    The limits invert the non-central :math:`\\chi^2` distribution: the
    non-centrality :math:`\\lambda` with :math:`F(X^2; df, \\lambda)` equal to
    :math:`(1 \\pm \\text{level})/2` gives :math:`\\sqrt{G\\,c\\,\\lambda/(N\\,df)}`.
    Both limits are 0 when ``df < 1`` (a saturated model); NaN when ``X2``
    or ``df`` is not finite.

    Examples
    --------
    >>> [round(v, 4) for v in rmsea_ci(30.0, 10, 300)]
    [0.049, 0.1161]
    """
    if not (np.isfinite(X2) and np.isfinite(df)):
        return math.nan, math.nan
    if df < 1:  # saturated model: both limits 0, as lavaan
        return 0.0, 0.0
    up, lo = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam):
        return ncx2_cdf(X2, df, lam) if lam > 0 else chi2_cdf(X2, df)

    if cdf(0) - up < 0:
        lower = 0.0
    else:
        lam = brentq(lambda x: cdf(x) - up, 0, X2, xtol=1e-12)
        lower = math.sqrt(c_hat * lam / (N * df)) * math.sqrt(G)
    nr = max(N, X2 * 4)
    if cdf(nr) - lo > 0 or cdf(0) - lo < 0:
        upper = 0.0
    else:
        lam = brentq(lambda x: cdf(x) - lo, 0, nr, xtol=1e-12)
        upper = math.sqrt(c_hat * lam / (N * df)) * math.sqrt(G)
    return lower, upper


def rmsea_close(X2, df, N, G, c_hat, h0) -> float:
    """P(chi2 >= X2) under RMSEA = h0 (lavaan's ``lav_fit_rmsea_closefit``).

    Examples
    --------
    >>> round(rmsea_close(30.0, 10, 300, 1, 1.0, 0.05), 4)
    0.0547
    """
    if not df > 0:
        return math.nan
    return float(ncx2_sf(X2, df, N * df / c_hat * h0 ** 2 / G))
