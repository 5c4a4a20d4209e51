"""Stage 1 of WLSMV with observed exogenous covariates (``conditional.x = TRUE``).

When ordered items are regressed on observed covariates :math:`x` (continuous
or 0/1 numeric, not declared ordered), lavaan's default for categorical data
is ``conditional.x = TRUE``: the structural model is fitted to statistics of
the items *given* :math:`x`, and the covariates' means and covariances are
fixed at their sample values. Per group the sample statistics are

.. math:: s = (\\tau, \\operatorname{vec}(\\Pi), \\operatorname{vech}^{*}(R_{y\\cdot x})),

(lavaan's ``WLS.obs``): the intercept-thresholds of every item (item by item),
the probit slopes :math:`\\Pi` (items x covariates, stacked covariate by
covariate: all items' slopes on :math:`x_1`, then on :math:`x_2`, ...), and
the *residual* polychoric correlations below the diagonal (column by column).

Notes
-----
**Univariate step.** For item :math:`i` with categories :math:`c = 0..K-1`, an
ordered probit regression
:math:`P(y_i \\le c \\mid x) = \\Phi(\\tau_{ic} - x^\\top\\pi_i)` is fitted by
maximum likelihood (Newton-Raphson on the exact Hessian).

**Bivariate step.** For each pair :math:`(i, j)` the residual correlation
:math:`\\rho_{ij}` maximises
:math:`\\sum_n \\log P(y_{ni}, y_{nj} \\mid x_n)`, a rectangle probability of
the standard bivariate normal with the case's limits
:math:`\\tau - x_n^\\top\\pi` held at their univariate estimates; cases whose
probability is below :math:`\\sqrt{\\epsilon}` are left out, as lavaan does.

**Asymptotic covariance.** With the casewise scores :math:`S = [g_\\tau, g_\\pi,
g_\\rho]`, :math:`J = S^\\top S`, :math:`A_{11}` the item-wise blocks of
:math:`J` over (thresholds, slopes), :math:`A_{22} = \\operatorname{diag}(J_{\\rho\\rho})`
and :math:`A_{21}` the cross-products of each pair's correlation score with
the scores of its bivariate likelihood with respect to the two items'
thresholds and slopes, :math:`\\Gamma = N B^{-1} J B^{-\\top}` with the
block-triangular :math:`B` of :mod:`.ordinal_stage1` (Muthén, 1984).

This matches ``lavaan::sem(model, data, ordered = ..., estimator = "WLSMV")``
with covariates (``lavInspect(fit, "wls.obs")``, ``lavInspect(fit, "gamma")``,
``lavInspect(fit, "sampstat")$res.slopes``; lavaan 0.6-14,
``lav_samplestats_step1()`` and ``muthen1984()``).

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators.
*Psychometrika*, 49(1), 115–132. https://doi.org/10.1007/BF02294210
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

from qimscale._core.linalg import STRICT_RTOL, is_singular
from qimscale.analysis.bivariate_normal import bvn_cdf, bvn_cdf_dh, bvn_pdf, bvn_pdf_drho
from qimscale.errors import ConvergenceError, DataError

from .ordinal_stage1 import (RHO_BOUND, OrdinalStats, category_label, check_category_counts,
                             warn_sparse_categories)

__all__ = ["OrdinalXStats", "ordinal_stage1_x", "probit_regression", "covariate_matrix"]

#: a case whose bivariate probability is below this is left out of the residual correlation
#: (lavaan: ``sqrt(.Machine$double.eps)``)
TINY_LIKELIHOOD = math.sqrt(np.finfo(float).eps)
_SQRT2PI = math.sqrt(2.0 * math.pi)


@dataclass
class OrdinalXStats(OrdinalStats):
    """Stage-1 statistics of one group with covariates (see the module docstring).

    Attributes (besides those of :class:`~.ordinal_stage1.OrdinalStats`)
    ----------------------------------------------------------------------
    x_names : list of str
        Covariates, in model order.
    slopes : ndarray (p x q)
        Probit slopes of the items on the covariates.
    x_mean, x_cov : ndarray
        Sample means and covariances of the covariates (divisor ``N - 1``, as lavaan's
        ``sampstat`` for categorical data).
    """

    x_names: list = field(default_factory=list)
    slopes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    x_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x_cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n_slopes(self) -> int:
        """Number of probit slopes (items x covariates)."""
        return int(self.slopes.size)


def covariate_matrix(data: pd.DataFrame, x_names: list) -> np.ndarray:
    """The covariates as a float matrix; text values are a :class:`DataError`.

    Parameters
    ----------
    data : DataFrame
    x_names : list of str

    Returns
    -------
    ndarray (n x q), NaN where missing

    Raises
    ------
    DataError
        A covariate column is absent or holds a value that is not a number.

    Examples
    --------
    >>> covariate_matrix(pd.DataFrame({"x": [1, 0, 2]}), ["x"]).ravel().tolist()
    [1.0, 0.0, 2.0]
    """
    absent = [x for x in x_names if x not in data.columns]
    if absent:
        raise DataError(f"covariate column(s) {absent} not found in the data; available: {list(data.columns)}")
    out = np.empty((len(data), len(x_names)))
    for k, x in enumerate(x_names):
        col = data[x]
        if pd.api.types.is_bool_dtype(col.dtype):
            out[:, k] = col.to_numpy(dtype=float)
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & num.isna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            v = str(col.iloc[r])
            v = v if len(v) <= 80 else f"{v[:80]}... ({len(v)} characters)"
            raise DataError(f"row {r + 2}, column '{x}': value {v!r} is not a number; a covariate "
                            "(a predictor not declared ordered) must be numeric (0/1 for a binary one)")
        out[:, k] = num.to_numpy(dtype=float)
    return out


# ---------------------------------------------------------------------------
# univariate ordered probit regression
# ---------------------------------------------------------------------------
def _limits(theta, y, X, nth):
    """Upper and lower limits ``tau_c - x'pi``, ``tau_{c-1} - x'pi`` per case (±inf at the ends)."""
    th = np.concatenate([[-np.inf], theta[:nth], [np.inf]])
    eta = X @ theta[nth:] if X.shape[1] else np.zeros(len(y))
    yc = np.where(y >= 0, y, 0)
    return th[yc + 1] - eta, th[yc] - eta


def _dnorm(z):
    return np.where(np.isfinite(z), np.exp(-0.5 * np.where(np.isfinite(z), z, 0.0) ** 2) / _SQRT2PI, 0.0)


def _probit_parts(theta, y, X, nth, *, hessian=False):
    """Log-likelihood, casewise scores (zero for missing cases) and optionally the Hessian."""
    obs = y >= 0
    a, b = _limits(theta, y, X, nth)
    # P = Phi(a) - Phi(b), computed in the upper tail where both limits are large (lavaan's z2 > 1 rule)
    upper = b > 1
    P = np.where(upper, ndtr(-b) - ndtr(-a), ndtr(a) - ndtr(b))
    P = np.where(obs, P, 1.0)
    if np.any(P <= 0):
        return -np.inf, None, None
    n, q = X.shape
    k = nth + q
    yc = np.where(obs, y, 0)
    rows = np.arange(n)
    # d a / d theta and d b / d theta
    Ua = np.zeros((n, k))
    Ub = np.zeros((n, k))
    up = obs & (yc < nth)
    lo = obs & (yc > 0)
    Ua[rows[up], yc[up]] = 1.0
    Ub[rows[lo], yc[lo] - 1] = 1.0
    Ua[:, nth:] = np.where(up[:, None], -X, 0.0)
    Ub[:, nth:] = np.where(lo[:, None], -X, 0.0)
    fa, fb = _dnorm(a), _dnorm(b)
    S = (Ua * (fa / P)[:, None] - Ub * (fb / P)[:, None]) * obs[:, None]
    ll = float(np.sum(np.log(P[obs])))
    if not hessian:
        return ll, S, None
    # d2 Phi(a) = phi'(a) u_a u_a' with phi'(a) = -a phi(a)
    ga = np.where(np.isfinite(a), -np.where(np.isfinite(a), a, 0.0) * fa, 0.0) / P
    gb = np.where(np.isfinite(b), -np.where(np.isfinite(b), b, 0.0) * fb, 0.0) / P
    H = (Ua * ga[:, None]).T @ Ua - (Ub * gb[:, None]).T @ Ub - S.T @ S
    return ll, S, H


def probit_regression(y, X, nth: int, *, maxiter: int = 100, tol: float = 1e-10):
    """Ordered probit regression ``P(y <= c | x) = Phi(tau_c - x'pi)`` by Newton-Raphson.

    Matches ``lavaan:::lav_uvord_fit(y, X)`` (lavaan's univariate step with covariates).

    Parameters
    ----------
    y : ndarray of int
        Categories ``0 .. nth``; ``-1`` for missing (left out).
    X : ndarray (n x q)
        Covariates (no intercept column).
    nth : int
        Number of thresholds.
    maxiter, tol : int, float
        Newton iterations and the convergence bound on the largest step.

    Returns
    -------
    theta : ndarray
        Thresholds then slopes.
    scores : ndarray (n x (nth + q))
        Casewise scores at ``theta`` (zero rows for missing cases).

    Raises
    ------
    ConvergenceError
        If Newton-Raphson does not converge.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 2])
    >>> X = np.arange(10.0)[:, None] / 10
    >>> theta, _ = probit_regression(y, X, 2)
    >>> theta.shape
    (3,)
    """
    q = X.shape[1]
    # Newton runs on centred covariates (the same model, better conditioned when a covariate is far
    # from zero); thresholds and scores are returned for the covariates as given, as lavaan's
    xbar = X[y >= 0].mean(axis=0) if np.any(y >= 0) else np.zeros(q)
    Xo, X = X, X - xbar
    th0 = ndtri(np.arange(1, nth + 1) / (nth + 1)) if nth > 1 else np.zeros(1)
    theta = np.concatenate([th0, np.zeros(q)])
    ll, S, H = _probit_parts(theta, y, X, nth, hessian=True)
    for _ in range(maxiter):
        grad = S.sum(axis=0)
        try:
            step = np.linalg.solve(-H, grad)
        except np.linalg.LinAlgError:
            step = grad / np.maximum(np.abs(np.diag(H)), 1.0)
        t = 1.0
        while True:
            new = theta + t * step
            ordered_ok = nth < 2 or np.all(np.diff(new[:nth]) > 0)
            ll_new = _probit_parts(new, y, X, nth)[0] if ordered_ok else -np.inf
            if ll_new >= ll - 1e-12 * max(1.0, abs(ll)) or t < 1e-10:
                break
            t /= 2
        if not np.isfinite(ll_new):
            break
        theta = new
        ll, S, H = _probit_parts(theta, y, X, nth, hessian=True)
        if np.max(np.abs(t * step)) < tol:
            theta[:nth] += xbar @ theta[nth:]
            return theta, _probit_parts(theta, y, Xo, nth)[1]
    raise ConvergenceError("the probit regression of an ordered item on the covariates did not converge "
                           "(a covariate may separate the categories perfectly)")


# ---------------------------------------------------------------------------
# bivariate step
# ---------------------------------------------------------------------------
def _rectangle(a1, b1, a2, b2, rho):
    """P(b1 < Z1 <= a1, b2 < Z2 <= a2) for a standard bivariate normal with correlation rho."""
    return (bvn_cdf(a1, a2, rho) - bvn_cdf(b1, a2, rho) - bvn_cdf(a1, b2, rho) + bvn_cdf(b1, b2, rho))


def _rho_score(rho, a1, b1, a2, b2):
    lik = _rectangle(a1, b1, a2, b2, rho)
    ok = lik >= TINY_LIKELIHOOD
    dx = bvn_pdf(a1, a2, rho) - bvn_pdf(b1, a2, rho) - bvn_pdf(a1, b2, rho) + bvn_pdf(b1, b2, rho)
    return lik, ok, np.where(ok, dx / np.where(ok, lik, 1.0), 0.0)


def _residual_rho(a1, b1, a2, b2, start):
    """Two-step ML residual correlation of one pair (limits held fixed), within ``±RHO_BOUND``.

    As lavaan's ``nlminb`` run from the Pearson correlation of the two items (``start``): the
    score is followed uphill from ``start`` in steps of 0.1 until it changes sign, and the root in
    that bracket is found by Brent's method. (Cases with a probability below
    :data:`TINY_LIKELIHOOD` are left out, so near the bounds the score can change sign again; a
    global search would find that spurious root.)
    """
    def score(r):
        return float(_rho_score(r, a1, b1, a2, b2)[2].sum())

    lo_b, hi_b = -RHO_BOUND, RHO_BOUND
    r0 = min(max(start, lo_b), hi_b)
    s0 = score(r0)
    if s0 == 0:
        return r0
    direction = 1.0 if s0 > 0 else -1.0
    prev = r0
    while True:
        nxt = min(max(prev + 0.1 * direction, lo_b), hi_b)
        s1 = score(nxt)
        if s1 == 0:
            return nxt
        if (s1 > 0) != (s0 > 0):
            a, b = sorted((prev, nxt))
            return brentq(score, a, b, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
        if nxt in (lo_b, hi_b):
            return nxt
        prev = nxt


def _residual_rhos_newton(lim_a, lim_b, obs, pairs, starts, *, maxiter: int = 50):
    """All residual correlations at once by Newton-Raphson from ``starts``; ``(rho, converged)``.

    The score of pair m is :math:`\\sum_n \\phi'_n/L_n` and its derivative
    :math:`\\sum_n [\\partial_\\rho\\phi'_n/L_n - (\\phi'_n/L_n)^2]` (:math:`\\phi'` the signed sum of
    bivariate densities at the rectangle's corners). A pair whose derivative is not negative
    (not concave there), that leaves the bounds, or that has not converged is marked
    unconverged and solved by :func:`_residual_rho`. Also returns, per converged pair, the
    case likelihoods and density sums of the last iteration (step below 1e-9), which the
    scores of :math:`\\Gamma` reuse.
    """
    ii = np.array([a for a, _ in pairs], dtype=int)
    jj = np.array([b for _, b in pairs], dtype=int)
    both = (obs[:, ii] & obs[:, jj]).T  # (pstar, n)
    a1 = np.where(both, lim_a[:, ii].T, np.inf)
    b1 = np.where(both, lim_b[:, ii].T, -np.inf)
    a2 = np.where(both, lim_a[:, jj].T, np.inf)
    b2 = np.where(both, lim_b[:, jj].T, -np.inf)
    rho = np.clip(np.asarray(starts, dtype=float), -RHO_BOUND, RHO_BOUND)
    active = np.ones(rho.size, dtype=bool)
    done = np.zeros(rho.size, dtype=bool)
    last_lik = np.ones(a1.shape)
    last_dx = np.zeros(a1.shape)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        r = rho[idx][:, None]
        A1, B1, A2, B2 = a1[idx], b1[idx], a2[idx], b2[idx]
        lik = _rectangle(A1, B1, A2, B2, r)
        ok = lik >= TINY_LIKELIHOOD
        w = np.where(ok, 1.0 / np.where(ok, lik, 1.0), 0.0)
        dx = bvn_pdf(A1, A2, r) - bvn_pdf(B1, A2, r) - bvn_pdf(A1, B2, r) + bvn_pdf(B1, B2, r)
        ddx = (bvn_pdf_drho(A1, A2, r) - bvn_pdf_drho(B1, A2, r) - bvn_pdf_drho(A1, B2, r)
               + bvn_pdf_drho(B1, B2, r))
        g = np.sum(dx * w, axis=1)
        h = np.sum(ddx * w - (dx * w) ** 2, axis=1)
        bad = ~(h < 0)
        step = np.where(bad, 0.0, -g / np.where(bad, -1.0, h))
        step = np.clip(step, -0.2, 0.2)
        new = rho[idx] + step
        out = (np.abs(new) > RHO_BOUND) | bad
        rho[idx] = np.where(out, rho[idx], new)
        conv = ~out & (np.abs(step) < 1e-9)  # quadratic convergence: the new value is exact to ~1e-16
        done[idx[conv]] = True
        last_lik[idx[conv]] = lik[conv]
        last_dx[idx[conv]] = dx[conv]
        active[idx[conv | out]] = False
    return rho, done, last_lik, last_dx


def ordinal_stage1_x(codes: np.ndarray, X: np.ndarray, n_levels: list, items: list, x_names: list, *,
                     group_label=None, categories: list | None = None) -> OrdinalXStats:
    """Thresholds, probit slopes, residual polychorics and :math:`\\Gamma` for one group.

    Matches ``lavaan::sem(..., ordered = items, estimator = "WLSMV")`` with the
    covariates ``x_names`` (``conditional.x = TRUE``): ``lavInspect(fit, "wls.obs")``
    and ``lavInspect(fit, "gamma")`` (lavaan's ``muthen1984()`` with ``eXo``).

    Parameters
    ----------
    codes : ndarray of int (n x p)
        Item responses coded ``0 .. K_i - 1``; ``-1`` marks a missing response
        (lavaan's ``missing = "pairwise"``: each probit regression uses the item's
        observed cases, each residual correlation the pair's, and missing cases
        contribute zero scores).
    X : ndarray (n x q)
        Covariates, complete (rows with a missing covariate are removed before, as lavaan).
    n_levels : list of int
        Categories :math:`K_i` of each item.
    items, x_names : list of str
        Names, for messages and the result.
    group_label : optional
        Group name for messages.
    categories : list of lists, optional
        The observed values behind the codes (for messages).

    Returns
    -------
    OrdinalXStats

    Raises
    ------
    DataError
        An empty category, or covariates that are constant or collinear in this group
        (lavaan: "probit regression failed ... X may not be of full rank").
    ConvergenceError
        A probit regression did not converge.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(400, 1))
    >>> ystar = 0.5 * x + rng.normal(size=(400, 3))
    >>> codes = np.digitize(ystar, [-0.5, 0.5])
    >>> st = ordinal_stage1_x(codes, x, [3, 3, 3], ["a", "b", "c"], ["x"])
    >>> st.s.size, st.gamma.shape  # 6 thresholds, 3 slopes, 3 residual correlations
    (12, (12, 12))
    """
    codes = np.asarray(codes, dtype=np.int64)
    X = np.asarray(X, dtype=float)
    n, p = codes.shape
    q = X.shape[1]
    where = f" in group '{group_label}'" if group_label is not None else ""
    Xc = X - X.mean(axis=0)
    # constant or collinear covariates (with the intercept): judged on the centred cross-products at
    # unit diagonal, so a covariate far from zero (years since 1900) is not mistaken for a constant
    if n <= q + 1 or is_singular(Xc.T @ Xc, STRICT_RTOL, scale=True):
        raise DataError(f"the covariates {x_names}{where} are constant or collinear, so the probit "
                        "regressions of the items on them are not identified (lavaan: 'X may not be of "
                        "full rank'); drop a covariate")
    obs = codes >= 0
    counts, ths, slopes, sc_th, sc_sl = [], [], np.zeros((p, q)), [], []
    lim_a, lim_b = np.zeros((n, p)), np.zeros((n, p))
    sparse = []
    for j in range(p):
        counts.append(np.bincount(codes[obs[:, j], j], minlength=n_levels[j]))
        name = (lambda e, j=j: category_label(categories[j][e]) if categories is not None else str(e + 1))
        sparse.append(check_category_counts(counts[j], items[j], where, name))
    warn_sparse_categories(sparse, where)
    for j in range(p):
        nth = n_levels[j] - 1
        try:
            theta, S = probit_regression(codes[:, j], X, nth)
        except ConvergenceError:
            raise ConvergenceError(f"the probit regression of '{items[j]}' on {x_names}{where} did not "
                                   "converge (a covariate may separate its categories perfectly)") from None
        ths.append(theta[:nth])
        slopes[j] = theta[nth:]
        sc_th.append(S[:, :nth])
        sc_sl.append(S[:, nth:])
        a, b = _limits(theta, codes[:, j], X, nth)
        lim_a[:, j], lim_b[:, j] = a, b

    nth_list = [len(t) for t in ths]
    th_start = np.concatenate([[0], np.cumsum(nth_list)[:-1]]).astype(int)
    n_th = int(sum(nth_list))
    pairs = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]
    pstar = len(pairs)
    n_a11 = n_th + p * q
    a21 = np.zeros((pstar, n_a11))
    # slope score of item i on covariate k sits at column n_th + k * p + i (lavaan's vec(SLOPES))
    sl_cols = [n_th + np.arange(q) * p + i for i in range(p)]
    starts = np.zeros(pstar)
    for m, (i, j) in enumerate(pairs):
        both = obs[:, i] & obs[:, j]
        ci, cj = codes[both, i].astype(float), codes[both, j].astype(float)
        sd = ci.std() * cj.std()
        start = float(np.mean((ci - ci.mean()) * (cj - cj.mean())) / sd) if sd > 0 else 0.0
        starts[m] = start if abs(start) < 1 else 0.0
    rho, done, lik, dx = _residual_rhos_newton(lim_a, lim_b, obs, pairs, starts)
    ii = np.array([a for a, _ in pairs], dtype=int)
    jj = np.array([b for _, b in pairs], dtype=int)
    both = (obs[:, ii] & obs[:, jj]).T  # (pstar, n); cases outside get limits ±inf: probability 1
    A1 = np.where(both, lim_a[:, ii].T, np.inf)
    B1 = np.where(both, lim_b[:, ii].T, -np.inf)
    A2 = np.where(both, lim_a[:, jj].T, np.inf)
    B2 = np.where(both, lim_b[:, jj].T, -np.inf)
    for m in np.flatnonzero(~done):  # Newton did not settle: follow the score from the start
        rho[m] = _residual_rho(A1[m], B1[m], A2[m], B2[m], starts[m])
        lik[m] = _rectangle(A1[m], B1[m], A2[m], B2[m], rho[m])
        dx[m] = (bvn_pdf(A1[m], A2[m], rho[m]) - bvn_pdf(B1[m], A2[m], rho[m])
                 - bvn_pdf(A1[m], B2[m], rho[m]) + bvn_pdf(B1[m], B2[m], rho[m]))
    for m in np.flatnonzero(np.abs(rho) >= RHO_BOUND):
        raise DataError(
            f"the residual polychoric correlation of '{items[ii[m]]}' and '{items[jj[m]]}'{where} runs to "
            f"{'+' if rho[m] > 0 else '-'}1: given the covariates their table is (quasi-)separated (some "
            "combinations of categories never occur), so its likelihood rises up to the bound and "
            "lavaan's optimiser stops at an arbitrary value short of it; merge categories of one of "
            "the items (--collapse) or drop one")
    for m in np.flatnonzero(np.abs(rho) > 0.99):
        warnings.warn(f"the residual polychoric correlation between '{items[ii[m]]}' and '{items[jj[m]]}'"
                      f"{where} is (nearly) 1.0 ({rho[m]:.3f}); consider dropping or merging one", stacklevel=2)
    r = rho[:, None]
    ok = lik >= TINY_LIKELIHOOD
    w = np.where(ok, 1.0 / np.where(ok, lik, 1.0), 0.0)
    dr = dx * w  # (pstar, n) casewise scores of the residual correlations
    sc_cor = dr.T
    rows = np.broadcast_to(np.arange(pstar)[:, None], both.shape)
    nth_arr = np.asarray(nth_list)
    # derivatives of each case's rectangle probability with respect to its four limits
    for item, da, db in ((ii, (bvn_cdf_dh(A1, A2, r) - bvn_cdf_dh(A1, B2, r)) * w,
                          (bvn_cdf_dh(B1, A2, r) - bvn_cdf_dh(B1, B2, r)) * w),
                         (jj, (bvn_cdf_dh(A2, A1, r) - bvn_cdf_dh(A2, B1, r)) * w,
                          (bvn_cdf_dh(B2, A1, r) - bvn_cdf_dh(B2, B1, r)) * w)):
        c = codes[:, item].T
        col = th_start[item][:, None] + c
        # d log L / d tau_k: +da where k is the upper limit's index, -db where it is the lower one
        up = both & (c < nth_arr[item][:, None])
        lo = both & (c > 0)
        np.add.at(a21, (rows[up], col[up]), (dr * da)[up])
        np.add.at(a21, (rows[lo], col[lo] - 1), -(dr * db)[lo])
        # d log L / d pi = -(da - db) x
        cols = n_th + np.arange(q)[None, :] * p + item[:, None]
        a21[np.arange(pstar)[:, None], cols] += (dr * (db - da)) @ X

    SC_TH = np.hstack(sc_th) if sc_th else np.zeros((n, 0))
    SC_SL = np.zeros((n, p * q))
    for i in range(p):
        SC_SL[:, sl_cols[i] - n_th] = sc_sl[i]
    SC = np.hstack([SC_TH, SC_SL, sc_cor])
    inner = SC.T @ SC
    a11 = np.zeros((n_a11, n_a11))
    for i in range(p):
        idx = np.concatenate([np.arange(th_start[i], th_start[i] + nth_list[i]), sl_cols[i]])
        a11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    a22 = np.diag(inner)[n_a11:]
    for i in range(p):  # one item's probit regression: degenerate when a covariate separates its categories
        idx = np.concatenate([np.arange(th_start[i], th_start[i] + nth_list[i]), sl_cols[i]])
        if is_singular(a11[np.ix_(idx, idx)], STRICT_RTOL, scale=True):
            raise DataError(f"the probit regression of '{items[i]}' on {list(x_names)}{where} is degenerate "
                            "(a covariate separates its categories, so a slope runs off to infinity, or a "
                            "covariate's values lie so far from zero relative to their spread that its slope "
                            "and the thresholds cannot be told apart; lavaan warns or stops too); merge "
                            "categories, centre the covariate, or drop it")
    if np.any(a22 <= 0):
        bad = [f"{items[a]}-{items[b]}" for (a, b), v in zip(pairs, a22) if v <= 0]
        raise DataError(f"the residual polychoric correlation of {bad}{where} has no usable cases")
    a11_inv = np.linalg.inv(a11)
    b_inv = np.zeros_like(inner)
    b_inv[:n_a11, :n_a11] = a11_inv
    b_inv[n_a11:, n_a11:] = np.diag(1.0 / a22)
    b_inv[n_a11:, :n_a11] = -(a21 / a22[:, None]) @ a11_inv
    gamma = n * (b_inv @ inner @ b_inv.T)

    cor = np.eye(p)
    ii = np.array([a for a, _ in pairs], dtype=int)
    jj = np.array([b for _, b in pairs], dtype=int)
    cor[ii, jj] = rho
    cor[jj, ii] = rho
    s = np.concatenate([np.concatenate(ths) if ths else np.zeros(0), slopes.ravel(order="F"), rho])
    return OrdinalXStats(items=list(items), n=n, thresholds=ths, cor=cor, s=s, gamma=gamma, counts=counts,
                         th_item=np.repeat(np.arange(p), nth_list), x_names=list(x_names), slopes=slopes,
                         x_mean=X.mean(axis=0), x_cov=Xc.T @ Xc / (n - 1))
