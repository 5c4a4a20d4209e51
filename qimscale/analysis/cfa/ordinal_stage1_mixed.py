"""Stage 1 of WLSMV with ordered *and* continuous observed variables.

When some observed variables are continuous, lavaan (``cfa/sem(...,
ordered = c(...), estimator = "WLSMV")``) fits the model to the sample
statistics of Muthén (1984), per group,

.. math:: s = (\\tau^{\\pm}, \\sigma^2_{\\text{num}}, \\operatorname{vech}^{*}(S)),

where

* :math:`\\tau^{\\pm}` runs over the observed variables in model order: the
  thresholds of an ordered variable, or **minus the mean** of a continuous one
  (one slot);
* :math:`\\sigma^2_{\\text{num}}` are the (maximum-likelihood, divisor
  :math:`n`) variances of the continuous variables, in model order;
* :math:`S` is the matrix of polychoric (ordered-ordered), polyserial
  (continuous-ordered, times the standard deviation of the continuous
  variable) and covariance (continuous-continuous) entries, stacked below the
  diagonal column by column.

This is ``lavInspect(fit, "wls.obs")``; :math:`\\Gamma` (``lavInspect(fit,
"gamma")``) comes from casewise scores as in :mod:`.ordinal_stage1`.

Notes
-----
Univariate step: for a continuous :math:`y` with mean :math:`\\mu` and ML
variance :math:`v`, the casewise scores are :math:`(y - \\mu)/v` and
:math:`-1/(2v) + (y - \\mu)^2 / (2v^2)`. Bivariate step, with the univariate
parameters fixed:

* continuous-continuous: :math:`\\rho` maximises the bivariate normal
  likelihood (the Pearson correlation with complete data);
* continuous :math:`y` - ordered :math:`x` (polyserial): with
  :math:`z = (y - \\mu)/\\sqrt v`, :math:`R = \\sqrt{1-\\rho^2}` and the
  observed category's bounds :math:`\\tau_{c-1}, \\tau_c`,
  :math:`\\ell = \\log[\\Phi((\\tau_c - \\rho z)/R) - \\Phi((\\tau_{c-1} -
  \\rho z)/R)]` is maximised over :math:`\\rho \\in [-0.995, 0.995]`, as
  lavaan's ``lav_bvmix_cor_twostep_fit()`` (cases whose joint likelihood
  :math:`\\phi(y; \\mu, v) e^{\\ell}` falls below :math:`\\sqrt{\\epsilon}` are
  left out of the sum, as lavaan does);
* ordered-ordered: the two-step polychoric of :mod:`.ordinal_stage1`.

With the scores :math:`g_1` (univariate: thresholds and means, then
variances) and :math:`g_2` (one column per correlation), :math:`J = g^\\top g`,
:math:`B = \\begin{pmatrix} A_{11} & 0 \\\\ A_{21} & A_{22}\\end{pmatrix}`
(:math:`A_{11}` the within-variable blocks of :math:`J_{11}`,
:math:`A_{22} = \\operatorname{diag} J_{22}`, :math:`A_{21} =
\\sum_n g_{2,n}\\, \\partial \\ell^{(ij)}_n / \\partial \\theta_1` with the full
bivariate log-likelihood of the pair), the correlation-metric
:math:`\\Gamma_\\rho = N B^{-1} J B^{-\\top}` is carried to the covariance
metric by the delta rule: :math:`\\Gamma = H \\Gamma_\\rho H^\\top` with
:math:`\\partial s_{ij} / \\partial \\rho_{ij} = \\sigma_i\\sigma_j` and
:math:`\\partial s_{ij} / \\partial v_i = \\rho_{ij}\\sigma_j / (2\\sigma_i)`
(:math:`\\sigma = 1` for ordered variables), and the rows and columns of the
mean slots change sign (:math:`s` holds :math:`-\\mu`). This is lavaan's
``muthen1984()``.

Missing values (``missing = "pairwise"``): every univariate statistic uses
the variable's available cases, every correlation its pairwise-complete
cases, and a missing value contributes zero scores.

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators.
*Psychometrika*, 49(1), 115–132. https://doi.org/10.1007/BF02294210

Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial correlation
coefficient. *Psychometrika*, 47, 337–347. https://doi.org/10.1007/BF02294164
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from qimscale._core.checks import check_option
from qimscale.errors import DataError, ModelError

from .ordinal_stage1 import OrdinalStats, encode_ordinal, muthen_gamma, ordinal_scores, ordinal_stage1

__all__ = ["MixedStats", "mixed_stage1", "mixed_stage1_groups", "encode_mixed", "cov2cor", "correlation_residuals",
           "POLYSERIAL_BOUND"]

#: lavaan's bounds for a two-step polyserial correlation (``lav_bvmix_cor_twostep_fit``)
POLYSERIAL_BOUND = 0.995
#: lavaan warns when observed variances differ by more than this factor
VARIANCE_RATIO = 1000.0
#: lavaan's bounds for a two-step Pearson correlation with missing values
PEARSON_BOUND = 0.999
#: lavaan's finite stand-in for an infinite threshold in casewise scores (``lav_uvord_init_cache``)
_OPEN_BOUND = 100.0
_EPS = np.finfo(float).eps
_SQRT_EPS = np.sqrt(_EPS)
_SQRT2PI = np.sqrt(2.0 * np.pi)


def _dnorm(x):
    return np.exp(-0.5 * x * x) / _SQRT2PI


@dataclass
class MixedStats(OrdinalStats):
    """Stage-1 statistics of one group with ordered and continuous variables.

    The attributes of :class:`~.ordinal_stage1.OrdinalStats` (``items`` are all
    observed variables in model order; ``thresholds`` holds the mean of a
    continuous variable as its one entry; ``counts`` is empty for it; ``cor``
    is the correlation matrix: polychoric, polyserial and Pearson entries),
    plus:

    Attributes
    ----------
    continuous : list of str
        The continuous variables.
    cov : ndarray
        ``cor`` with the continuous variables' standard deviations applied
        (lavaan's ``sampstat$cov``).
    means : dict
        Mean of each continuous variable.
    variances : dict
        ML variance (divisor: available cases) of each continuous variable.
    """

    continuous: list = field(default_factory=list)
    cov: np.ndarray | None = None
    means: dict = field(default_factory=dict)
    variances: dict = field(default_factory=dict)


def encode_mixed(data: pd.DataFrame, ov: list, ordered: list, levels: dict | None = None):
    """Integer codes of the ordered variables and float values of the continuous ones.

    Parameters
    ----------
    data : DataFrame
    ov : list of str
        Observed variables in model order.
    ordered : list of str
        The ordered ones (the rest are continuous).
    levels : dict, optional
        Levels of the ordered variables (see :func:`~.ordinal_stage1.encode_ordinal`).

    Returns
    -------
    codes : ndarray of int (n x p_ord), ``-1`` missing
    values : ndarray of float (n x p_num), NaN missing
    levels : dict

    Raises
    ------
    DataError
        A continuous variable that is not numeric (naming row and value) or
        holds an infinite value.
    """
    ords = [v for v in ov if v in set(ordered)]
    nums = [v for v in ov if v not in set(ordered)]
    codes, levels = encode_ordinal(data, ords, levels)
    values = np.empty((len(data), len(nums)))
    for k, v in enumerate(nums):
        col = data[v]
        if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            num = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
            if bad.size:
                r = int(bad[0])
                val = str(col.iloc[r])
                shown = val if len(val) <= 80 else f"{val[:80]}... ({len(val)} characters)"
                raise DataError(f"row {r + 2}, column '{v}': value {shown!r} is not a number; the "
                                "continuous variable must be numeric (or list it in ordered)")
            col = num
        x = col.to_numpy(dtype=float)
        inf = np.flatnonzero(np.isinf(x))
        if inf.size:
            raise DataError(f"row {int(inf[0]) + 2}, column '{v}': value {x[inf[0]]} is infinite")
        values[:, k] = x
    return codes, values, levels


def _polyserial_terms(z, up, lo, rho):
    """Per case: ``P`` (floored at eps), ``phi_up``, ``phi_lo``, ``R`` of the conditional probability."""
    R = np.sqrt(1.0 - rho * rho)
    a = (up - rho * z) / R
    b = (lo - rho * z) / R
    P = np.maximum(ndtr(a) - ndtr(b), _EPS)
    return P, _dnorm(a), _dnorm(b), R


def _polyserial_rho(z, y_dens, up, lo):
    """Two-step ML polyserial correlation (thresholds, mean and variance fixed), on [-.995, .995]."""
    from scipy.optimize import minimize_scalar

    def nll(r):
        P = _polyserial_terms(z, up, lo, r)[0]
        lik = y_dens * P
        keep = lik >= _SQRT_EPS  # lavaan sets likelihoods below sqrt(eps) to NA and drops them
        return -np.sum(np.log(lik[keep]))

    res = minimize_scalar(nll, bounds=(-POLYSERIAL_BOUND, POLYSERIAL_BOUND), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 500})
    return float(res.x)


def polyserial_pair_scores(z, up, lo, rho, var):
    """Casewise pieces of a two-step polyserial pair at ``rho`` (``z`` the standardised continuous
    values, ``up``/``lo`` the ordered variable's limits, ``var`` the continuous variance):
    ``P, phi_up, phi_lo, R``, the score of :math:`\\rho` and the derivatives of the pair's
    log-likelihood with respect to the continuous mean and variance."""
    P, fa, fb, R = _polyserial_terms(z, up, lo, rho)
    g = (fa * (up * rho - z) - fb * (lo * rho - z)) / (P * R ** 3)
    d_mu = (z + (rho / R) * (fa - fb) / P) / np.sqrt(var)
    d_v = ((z * z - 1.0) + (rho * z / R) * (fa - fb) / P) / (2 * var)
    return P, fa, fb, R, g, d_mu, d_v


def pearson_pair_scores(y1c, y2c, v1, v2, rho, both):
    """Casewise score of a two-step correlation of two continuous variables (centred values
    ``y1c``, ``y2c``, zero where not ``both`` observed; variances ``v1``, ``v2``) and the
    derivatives of the pair's log-likelihood with respect to the two means and variances."""
    s12 = np.sqrt(v1 * v2)
    R = 1.0 - rho * rho
    q = y1c * y1c / v1 - 2 * rho * y1c * y2c / s12 + y2c * y2c / v2
    g = np.where(both, rho / R + y1c * y2c / (s12 * R) - q * rho / R ** 2, 0.0)
    d_mu1 = (y1c / v1 - rho * y2c / s12) / R
    d_mu2 = (y2c / v2 - rho * y1c / s12) / R
    d_v1 = -(0.5 / v1 - (y1c * y1c / v1 ** 2 - rho * y1c * y2c / (v1 * s12)) / (2 * R))
    d_v2 = -(0.5 / v2 - (y2c * y2c / v2 ** 2 - rho * y1c * y2c / (v2 * s12)) / (2 * R))
    return g, d_mu1, d_mu2, np.where(both, d_v1, 0.0), np.where(both, d_v2, 0.0)


def covariance_metric(gamma, cor, pairs, var_slot, sdv, mean_slots):
    """:math:`\\Gamma` of (univariate statistics, correlations) carried to the covariance metric.

    The delta rule with :math:`\\partial s_{ij}/\\partial\\rho_{ij} = \\sigma_i\\sigma_j` and
    :math:`\\partial s_{ij}/\\partial v_i = \\rho_{ij}\\sigma_j/(2\\sigma_i)` (``var_slot``: variable
    -> its variance slot; ``sdv``: sds, 1 for ordered variables); the rows and columns of
    ``mean_slots`` change sign (the statistics hold minus the means).
    """
    n_uni = gamma.shape[0] - len(pairs)
    H = np.eye(gamma.shape[0])
    for m, (i, j) in enumerate(pairs):
        H[n_uni + m, n_uni + m] = sdv[i] * sdv[j]
        for a, b in ((i, j), (j, i)):
            if a in var_slot:
                H[n_uni + m, var_slot[a]] = cor[i, j] * sdv[b] / (2 * sdv[a])
    gamma = H @ gamma @ H.T
    gamma[mean_slots, :] *= -1.0
    gamma[:, mean_slots] *= -1.0
    return gamma


def _pearson_rho(y1c, y2c, v1, v2):
    """Two-step ML correlation of two continuous variables with means and variances fixed."""
    from scipy.optimize import minimize_scalar

    s12 = np.sqrt(v1 * v2)

    def nll(r):
        R = 1.0 - r * r
        q = (y1c * y1c / v1 - 2 * r * y1c * y2c / s12 + y2c * y2c / v2) / R
        ll = -np.log(2 * np.pi) - 0.5 * np.log(v1 * v2 * R) - 0.5 * q
        keep = np.exp(ll) >= _SQRT_EPS
        return -np.sum(ll[keep])

    res = minimize_scalar(nll, bounds=(-PEARSON_BOUND, PEARSON_BOUND), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 500})
    return float(res.x)


def mixed_stage1(codes: np.ndarray, values: np.ndarray, n_levels: list, ov: list, ordered: list, *,
                 group_label: str | None = None, categories: list | None = None) -> MixedStats:
    """Thresholds/means, variances, mixed correlations and :math:`\\Gamma` for one group.

    Matches the sample statistics of ``lavaan::sem(..., ordered = ordered,
    estimator = "WLSMV")`` with the other observed variables numeric
    (``lavInspect(fit, "wls.obs")``, ``lavInspect(fit, "sampstat")`` and
    ``lavInspect(fit, "gamma")``); the polyserial entries are
    ``lavCor(data, ordered = ordered)``'s.

    Parameters
    ----------
    codes : ndarray of int (n x p_ord)
        Ordered variables coded ``0 .. K - 1`` (``-1`` missing), in model order.
    values : ndarray of float (n x p_num)
        Continuous variables (NaN missing), in model order.
    n_levels : list of int
        Categories of each ordered variable (over all groups).
    ov : list of str
        All observed variables in model order.
    ordered : list of str
        The ordered ones.
    group_label : str, optional
        Used in messages.
    categories : list of lists, optional
        Observed values of each ordered variable (for messages).

    Returns
    -------
    MixedStats

    Raises
    ------
    DataError
        An empty category, a continuous variable with fewer than two
        observed values or no variance in this group.
    """
    oset = set(ordered)
    ords = [v for v in ov if v in oset]
    nums = [v for v in ov if v not in oset]
    n = codes.shape[0] if codes.size else values.shape[0]
    where = f" in group '{group_label}'" if group_label is not None else ""
    # ordered block: thresholds, polychorics, their warnings and the empty-category check
    ost = ordinal_stage1(codes, n_levels, ords, compute_gamma=False, group_label=group_label,
                         categories=categories)
    mean, var = np.zeros(len(nums)), np.zeros(len(nums))
    for k, v in enumerate(nums):
        x = values[:, k]
        x = x[~np.isnan(x)]
        if x.size < 2 or np.ptp(x) == 0:
            raise DataError(f"continuous variable '{v}'{where} has {x.size} observed value(s) and no "
                            "variance; drop it or check the data")
        mean[k] = x.mean()
        var[k] = np.mean((x - mean[k]) ** 2)
    sd = np.sqrt(var)

    p = len(ov)
    kind = ["o" if v in oset else "c" for v in ov]
    pos = [ords.index(v) if v in oset else nums.index(v) for v in ov]
    # univariate layout: per variable its threshold slots (a mean: one slot), then the variances
    nth = [len(ost.thresholds[pos[i]]) if kind[i] == "o" else 1 for i in range(p)]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(int)
    n_th = int(sum(nth))
    var_slot = {i: n_th + k for k, i in enumerate(i for i in range(p) if kind[i] == "c")}
    n_uni = n_th + len(nums)
    uni_of = {i: list(range(th_start[i], th_start[i] + nth[i])) + ([var_slot[i]] if i in var_slot else [])
              for i in range(p)}

    pairs = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]
    pstar = len(pairs)
    cor = np.eye(p)
    oi = [i for i in range(p) if kind[i] == "o"]
    cor[np.ix_(oi, oi)] = ost.cor

    # casewise pieces of every variable
    sc_uni = np.zeros((n, n_uni))
    if ords:
        sc_ord_th, sc_ord_cor, a21_ord = ordinal_scores(codes, ost.thresholds, ost.s[ost.n_thresholds:])
        ord_th_start = np.concatenate([[0], np.cumsum([len(t) for t in ost.thresholds])[:-1]]).astype(int)
    up, lo = {}, {}
    for i in range(p):
        if kind[i] == "o":
            k = pos[i]
            t = np.concatenate([[-_OPEN_BOUND], ost.thresholds[k], [_OPEN_BOUND]])
            c = codes[:, k]
            ok = c >= 0
            up[i] = np.where(ok, t[np.clip(c + 1, 0, len(t) - 1)], np.nan)
            lo[i] = np.where(ok, t[np.clip(c, 0, len(t) - 1)], np.nan)
            sl = slice(th_start[i], th_start[i] + nth[i])
            sc_uni[:, sl] = sc_ord_th[:, ord_th_start[k]: ord_th_start[k] + nth[i]]
        else:
            k = pos[i]
            yc = values[:, k] - mean[k]
            sc_uni[:, th_start[i]] = np.nan_to_num(yc / var[k])
            sc_uni[:, var_slot[i]] = np.nan_to_num(-0.5 / var[k] + yc * yc / (2 * var[k] ** 2))

    sc_cor = np.zeros((n, pstar))
    a21 = np.zeros((pstar, n_uni))
    ord_pair = {}
    if len(ords) > 1:
        ord_pairs = [(a, b) for b in range(len(ords) - 1) for a in range(b + 1, len(ords))]
        ord_pair = {q: m for m, q in enumerate(ord_pairs)}
    ord_col = {}  # ordinal threshold column (ordered-only layout) -> mixed layout column
    for i in oi:
        k = pos[i]
        for c in range(nth[i]):
            ord_col[ord_th_start[k] + c] = th_start[i] + c
    for m, (i, j) in enumerate(pairs):
        if kind[i] == "o" and kind[j] == "o":
            mo = ord_pair[(pos[i], pos[j])]
            sc_cor[:, m] = sc_ord_cor[:, mo]
            for col in np.flatnonzero(a21_ord[mo]):
                a21[m, ord_col[col]] = a21_ord[mo, col]
            continue
        if kind[i] == "c" and kind[j] == "c":
            k1, k2 = pos[i], pos[j]
            y1c, y2c = values[:, k1] - mean[k1], values[:, k2] - mean[k2]
            both = ~(np.isnan(y1c) | np.isnan(y2c))
            if both.all():
                rho = float(np.sum(y1c * y2c) / np.sqrt(np.sum(y1c ** 2) * np.sum(y2c ** 2)))
            else:
                rho = _pearson_rho(y1c[both], y2c[both], var[k1], var[k2])
            y1c, y2c = np.where(both, y1c, 0.0), np.where(both, y2c, 0.0)
            v1, v2, s12 = var[k1], var[k2], sd[k1] * sd[k2]
            g, d_mu1, d_mu2, d_v1, d_v2 = pearson_pair_scores(y1c, y2c, v1, v2, rho, both)
            a21[m, th_start[i]] = g @ d_mu1
            a21[m, th_start[j]] = g @ d_mu2
            a21[m, var_slot[i]] = g @ d_v1
            a21[m, var_slot[j]] = g @ d_v2
        else:  # polyserial: c the continuous, o the ordered variable
            c, o = (i, j) if kind[i] == "c" else (j, i)
            k = pos[c]
            z = (values[:, k] - mean[k]) / sd[k]
            both = ~np.isnan(z) & ~np.isnan(up[o])
            zb, ub, lb = z[both], up[o][both], lo[o][both]
            dens = _dnorm(zb) / sd[k]
            rho = _polyserial_rho(zb, dens, ub, lb)
            P, fa, fb, R, g, d_mu, d_v = polyserial_pair_scores(zb, ub, lb, rho, var[k])
            a21[m, th_start[c]] = g @ d_mu
            a21[m, var_slot[c]] = g @ d_v
            # thresholds of the ordered variable: + phi(a)/(R P) for the upper bound, - for the lower
            cat = codes[both, pos[o]]
            ntho = nth[o]
            w_up = g * fa / (R * P)
            w_lo = g * fb / (R * P)
            col = th_start[o]
            a21[m, col: col + ntho] += np.bincount(cat[cat < ntho], weights=w_up[cat < ntho], minlength=ntho)
            a21[m, col: col + ntho] -= np.bincount(cat[cat > 0] - 1, weights=w_lo[cat > 0], minlength=ntho)
            gfull = np.zeros(n)
            gfull[both] = g
            g = gfull
        sc_cor[:, m] = g
        cor[i, j] = cor[j, i] = rho
        if abs(rho) > 0.99:
            warnings.warn(f"the correlation between '{ov[i]}' and '{ov[j]}'{where} is (nearly) 1.0 "
                          f"({rho:.3f}), as lavaan warns", stacklevel=2)

    sc = np.hstack([sc_uni, sc_cor])
    inner = sc.T @ sc
    a11 = np.zeros((n_uni, n_uni))
    for i in range(p):
        ix = np.ix_(uni_of[i], uni_of[i])
        a11[ix] = inner[ix]
    sdv = np.ones(p)
    for i, slot in var_slot.items():
        sdv[i] = sd[pos[i]]
    gamma = covariance_metric(muthen_gamma(inner, a11, a21, n), cor, pairs, var_slot, sdv,
                              [th_start[i] for i in var_slot])

    cov = cor * np.outer(sdv, sdv)
    ths = [ost.thresholds[pos[i]] if kind[i] == "o" else np.array([mean[pos[i]]]) for i in range(p)]
    th_vec = np.concatenate([t if kind[i] == "o" else -t for i, t in enumerate(ths)])
    ii = np.array([q[0] for q in pairs], dtype=int)
    jj = np.array([q[1] for q in pairs], dtype=int)
    s = np.concatenate([th_vec, var, cov[ii, jj]])
    counts = [ost.counts[pos[i]] if kind[i] == "o" else np.zeros(0, dtype=int) for i in range(p)]
    return MixedStats(items=list(ov), n=n, thresholds=ths, cor=cor, s=s, gamma=gamma, counts=counts,
                      th_item=np.repeat(np.arange(p), nth), continuous=nums, cov=cov,
                      means=dict(zip(nums, mean)), variances=dict(zip(nums, var)))


def cov2cor(M: np.ndarray) -> np.ndarray:
    """A covariance matrix scaled to unit diagonal (R's ``cov2cor``)."""
    d = 1.0 / np.sqrt(np.diag(M))
    return M * np.outer(d, d)


def correlation_residuals(S: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The residuals behind lavaan's SRMR when continuous variables are present.

    Bentler's standardised residuals :math:`(s_{ij} - \\sigma_{ij}) / \\sqrt{s_{ii} s_{jj}}`
    below the diagonal (``lavResiduals(fit, type = "cor.bentler")``); the diagonal counts as
    zero, as in lavaan's categorical SRMR (``lav_residuals_summary``), even when a continuous
    variable's implied variance differs from its sample variance (equal residual variances
    across groups). Returns ``vech`` with the diagonal, so its length is :math:`p(p+1)/2`.

    >>> S = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> correlation_residuals(S, np.array([[1.8, 0.3], [0.3, 1.0]])).round(4).tolist()
    [0.0, 0.1414, 0.0]
    """
    sd = np.sqrt(np.diag(S))
    r = (S - sigma) / np.outer(sd, sd)
    np.fill_diagonal(r, 0.0)
    return r[np.tril_indices_from(r)]


def mixed_stage1_groups(data: pd.DataFrame, ov: list, ordered: list, group: str | None = None,
                        *, missing: str = "listwise"):
    """Stage 1 (:func:`mixed_stage1`) for every group.

    Parameters
    ----------
    data : DataFrame
    ov : list of str
        Observed variables in model order.
    ordered : list of str
        The ordered ones; the others are continuous.
    group : str, optional
    missing : {"listwise", "pairwise"}
        As :func:`.wlsmv.prepare_ordinal_data`: ``"listwise"`` drops rows with
        any missing variable, ``"pairwise"`` keeps rows with at least one.

    Returns
    -------
    stats : list of MixedStats
    labels : list
    levels : dict (ordered variables)
    n_dropped : int

    Raises
    ------
    DataError
        Missing columns, non-numeric continuous values, empty categories,
        groups with fewer than two usable rows.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=400)
    >>> y = [np.digitize(0.7 * f + rng.normal(scale=0.7, size=400), [-0.5, 0.5]) for _ in range(3)]
    >>> d = pd.DataFrame({"a": y[0], "b": y[1], "c": y[2], "x": 50 + 10 * f + rng.normal(size=400)})
    >>> st = mixed_stage1_groups(d, ["a", "b", "c", "x"], ["a", "b", "c"])[0][0]
    >>> st.s.size  # 2 thresholds x 3 + minus the mean of x, the variance of x, 6 covariances
    14
    >>> round(float(st.cor[3, 0]), 2)  # polyserial correlation of x and a
    0.68
    """
    ords = [v for v in ov if v in set(ordered)]
    if not ords:
        raise ModelError("WLSMV needs at least one ordered variable; with continuous variables only "
                         "use estimator 'ML' or 'MLR'")
    if group and group in ov:
        raise ModelError(f"the group column {group!r} is also a variable of the model; group by another "
                         "column or drop it from the model")
    check_option("missing", missing, ("listwise", "pairwise"), "WLSMV")
    cols = list(ov) + ([group] if group else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise DataError(f"column(s) {absent} not found in the data; available: {list(data.columns)}")
    if missing == "listwise":
        keep = data[cols].notna().all(axis=1).to_numpy()
    else:
        keep = data[list(ov)].notna().any(axis=1).to_numpy()
        if group:
            keep = keep & data[group].notna().to_numpy()  # not in place: to_numpy() may be a read-only view
    n_dropped = int((~keep).sum())
    d = data.loc[keep]
    codes, values, levels = encode_mixed(d, ov, ords)
    if group:
        gv = d[group].to_numpy()
        labels = [lab.item() if isinstance(lab, np.generic) else lab
                  for lab in pd.unique(data[group].dropna().to_numpy())]
        masks = [gv == lab for lab in labels]
    else:
        labels, masks = [None], [np.ones(len(d), dtype=bool)]
    short = [("" if lab is None else f"group {lab!r}: ") + f"{int(m.sum())} case(s)"
             for m, lab in zip(masks, labels) if m.sum() < 2]
    if short:
        raise DataError(f"too few usable cases after dropping rows ({missing} deletion): {'; '.join(short)}")
    stats = [mixed_stage1(codes[m], values[m], [len(levels[v]) for v in ords], ov, ords,
                          group_label=lab, categories=[list(levels[v]) for v in ords])
             for m, lab in zip(masks, labels)]
    for st, lab in zip(stats, labels):  # as lavaan's check of the observed variances (ordered: 1)
        var = np.array([1.0] + list(st.variances.values()))
        if var.max() > VARIANCE_RATIO * var.min():
            where = f" in group '{lab}'" if lab is not None else ""
            big = max(st.variances, key=st.variances.get)
            small = min(st.variances, key=st.variances.get)
            warnings.warn(f"the variances of the observed variables{where} differ by a factor above "
                          f"{VARIANCE_RATIO:g} (e.g. {big}: {st.variances[big]:.4g}, {small}: "
                          f"{st.variances[small]:.4g}; ordered variables: 1), as lavaan warns: rescale the "
                          "continuous variables (e.g. to thousands or to z-scores) for a stable fit", stacklevel=2)
    return stats, labels, levels, n_dropped
