"""Distribution function of the studentized range, as R's ``ptukey``.

Tukey HSD and Games–Howell p-values need ``P(Q > q)`` for the range of ``k``
means studentized by an independent chi-based scale estimate with ``df``
degrees of freedom. SciPy's ``studentized_range`` integrates adaptively and
takes about 15 ms per value; this module evaluates the same integral with the
fixed Gauss–Legendre scheme of Copenhaver & Holland (1988), the algorithm
behind R's ``ptukey``, vectorised over many ``(q, df)`` pairs at once.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, ndtr

__all__ = ["ptukey_sf"]

# Gauss–Legendre nodes and weights on [-1, 1], ordered from -1 to 1.
_X12, _W12 = np.polynomial.legendre.leggauss(12)
_X16, _W16 = np.polynomial.legendre.leggauss(16)

_C1, _C2, _C3 = -30.0, -50.0, 60.0
_BB = 8.0           # upper limit of the inner integral (in units of the normal)
_WLAR = 3.0         # above this range, 2 sub-intervals; else 3
_EPS1, _EPS2 = -30.0, 1e-14
_DLARG = 25000.0    # above this df the chi scale is treated as known


def _wprob(w: np.ndarray, cc: float) -> np.ndarray:
    """P(range of cc standard normals < w), for an array ``w >= 0`` (rr = 1)."""
    w = np.asarray(w, dtype=float)
    out = np.ones_like(w)
    live = 0.5 * w < _BB
    if not live.any():
        return out
    w_ = w[live]
    qs = 0.5 * w_
    pr_w = 2.0 * ndtr(qs) - 1.0
    pr_w = np.where(pr_w >= math.exp(_C2 / cc), pr_w ** cc, 0.0)
    cc1 = cc - 1.0
    thresh = math.exp(_C1 / cc1)
    einsum = np.empty_like(w_)
    # 2 sub-intervals of [w/2, 8] above w = 3, else 3; 12 Gauss-Legendre nodes in each
    for wincr in (2, 3):
        sel = (w_ > _WLAR) if wincr == 2 else (w_ <= _WLAR)
        if not sel.any():
            continue
        ws, q0 = w_[sel], qs[sel]
        binc = (_BB - q0) / wincr
        b = 0.5 * binc
        blb = q0[:, None] + np.arange(wincr, dtype=float)[None, :] * binc[:, None]
        ac = (blb + b[:, None])[:, :, None] + b[:, None, None] * _X12
        qexpo = ac * ac
        rinsum = ndtr(ac)
        rinsum -= ndtr(ac - ws[:, None, None])
        ok = (qexpo <= _C3) & (rinsum >= thresh)
        rinsum[~ok] = 0.0
        term = _W12 * np.exp(-0.5 * qexpo) * rinsum ** cc1
        einsum[sel] = (term.sum(axis=2) * ((2.0 * b * cc) / math.sqrt(2.0 * math.pi))[:, None]).sum(axis=1)
    pr_w = pr_w + einsum
    out[live] = np.where(pr_w <= math.exp(_C1), 0.0, np.minimum(pr_w, 1.0))
    return out


def ptukey_sf(q, k: int, df) -> np.ndarray:
    """Upper tail ``P(Q_{k,df} > q)`` of the studentized range.

    Parameters
    ----------
    q : float or array
        Observed studentized ranges.
    k : int
        Number of means (``nmeans``), at least 2.
    df : float or array
        Degrees of freedom of the scale estimate (broadcast against ``q``).

    Returns
    -------
    numpy.ndarray
        ``ptukey(q, k, df, lower.tail = FALSE)``.

    Notes
    -----
    ``P(Q < q) = ∫ f_chi(s; df) W(q s) ds`` with ``W`` the distribution of the
    range of ``k`` standard normals; both integrals use Gauss–Legendre
    quadrature on fixed sub-intervals (Copenhaver & Holland 1988), as R's
    ``ptukey`` does, so the values agree with R to about 1e-12.

    References
    ----------
    Copenhaver, M. D., & Holland, B. S. (1988). Computation of the distribution
    of the maximum studentized range statistic with application to multiple
    significance testing of simple effects. *Journal of Statistical Computation
    and Simulation*, 30, 1–15. https://doi.org/10.1080/00949658808811082

    Examples
    --------
    >>> round(float(ptukey_sf(3.5, 3, 50)[()]), 6)
    0.043510
    """
    q = np.asarray(q, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), q.shape)
    shape = q.shape
    q, df = q.ravel(), df.ravel().copy()
    cdf = np.zeros_like(q)
    big = df > _DLARG
    if big.any():
        cdf[big] = _wprob(q[big], float(k))
    todo = (~big) & (q > 0) & (df >= 2)
    cdf[df < 2] = np.nan  # as R: ptukey needs df >= 2
    if todo.any():
        cdf[todo] = _ptukey_cdf(q[todo], float(k), df[todo])
    cdf = np.where(np.isnan(cdf), np.nan, np.clip(cdf, 0.0, 1.0))
    return (1.0 - cdf).reshape(shape)


def _ptukey_cdf(q: np.ndarray, cc: float, df: np.ndarray) -> np.ndarray:
    # R's outer loop runs over sub-intervals i = 1..50 of the chi-scale axis with 16 nodes each and
    # keeps only nodes whose log weight t1 >= eps1. t1 is unimodal in s (mode 2 (df - 2) / df), so an
    # interval can hold such a node only if t1 at its ends (or at the mode inside it) reaches eps1;
    # only those intervals are expanded to nodes. The others contribute exactly 0, as in R, and R's
    # early stop (first interval past s = 1 whose sum is below eps2) is applied to all 50 sums.
    f2 = 0.5 * df
    ulen = np.select([df <= 100, df <= 800, df <= 5000], [1.0, 0.5, 0.25], 0.125)
    f2lf = f2 * np.log(df) - df * math.log(2.0) - gammaln(f2) + np.log(ulen)
    f21, ff4 = f2 - 1.0, 0.25 * df

    def logw(s):
        with np.errstate(divide="ignore", invalid="ignore"):
            return f2lf[:, None] + f21[:, None] * np.log(s) - s * ff4[:, None]

    i = np.arange(1, 51, dtype=float)
    edges = 2.0 * np.arange(0, 51, dtype=float)[None, :] * ulen[:, None]
    te = logw(np.where(edges > 0, edges, np.nan))
    te = np.where(np.isnan(te), -np.inf, te)
    mode = np.maximum(f21 / ff4, 0.0)[:, None]
    tm = logw(np.broadcast_to(mode, edges.shape))[:, :1]
    inside = (edges[:, :-1] <= mode) & (mode <= edges[:, 1:])
    best = np.maximum(np.maximum(te[:, :-1], te[:, 1:]), np.where(inside, tm, -np.inf))
    relevant = np.flatnonzero((best >= _EPS1 - 1e-9).any(axis=0))
    otsum = np.zeros((q.size, 50))
    if relevant.size:
        lo, hi = relevant[0], relevant[-1] + 1
        ii = i[lo:hi]
        u = ulen[:, None, None]
        s = (2.0 * ii[None, :, None] - 1.0) * u + _X16[None, None, :] * u
        t1 = f2lf[:, None, None] + f21[:, None, None] * np.log(s) - s * ff4[:, None, None]
        use = t1 >= _EPS1
        wp = np.zeros(s.shape)
        wp[use] = _wprob((q[:, None, None] * np.sqrt(0.5 * s))[use], cc)
        otsum[:, lo:hi] = np.where(use, wp * _W16 * np.exp(np.where(use, t1, 0.0)), 0.0).sum(axis=2)
    stop = (i[None, :] * ulen[:, None] >= 1.0) & (otsum <= _EPS2)
    before = np.cumsum(stop, axis=1) == 0
    return np.minimum((otsum * before).sum(axis=1), 1.0)
