"""Robust fit indices of a WLSMV fit for categorical data (Savalei, 2021).

For ordered indicators lavaan (from 0.6-13) reports ``cfi.robust``,
``tli.robust`` and ``rmsea.robust`` (with its confidence interval and the
close/not-close fit p-values) from a *catML* statistic: the normal-theory ML
discrepancy between the polychoric correlation matrix :math:`R_g` and the
model-implied correlation matrix :math:`\\Sigma_g` of the latent responses, at
the WLSMV estimates (no refit: every observed variable is ordered), together
with a scaling factor built from the DWLS ingredients.

Notes
-----
With :math:`n_g` cases in group :math:`g`, :math:`f_g = n_g / N`, :math:`p`
items and :math:`p^* = p(p-1)/2` correlations per group:

* :math:`T_3 = \\sum_g n_g \\left(\\log|\\Sigma_g| - \\log|R_g|
  + \\operatorname{tr}(R_g\\Sigma_g^{-1}) - p\\right)` and, for the baseline
  (all correlations zero), :math:`T_{3,0} = -\\sum_g n_g \\log|R_g|`;
* :math:`df_3 = G p^* - q` (:math:`q`: distinct free parameters other than
  thresholds, intercepts and means) and :math:`df_{3,0} = G p^*`;
* on the correlation part only (thresholds dropped) and stacked over groups:
  :math:`V = \\oplus_g f_g V_g` with
  :math:`[V_g]_{(ij),(kl)} = a_{ik}a_{jl} + a_{il}a_{jk}`,
  :math:`A = \\Sigma_g^{-1}` (the expected ML information of the correlations),
  :math:`W = \\oplus_g f_g W_g` (the DWLS weights),
  :math:`\\Gamma = \\oplus_g \\Gamma_g / f_g`, :math:`\\Delta` the correlation
  rows of the model Jacobian, :math:`E^{-1}` the inverse of the full DWLS
  expected information (thresholds included) and
  :math:`U = I - \\Delta E^{-1}\\Delta^\\top W`:
  :math:`\\hat c_3 = \\operatorname{tr}(U^\\top V U \\Gamma) / df_3` and
  :math:`\\hat c_{3,0} = \\operatorname{tr}(\\Gamma) / df_{3,0}`;
* ``cfi_robust`` and ``tli_robust`` use :math:`T_3`, :math:`T_{3,0}`,
  :math:`\\hat c_3`, :math:`\\hat c_{3,0}` with the model's and the
  baseline's WLSMV degrees of freedom; ``rmsea_robust`` uses :math:`T_3`,
  :math:`df_3`, :math:`\\hat c_3` and :math:`N - G`; its interval and p-values
  invert the non-central :math:`\\chi^2` at :math:`T_3/\\hat c_3`.

Lavaan returns NA for all of them when a polychoric matrix has an eigenvalue
below :math:`\\sqrt{\\epsilon}` (``cat.check.pd = TRUE``) or when the catML
model cannot be built, which happens when thresholds, intercepts or means are
constrained to be equal (e.g. ``group.equal = "thresholds"``); NaN is returned
likewise, and also when an implied correlation matrix is not positive
definite.

References
----------
Savalei, V. (2021). Improving fit indices in structural equation modeling with
categorical data. *Multivariate Behavioral Research*, 56(3), 390–407.
https://doi.org/10.1080/00273171.2020.1717922
"""

from __future__ import annotations

import math

import numpy as np

from qimscale._core.distributions import ncx2_cdf, ncx2_sf
from qimscale._core.linalg import is_positive_definite

from .fit_indices import cfi, rmsea, rmsea_ci, tli

__all__ = ["ROBUST_KEYS", "catml_robust_indices"]

ROBUST_KEYS = ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust",
               "rmsea_ci_upper_robust", "rmsea_pvalue_robust", "rmsea_notclose_pvalue_robust")

_REMOVED_OPS = ("|", "~1")


def _nan_result() -> dict:
    return {k: math.nan for k in ROBUST_KEYS}


def _constrained_removed_rows(partable) -> bool:
    """True if a threshold, intercept or mean shares its free index with another row or enters a
    linear equality constraint."""
    rows_by_free: dict = {}
    for r in partable.rows:
        if r["free"] > 0 and r["op"] != ":=":
            rows_by_free.setdefault(r["free"], []).append(r["op"])
    if any(len(ops) > 1 and any(op in _REMOVED_OPS for op in ops) for ops in rows_by_free.values()):
        return True
    lin = partable.lin  # a linear equality constraint (a == 2*b) on a threshold, intercept or mean
    return lin is not None and any(np.any(lin.C[:, f - 1] != 0) for f, ops in rows_by_free.items()
                                   if any(op in _REMOVED_OPS for op in ops))


def _ml_weight(Sigma: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    """Expected ML information of the correlations (lower-triangle pairs ``ii > jj``)."""
    A = np.linalg.inv(Sigma)
    return A[np.ix_(ii, ii)] * A[np.ix_(jj, jj)] + A[np.ix_(ii, jj)] * A[np.ix_(jj, ii)]


def catml_robust_indices(om, partable, theta, stats_list, deltas, w_list, fg, E_inv,
                         df, base_df) -> dict:
    """Robust CFI, TLI and RMSEA of a WLSMV fit (catML, Savalei 2021).

    Matches ``lavaan::fitMeasures(fit, c("cfi.robust", "tli.robust",
    "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
    "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust"))`` for a
    ``cfa(..., ordered = ..., estimator = "WLSMV")`` fit (lavaan >= 0.6-13,
    internally ``lav_fit_catml_dwls()``); see the module notes for the
    formulas.

    Parameters
    ----------
    om : OrdinalModel
    partable : ParTable
    theta : ndarray
        WLSMV estimates.
    stats_list : list of OrdinalStats
        Stage-1 statistics per group (``gamma`` required).
    deltas : list of ndarray
        Model Jacobians per group at ``theta`` (thresholds then correlations).
    w_list : list of ndarray
        DWLS weights (diagonal) per group.
    fg : ndarray
        Group proportions :math:`n_g / N`.
    E_inv : ndarray
        Inverse of :math:`\\sum_g f_g \\Delta_g^\\top W_g \\Delta_g`.
    df, base_df : int
        Degrees of freedom of the model and of the baseline model.

    Returns
    -------
    dict
        ``cfi_robust, tli_robust, rmsea_robust, rmsea_ci_lower_robust,
        rmsea_ci_upper_robust, rmsea_pvalue_robust,
        rmsea_notclose_pvalue_robust`` (90% interval, h0 0.05 and 0.08); all
        NaN where lavaan gives NA (see the module notes).

    References
    ----------
    Savalei, V. (2021). Improving fit indices in structural equation modeling
    with categorical data. *Multivariate Behavioral Research*, 56(3), 390–407.
    """
    G = len(stats_list)
    nth, p, pstar = om.n_th, om.p, om.pstar
    ii, jj = om.ii, om.jj
    if pstar == 0 or _constrained_removed_rows(partable) or om.conditional_x:  # lavaan: NA with covariates
        return _nan_result()
    tol = math.sqrt(np.finfo(float).eps)
    ng = np.array([st.n for st in stats_list], dtype=float)
    N = ng.sum()
    X3 = X3b = 0.0
    tr_vg = tr_g = cross = 0.0
    DVD = np.zeros_like(E_inv)
    XGX = np.zeros_like(E_inv)
    for g, st in enumerate(stats_list):
        R = np.asarray(st.cor, dtype=float)
        if not is_positive_definite(R, rtol=tol):
            return _nan_result()
        S = om.implied_cor(theta, g)
        if not is_positive_definite(S):
            return _nan_result()
        logdet_s = np.linalg.slogdet(S)[1]
        logdet_r = np.linalg.slogdet(R)[1]
        X3 += ng[g] * (logdet_s - logdet_r + np.trace(np.linalg.solve(S, R)) - p)
        X3b += -ng[g] * logdet_r
        f = fg[g]
        Vg = f * _ml_weight(S, ii, jj)
        wg = f * w_list[g][nth:]
        Gg = st.gamma[nth:, nth:] / f
        Dg = deltas[g][nth:, :]
        Xg = E_inv @ (Dg.T * wg[None, :])  # E^-1 Δ_g' W_g
        XG = Xg @ Gg
        tr_vg += np.sum(Vg * Gg)  # both symmetric
        tr_g += np.trace(Gg)
        cross += np.sum(XG * (Vg @ Dg).T)  # tr(X_g Γ_g V_g Δ_g)
        DVD += Dg.T @ Vg @ Dg
        XGX += XG @ Xg.T
    ks = tr_vg - 2.0 * cross + np.sum(DVD * XGX.T)
    npar3 = len({r["free"] for r in partable.rows
                 if r["free"] > 0 and r["op"] not in _REMOVED_OPS + (":=",)})
    if partable.lin is not None:  # each linear equality constraint removes one parameter
        npar3 -= partable.lin.nfull - partable.lin.nstar
    df3 = G * pstar - npar3
    df3b = G * pstar
    c3b = tr_g / df3b
    if df3 > 0:
        c3 = ks / df3
        X3s = X3 / c3
    else:  # saturated: lavaan's ks/0 is infinite, so the scaled statistic is 0
        c3, X3s = math.inf, 0.0
    n_rmsea = N - G  # lavaan's lav_utils_get_ntotal() of the DWLS fit
    out = {}
    if df > 0 and c3 != 1 and c3b != 1:
        out["cfi_robust"] = cfi(X3, df, X3b, base_df, c3, c3b)
        out["tli_robust"] = tli(X3, df, X3b, base_df, c3, c3b)
    else:
        out["cfi_robust"] = cfi(X3, df, X3b, base_df)
        out["tli_robust"] = tli(X3, df, X3b, base_df)
    if df3 > 0 and math.isfinite(c3):
        out["rmsea_robust"] = rmsea(X3, df3, n_rmsea, G, c3)
        lo, hi = rmsea_ci(X3s, df3, n_rmsea, G, c_hat=c3)
        ncp_close = n_rmsea * df3 / c3 * 0.05 ** 2 / G
        ncp_notclose = n_rmsea * df3 / c3 * 0.08 ** 2 / G
        out["rmsea_ci_lower_robust"], out["rmsea_ci_upper_robust"] = lo, hi
        out["rmsea_pvalue_robust"] = float(ncx2_sf(X3s, df3, ncp_close))
        out["rmsea_notclose_pvalue_robust"] = float(ncx2_cdf(X3s, df3, ncp_notclose))
    else:
        out["rmsea_robust"] = 0.0
        out["rmsea_ci_lower_robust"] = out["rmsea_ci_upper_robust"] = 0.0
        out["rmsea_pvalue_robust"] = out["rmsea_notclose_pvalue_robust"] = math.nan
    return out
