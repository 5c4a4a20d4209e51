"""WLSMV with observed exogenous covariates: lavaan's ``conditional.x = TRUE``.

:func:`fit_wlsmv_x` fits ordinal SEMs whose latent variables or ordered items
are regressed on observed covariates (continuous or 0/1 numeric, not declared
ordered), as ``lavaan::sem(model, data, ordered = items, estimator = "WLSMV")``
does by default for categorical data:

1. Stage 1 (:mod:`.ordinal_stage1_x`): per item an ordered probit regression
   on all covariates, per pair the residual polychoric correlation given the
   covariates, and their asymptotic covariance :math:`\\Gamma`.
2. Stage 2 (:func:`.wlsmv.fit_stage2`): DWLS on (thresholds, slopes,
   residual correlations) with the model of :mod:`.ordinal_model_x`; robust
   SEs, the scaled-shifted test and the baseline model (thresholds and slopes
   free, residual correlations zero: lavaan's independence model with
   covariates).

Continuous endogenous observed variables (not listed in ``ordered``: a
continuous outcome ``perf ~ F1 + F2 + x`` or indicator ``F =~ ... + c``) get
a linear regression on all covariates in stage 1 (intercept, slopes, residual
variance) and enter the pair block with residual polyserial and covariance
entries (:func:`.ordinal_stage1_x.mixed_stage1_x`); their slot among the
thresholds holds minus the intercept, their residual variances follow the
slopes, as lavaan's ``WLS.obs``.

The covariates' means and covariances are fixed at their sample values
(``x ~~ x``, ``x ~ 1`` rows; divisor :math:`N-1`, as lavaan's ``sampstat`` for
categorical data) and enter only the standardized solution and
:math:`R^2`. Rows with a missing covariate are dropped (lavaan does the same,
also under ``missing = "pairwise"``). Robust (catML) CFI/TLI/RMSEA are NaN, as
lavaan's NA with covariates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option
from qimscale.errors import DataError, ModelError

from .._threads import single_thread_blas
from .ordinal_model_x import OrdinalXModel
from .ordinal_stage1_mixed import correlation_residuals, encode_mixed
from .ordinal_stage1_x import covariate_matrix, mixed_stage1_x, ordinal_stage1_x
from .partable import build_partable
from .syntax import parse_model, read_model_text
from .wlsmv import WLSMVResult, fit_stage2, infer_ordered, prepare_ordinal_data, spec_options, with_warnings

__all__ = ["fit", "fit_wlsmv_x", "WLSMVXResult", "srmr_conditional_x"]


#: why reliability, HTMT and Fornell-Larcker stop for a fit with covariates
NO_RELIABILITY_X = ("reliability (categorical omega, AVE), HTMT and the Fornell-Larcker matrix are not available "
                    "for a WLSMV fit with covariates: its correlations are conditional on the covariates, and "
                    "semTools (compRelSEM, AVE) stops on such fits too; fit the measurement model without the "
                    "covariates for them")


@dataclass
class WLSMVXResult(WLSMVResult):
    """A WLSMV fit with observed covariates (see :class:`~.wlsmv.WLSMVResult`).

    Standardized values use the model-implied *total* variances, which include
    the part the covariates explain (their covariances fixed at the sample
    values), as ``lavaan::standardizedSolution()``; :meth:`r_squared` gives
    lavaan's ``lavInspect(fit, "r2")``.
    """

    title = "Structural equation model (WLSMV, covariates conditional.x)"
    has_reliability = False

    def reliability(self, group: int = 0):
        """Not available with covariates: raises :class:`~qimscale.errors.ModelError`."""
        raise ModelError(NO_RELIABILITY_X)

    def htmt(self, group: int = 0, *, geometric: bool = True):
        """Not available with covariates: raises :class:`~qimscale.errors.ModelError`."""
        raise ModelError(NO_RELIABILITY_X)

    def fornell_larcker(self, group: int = 0):
        """Not available with covariates: raises :class:`~qimscale.errors.ModelError`."""
        raise ModelError(NO_RELIABILITY_X)

    def _moments(self, g, theta=None):
        """Total covariances of (latent variables, latent responses) including the covariates."""
        om = self.model
        M = om.matrices(self.theta if theta is None else theta, g)
        st = self.stats[g]
        Sxx = st.x_cov
        A, L, Gm, K, d = M["ib_inv"], M["lambda"], M["gamma"], M["kappa"], M["delta"]
        veta = A @ (Gm @ Sxx @ Gm.T + M["psi"]) @ A.T
        cov_ex = A @ Gm @ Sxx  # cov(eta, x)
        common_c = np.einsum("ik,kl,il->i", L, M["psi_total"], L)
        theta_full = M["theta"].copy()
        rv = 1.0 / d ** 2 - common_c
        rv[om.num] = np.diag(M["theta"])[om.num]  # continuous variables: the residual variance parameter
        np.fill_diagonal(theta_full, rv)
        LcK = L @ cov_ex @ K.T
        vy = L @ veta @ L.T + LcK + LcK.T + K @ Sxx @ K.T + theta_full
        return M, veta, vy, theta_full, Sxx

    def _std_scales(self, g, theta):
        """Total sds (covariates included) of the latent responses and latent variables, the
        residual variances, and the covariates' sds and sample moments."""
        M, veta, vy, th_full, Sxx = self._moments(g, theta)
        sd_f = np.sqrt(np.where(np.diag(veta) > 0, np.diag(veta), np.nan))
        return (np.sqrt(np.diag(vy)), sd_f, np.diag(th_full).copy(), np.sqrt(np.diag(Sxx)), self.stats[g],
                np.diag(M["psi"]).copy())

    def _row_special(self, row, scales, theta):
        """The covariates' fixed moments and the regressions on covariates."""
        xi = self.__dict__.get("_xi") or self.__dict__.setdefault(
            "_xi", {x: k for k, x in enumerate(self.model.covariates)})
        op, lhs, rhs = row["op"], row["lhs"], row["rhs"]
        if op not in ("~~", "~1", "~") or (op == "~" and rhs not in xi) or (op == "~1" and lhs not in xi):
            return None
        sd_y, sd_f, _, sd_x, st, psi = scales
        lv = self.model.lv
        if op == "~~" and lhs != rhs and lhs in lv:
            # a covariance of disturbances: standardized by the disturbance variances, as lavaan
            free = row["free"] - 1
            e = theta[free] if free >= 0 else row["ustart"]
            a, b = psi[lv.index(lhs)], psi[lv.index(rhs)]
            std = e / math.sqrt(a * b) if a > 0 and b > 0 else math.nan
            return e, std, std
        if lhs in xi and op == "~1":
            e = st.x_mean[xi[lhs]]
            return e, e, e / sd_x[xi[lhs]]
        if lhs in xi and op == "~~":
            e = st.x_cov[xi[lhs], xi[rhs]]
            return e, e, e / (sd_x[xi[lhs]] * sd_x[xi[rhs]])
        if op == "~" and rhs in xi:
            free = row["free"] - 1
            e = theta[free] if free >= 0 else row["ustart"]
            if lhs in lv:
                std_lv = e / sd_f[lv.index(lhs)]
                return e, std_lv, std_lv * sd_x[xi[rhs]]
            return e, e, e * sd_x[xi[rhs]] / sd_y[self.model.ov.index(lhs)]
        return None

    def r_squared(self) -> pd.DataFrame:
        """Explained variance of the latent responses and endogenous latent variables.

        Returns
        -------
        DataFrame
            ``variable, group, r2``: :math:`1 - \\theta_{ii}/\\sigma^2_{ii}` for
            every item (:math:`\\sigma^2` the total variance of its latent
            response, covariates included; for a continuous variable its own) and :math:`1 - \\psi_{ff}/\\mathrm{Var}(\\eta_f)`
            for every latent variable that is regressed on something, as
            ``lavInspect(fit, "r2")`` (NaN where the residual variance is negative, lavaan's NA).
        """
        om = self.model
        recs = []
        for g in range(om.ngroups):
            M, veta, vy, th_full, _ = self._moments(g)
            for i, v in enumerate(om.ov):
                recs.append({"variable": v, "group": g + 1, "r2": _r2(th_full[i, i], vy[i, i])})
            endo = np.flatnonzero((np.abs(M["beta"]).sum(axis=1) > 0) | (np.abs(M["gamma"]).sum(axis=1) > 0))
            for f in endo:
                recs.append({"variable": om.lv[f], "group": g + 1, "r2": _r2(M["psi"][f, f], veta[f, f])})
        return pd.DataFrame.from_records(recs, columns=["variable", "group", "r2"])

    def summary(self) -> str:
        """:meth:`.WLSMVResult.summary` followed by the :math:`R^2` table."""
        r2 = self.r_squared().to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return f"{super().summary()}\n\nR-square (latent responses, continuous variables and regressed latent variables):\n{r2}"

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables of :meth:`.WLSMVResult.tables` plus ``"r2"`` (:meth:`r_squared`)."""
        out = super().tables()
        out["r2"] = self.r_squared()
        return out

    def to_dict(self) -> dict:
        """:meth:`.WLSMVResult.to_dict` plus ``covariates`` and ``r2``."""
        out = super().to_dict()
        out["covariates"] = list(self.model.covariates)
        out["r2"] = self.r_squared().to_dict(orient="records")
        return out


def _r2(residual, total) -> float:
    """:math:`1 - residual/total`; NaN for a negative residual variance (Heywood), as lavaan's NA."""
    return float(1.0 - residual / total) if residual >= 0 and total > 0 else math.nan


def srmr_conditional_x(result) -> float:
    """SRMR of a WLSMV fit with covariates, as lavaan's ``fitMeasures(fit, "srmr")``.

    lavaan (``lav_residuals_summary``, type ``cor.bentler`` without means) takes
    the residual correlations :math:`r_{ij} - \\hat\\rho_{ij}` of the latent
    responses given the covariates (with continuous variables the residual
    covariances divided by the observed residual sds,
    :math:`(s_{ij} - \\hat\\sigma_{ij})/\\sqrt{s_{ii}s_{jj}}`) and divides their sum of squares by
    :math:`p(p-1)/2 + n_{ov}`, where :math:`n_{ov} = p + q` counts the items
    *and* the covariates: :math:`\\mathrm{SRMR} = \\sum_g f_g
    \\sqrt{\\sum_{i>j}(r_{ij} - \\hat\\rho_{ij})^2 / (p(p-1)/2 + p + q)}`.

    Parameters
    ----------
    result : WLSMVXResult

    Returns
    -------
    float
    """
    om = result.model
    k = om.p * (om.p - 1) / 2 + om.p + om.q
    total = 0.0
    for g, (st, f) in enumerate(zip(result.stats, result.extra["fg"])):
        S = st.cov if getattr(st, "cov", None) is not None else st.cor
        res = correlation_residuals(S, om.implied_cor(result.theta, g))  # Bentler's, diagonal zero
        total += f * math.sqrt(np.sum(res ** 2) / k)
    return float(total)


def fit_wlsmv_x(data: pd.DataFrame, stmts, *, ordered="all", group=None, group_equal=(), group_partial=(),
                std_lv=False, collapse=None, missing="listwise") -> WLSMVXResult:
    """Fit an ordinal SEM with observed covariates by WLSMV (``conditional.x = TRUE``).

    Matches ``lavaan::sem(model, data, ordered = items, estimator = "WLSMV",
    group = group, group.equal = group_equal, missing = missing)`` with
    covariates (lavaan 0.6-14 defaults: ``conditional.x = TRUE``, ``fixed.x = TRUE``,
    delta parameterisation, ``se = "robust.sem"``, ``test = "scaled.shifted"``).

    Parameters
    ----------
    data : DataFrame
        Ordered items (integers or ordered categoricals), numeric covariates,
        and ``group``.
    stmts : list of Statement
        Parsed model; its observed exogenous covariates are the variables that
        only predict (``F ~ x``, ``y ~ x``).
    ordered : "all", True or list of str
        The ordered items; ``"all"`` means every observed variable that is not
        a covariate (lavaan's ``ordered = TRUE``). With a list, the other
        observed variables that are not covariates are continuous.
    group, group_equal, group_partial, std_lv, collapse
        As :func:`.wlsmv.fit_wlsmv`.
    missing : {"listwise", "pairwise"}
        Rows with a missing covariate are always dropped; otherwise as
        :func:`.wlsmv.prepare_ordinal_data` (``"pairwise"`` keeps every row
        with one observed item or continuous variable).

    Returns
    -------
    WLSMVXResult

    Raises
    ------
    ModelError
        A covariate declared ordered, no ordered variable at all, or an
        unsupported model element.
    DataError
        Missing columns, non-numeric covariate values, constant or collinear
        covariates in a group, empty categories.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from qimscale.analysis.cfa.syntax import parse_model
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=600)
    >>> f = 0.5 * x + rng.normal(size=600)
    >>> y = 0.8 * f[:, None] + rng.normal(size=(600, 4))
    >>> d = pd.DataFrame(np.digitize(y, [-1, 0, 1]), columns=["a", "b", "c", "d"]).assign(x=x)
    >>> res = fit_wlsmv_x(d, parse_model("F =~ a + b + c + d\\nF ~ x"))
    >>> res.fit_measures()["df"]
    5
    """
    check_option("missing", missing, ("listwise", "pairwise"), "WLSMV")
    probe = build_partable(stmts, ngroups=None)
    x_names = list(probe.ov_x)
    ov_y = [v for v in probe.ov if v not in x_names]
    if ordered is True or (isinstance(ordered, str) and ordered == "all"):
        items = list(ov_y)
    else:
        items = infer_ordered(ordered, list(probe.ov))
    as_ordered = [x for x in x_names if x in items]
    if as_ordered:
        raise ModelError(f"{as_ordered} only predict, so they are exogenous covariates, but they are declared "
                         "ordered; qimscale takes covariates as numeric (code a categorical covariate as 0/1 "
                         "dummies) and does not fit ordered covariates")
    cont = [v for v in ov_y if v not in items]
    items = [v for v in ov_y if v in items]  # model order, as the stage-2 model
    if not items:
        raise ModelError("WLSMV needs at least one ordered variable; with continuous variables only use "
                         "estimator 'ML' or 'MLR'")
    if not isinstance(data, pd.DataFrame):
        raise DataError("data must be a pandas DataFrame with one column per observed variable")
    X = covariate_matrix(data, x_names)
    keep = ~np.isnan(X).any(axis=1)
    n_x_missing = int((~keep).sum())
    if group:
        if group not in data.columns:
            raise DataError(f"group column {group!r} not found in the data; available: {list(data.columns)}")
        keep &= data[group].notna().to_numpy()
    absent = [c for c in items + cont if c not in data.columns]
    if absent:
        raise DataError(f"column(s) {absent} not found in the data; available: {list(data.columns)}")
    if missing == "listwise":
        keep &= data[items + cont].notna().all(axis=1).to_numpy()
    else:  # a row needs one observed endogenous variable (ordered or continuous)
        keep &= data[items + cont].notna().any(axis=1).to_numpy()
    n_dropped = int((~keep).sum())
    d = data.loc[keep]
    by, labels, levels, _ = prepare_ordinal_data(d, items, group, collapse=collapse, missing=missing,
                                                 present=items + cont)
    Xk = X[keep]
    values = encode_mixed(d, cont, [])[1]
    masks = [d[group].to_numpy() == lab for lab in labels] if group else [np.ones(len(d), dtype=bool)]
    n_lev = [len(levels[v]) for v in items]
    with single_thread_blas():
        if cont:
            stats = [mixed_stage1_x(c, values[mk], Xk[mk], n_lev, ov_y, items, x_names, group_label=lab,
                                    categories=[list(levels[v]) for v in items])
                     for c, mk, lab in zip(by, masks, labels)]
        else:
            stats = [ordinal_stage1_x(c, Xk[mk], n_lev, items, x_names, group_label=lab,
                                      categories=[list(levels[v]) for v in items])
                     for c, mk, lab in zip(by, masks, labels)]
    nth = {v: len(levels[v]) - 1 for v in items}
    partable = build_partable(stmts, ngroups=len(labels), std_lv=std_lv, meanstructure=True,
                              group_equal=group_equal, group_partial=group_partial, ordered=nth)
    xi = {x: k for k, x in enumerate(x_names)}
    for r in partable.rows:  # the covariates' fixed moments, per group
        if r["lhs"] in xi and r["op"] in ("~~", "~1") and r["free"] == 0:
            st = stats[r["group"] - 1]
            r["ustart"] = float(st.x_mean[xi[r["lhs"]]] if r["op"] == "~1"
                                else st.x_cov[xi[r["lhs"]], xi[r["rhs"]]])
    om = OrdinalXModel(partable, nth)  # its variables are ``ov_y``, in the same (model) order
    res = fit_stage2(om, partable, stats, labels, n_dropped,
                     extra={"collapsed": collapse or {}, "missing": missing})
    out = WLSMVXResult(**{f.name: getattr(res, f.name) for f in fields(res)})
    out.fit["srmr"] = srmr_conditional_x(out)
    if n_x_missing:
        out.warnings_.append(f"{n_x_missing} row(s) with a missing covariate value were dropped (the "
                             "covariates are fixed at their sample values; lavaan drops them too)")
    other = n_dropped - n_x_missing
    if other > 0:
        why = ("with a missing item or group value were dropped (listwise deletion, lavaan's WLSMV default)"
               if missing == "listwise" else "without any observed variable or without a group value were dropped")
        out.warnings_.append(f"{other} further row(s) {why}")
    return out


def fit(spec, data: pd.DataFrame) -> WLSMVXResult:
    """Entry point used by :meth:`qimscale.analysis.cfa.CFA.fit` (and ``sem()``) for ``estimator="WLSMV"``
    when the model regresses on observed covariates.

    Parameters
    ----------
    spec : CFA
        The estimator object holding the options (see :func:`.wlsmv.fit`).
    data : DataFrame

    Returns
    -------
    WLSMVXResult

    Raises
    ------
    ModelError, DataError
        As :func:`.wlsmv.fit` and :func:`fit_wlsmv_x`.
    """
    opts = spec_options(spec, data)
    return with_warnings(fit_wlsmv_x, data, parse_model(read_model_text(spec.model)), **opts)
