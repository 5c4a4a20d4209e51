"""The few distribution functions the analyses need, without importing ``scipy.stats``.

``import scipy.stats`` costs about 0.3-0.5 s of every command's start-up; the
functions here call the same ``scipy.special`` routines that ``scipy.stats``
calls for these distributions (so the numbers are identical), with the same
answers at the edges: ``NaN`` for an invalid parameter or a NaN argument, and
the limits outside the support (``chi2_sf(-1, 3) == 1``). Each accepts scalars
or arrays and returns a float for scalar input.

=================================  =====================================
here                               scipy.stats
=================================  =====================================
``norm_cdf(x)``, ``norm_sf(x)``    ``norm.cdf``, ``norm.sf``
``norm_ppf(q)``                    ``norm.ppf``
``chi2_cdf(x, df)``, ``chi2_sf``   ``chi2.cdf``, ``chi2.sf``
``chi2_ppf(q, df)``                ``chi2.ppf``
``ncx2_cdf(x, df, nc)``, ``_sf``   ``ncx2.cdf``, ``ncx2.sf``
``f_sf(x, dfn, dfd)``, ``f_ppf``   ``f.sf``, ``f.ppf``
=================================  =====================================

:func:`brentq` is Brent's (1973) root finder for a bracketed root (used for
lavaan's RMSEA confidence limits), so that ``scipy.optimize`` is not imported
either.

Examples
--------
>>> round(chi2_sf(3.84, 1), 4), round(norm_ppf(0.975), 4), chi2_sf(-1.0, 3)
(0.05, 1.96, 1.0)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special as sc

__all__ = ["norm_cdf", "norm_sf", "norm_ppf", "chi2_cdf", "chi2_sf", "chi2_ppf", "ncx2_cdf", "ncx2_sf",
           "f_sf", "f_ppf", "brentq"]


def _scalar(out):
    out = np.asarray(out, dtype=float)
    return float(out) if out.ndim == 0 else out


def _positive(*params):
    ok = True
    for p in params:
        ok = ok & (p > 0) & np.isfinite(p)
    return ok


def _on_half_line(fn, x, params_ok, below):
    """``fn(x)`` for ``0 < x < inf``; ``below`` for ``x <= 0`` and its complement at ``inf``; NaN for NaN
    ``x`` or invalid parameters (``scipy.stats``' rules at the edges of the support)."""
    if isinstance(x, (float, int)) and np.ndim(params_ok) == 0:   # the common scalar call, without array work
        if x != x or not params_ok:
            return math.nan
        if 0 < x < math.inf:
            return float(fn(float(x)))
        return 1.0 - below if x == math.inf else float(below)
    x = np.asarray(x, dtype=float)
    inside = (x > 0) & (x < np.inf)
    with np.errstate(invalid="ignore", over="ignore"):
        val = fn(np.where(inside, x, 1.0))
    out = np.where(inside, val, np.where(x == np.inf, 1.0 - below, below))
    return _scalar(np.where(np.isnan(x) | ~params_ok, np.nan, out))


def norm_cdf(x):
    """Standard normal CDF (``scipy.stats.norm.cdf``)."""
    return _scalar(sc.ndtr(np.asarray(x, dtype=float)))


def norm_sf(x):
    """Standard normal survival function (``scipy.stats.norm.sf``)."""
    return _scalar(sc.ndtr(-np.asarray(x, dtype=float)))


def norm_ppf(q):
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return _scalar(sc.ndtri(np.asarray(q, dtype=float)))


def chi2_cdf(x, df):
    """Chi-square CDF (``scipy.stats.chi2.cdf``)."""
    df = np.asarray(df, dtype=float)
    return _on_half_line(lambda v: sc.chdtr(df, v), x, df > 0, 0.0)


def chi2_sf(x, df):
    """Chi-square survival function, ``P(X > x)`` (``scipy.stats.chi2.sf``).

    >>> round(chi2_sf(10.0, 5), 6)
    0.075235
    """
    df = np.asarray(df, dtype=float)
    return _on_half_line(lambda v: sc.chdtrc(df, v), x, df > 0, 1.0)


def chi2_ppf(q, df):
    """Chi-square quantile (``scipy.stats.chi2.ppf``)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = 2 * sc.gammaincinv(df / 2, q)
    bad = ~(df > 0) | np.isnan(q) | (q < 0) | (q > 1)
    return _scalar(np.where(bad, np.nan, np.where(q == 1, np.inf, np.where(q == 0, 0.0, out))))


def _ncx2_valid(df, nc):
    return _positive(df) & (nc >= 0)


def ncx2_cdf(x, df, nc):
    """Non-central chi-square CDF (``scipy.stats.ncx2.cdf``; the central one when ``nc == 0``)."""
    df, nc = np.asarray(df, dtype=float), np.asarray(nc, dtype=float)
    if nc.ndim == 0:
        return _on_half_line((lambda v: sc.chndtr(v, df, nc)) if nc != 0 else (lambda v: sc.chdtr(df, v)), x,
                             _ncx2_valid(df, nc), 0.0)
    return _on_half_line(lambda v: np.where(nc != 0, sc.chndtr(v, df, nc), sc.chdtr(df, v)), x,
                         _ncx2_valid(df, nc), 0.0)


def ncx2_sf(x, df, nc):
    """Non-central chi-square survival function (``scipy.stats.ncx2.sf``; central when ``nc == 0``).

    >>> round(ncx2_sf(30.0, 10, 7.5), 4)
    0.0547
    """
    from scipy.special import _ufuncs  # scipy.stats.ncx2.sf calls this Boost-based ufunc

    df, nc = np.asarray(df, dtype=float), np.asarray(nc, dtype=float)
    if nc.ndim == 0:
        return _on_half_line((lambda v: _ufuncs._ncx2_sf(v, df, nc)) if nc != 0 else (lambda v: sc.chdtrc(df, v)),
                             x, _ncx2_valid(df, nc), 1.0)
    return _on_half_line(lambda v: np.where(nc != 0, _ufuncs._ncx2_sf(v, df, nc), sc.chdtrc(df, v)), x,
                         _ncx2_valid(df, nc), 1.0)


def f_sf(x, dfn, dfd):
    """F survival function (``scipy.stats.f.sf``)."""
    dfn, dfd = np.asarray(dfn, dtype=float), np.asarray(dfd, dtype=float)
    return _on_half_line(lambda v: sc.fdtrc(dfn, dfd, v), x, (dfn > 0) & (dfd > 0), 1.0)


def f_ppf(q, dfn, dfd):
    """F quantile (``scipy.stats.f.ppf``).

    >>> round(f_ppf(0.975, 99, 891), 6)
    1.319758
    """
    q, dfn, dfd = (np.asarray(v, dtype=float) for v in (q, dfn, dfd))
    with np.errstate(invalid="ignore"):
        out = sc.fdtri(dfn, dfd, q)
    bad = ~((dfn > 0) & (dfd > 0)) | np.isnan(q) | (q < 0) | (q > 1)
    return _scalar(np.where(bad, np.nan, np.where(q == 1, np.inf, np.where(q == 0, 0.0, out))))


def brentq(f, a: float, b: float, *, xtol: float = 2e-12, rtol: float = 4 * np.finfo(float).eps,
           maxiter: int = 100) -> float:
    """A root of ``f`` in ``[a, b]`` (``f(a)`` and ``f(b)`` of opposite signs) by Brent's method.

    Inverse quadratic interpolation or the secant step when it stays inside
    the bracket and shrinks it fast enough, bisection otherwise; stops when the
    bracket is below ``xtol + rtol * |x|`` (the tolerances of
    ``scipy.optimize.brentq``).

    Raises
    ------
    ValueError
        ``f(a)`` and ``f(b)`` have the same sign, or no convergence in ``maxiter`` steps.

    References
    ----------
    Brent, R. P. (1973). *Algorithms for Minimization without Derivatives*,
    chapter 4. Prentice-Hall.

    Examples
    --------
    >>> round(brentq(lambda x: x * x - 2.0, 0.0, 2.0), 12)
    1.414213562373
    """
    fa, fb = f(a), f(b)
    if fa == 0:
        return float(a)
    if fb == 0:
        return float(b)
    if (fa > 0) == (fb > 0):
        raise ValueError("f(a) and f(b) must have different signs")
    c, fc = a, fa
    d = e = b - a
    for _ in range(maxiter):
        if (fb > 0) == (fc > 0):  # keep the root between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):     # b is the best estimate so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2 * rtol * abs(b) + xtol / 2
        m = (c - b) / 2
        if abs(m) <= tol or fb == 0:
            return float(b)
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:            # secant
                p, q = 2 * m * s, 1 - s
            else:                 # inverse quadratic interpolation
                q, r = fa / fc, fb / fc
                p = s * (2 * m * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = m
        else:
            d = e = m
        a, fa = b, fb
        b = b + (d if abs(d) > tol else math.copysign(tol, m))
        fb = f(b)
    raise ValueError(f"brentq did not converge in {maxiter} iterations")
