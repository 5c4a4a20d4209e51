"""WLSMV: diagonally weighted least squares on thresholds and polychorics.

:func:`fit_wlsmv` fits a CFA whose indicators are ordered categorical, as
``lavaan::cfa(model, data, ordered = ..., estimator = "WLSMV")`` does:

1. **Stage 1** (per group, :mod:`.ordinal_stage1`): thresholds, two-step
   polychoric correlations and their asymptotic covariance :math:`\\Gamma_g`.
2. **Stage 2**: minimise
   :math:`F = \\sum_g (n_g - 1)\\,(s_g - \\sigma_g)^\\top W_g (s_g - \\sigma_g)`
   with :math:`W_g = \\operatorname{diag}(\\Gamma_g)^{-1}` (lavaan's
   ``WLS.V``), the delta parameterisation (:mod:`.ordinal_model`) and
   Gauss-Newton steps. :math:`T = F` at the minimum is lavaan's ``chisq``.
3. **Robust SEs**: with :math:`f_g = n_g/N`,
   :math:`E = \\sum_g f_g \\Delta_g^\\top W_g \\Delta_g` and
   :math:`B = \\sum_g f_g \\Delta_g^\\top W_g \\Gamma_g W_g \\Delta_g`,
   :math:`\\operatorname{Var}(\\hat\\theta) = E^{-1} B E^{-1} / (N - G)`
   (``se = "robust.sem"``; lavaan divides by :math:`N - G` for categorical
   data, as it does for RMSEA).
4. **Scaled-shifted test** (Asparouhov & Muthén, 2010): with
   :math:`U = V - V\\Delta E^{-1}\\Delta^\\top V`, :math:`V = \\oplus_g f_g W_g`
   and :math:`\\Gamma = \\oplus_g \\Gamma_g / f_g`,
   :math:`a = \\sqrt{df / \\operatorname{tr}((U\\Gamma)^2)}`,
   :math:`b = df - a\\,\\operatorname{tr}(U\\Gamma)` and
   :math:`T_{ss} = aT + b` (lavaan's ``chisq.scaled``; ``chisq.scaling.factor``
   is :math:`1/a`).
5. **Fit indices**: the baseline model keeps the thresholds and sets every
   polychoric correlation to zero; ``cfi_scaled``, ``tli_scaled`` and
   ``rmsea_scaled`` use the scaled-shifted statistics of the model and the
   baseline (:math:`\\mathrm{RMSEA} = \\sqrt{G}\\sqrt{\\max(T/(N-G)/df - 1/(N-G), 0)}`),
   and ``srmr`` is Bentler's SRMR on the correlation residuals
   (:math:`\\sum_g f_g\\sqrt{\\sum_{i>j} r_{ij}^2 / (p(p+1)/2)}`).
   ``cfi_robust``, ``tli_robust`` and ``rmsea_robust`` (with its interval and
   p-values) are Savalei's (2021) catML indices, see :mod:`.wlsmv_robust`.

Lavaan's ``zero.add`` rule (0.5 added to a single empty cell of a 2 x 2
table, margins kept) is applied; larger tables are used as observed.

References
----------
Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using
weighted least squares and quadratic estimating equations in latent variable
modeling with categorical and continuous outcomes. Technical report.

Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square
correction. Mplus technical appendix. https://www.statmodel.com/download/WLSMV_new_chi21.pdf

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
*Journal of Statistical Software*, 48(2), 1–36. https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg.lapack import dpotrf, dpotrs
from scipy.special import ndtr

from qimscale._core.checks import check_option
from qimscale._core.distributions import chi2_sf, norm_ppf, norm_sf
from qimscale._core.linalg import eigvalsh, is_positive_semidefinite, is_singular, unit_diagonal
from qimscale._core.result import Result, measure_table
from qimscale.analysis.bivariate_normal import bvn_cdf
from qimscale.errors import ConvergenceError, DataError, ModelError

from .._threads import single_thread_blas
from .fit_indices import cfi, rmsea, rmsea_ci, rmsea_close, tli
from .ordinal_model import OrdinalModel
from .ordinal_stage1 import SPARSE_CATEGORY_COUNT, category_label, encode_ordinal, ordinal_stage1
from .ordinal_stage1_mixed import correlation_residuals, cov2cor, mixed_stage1_groups
from .partable import build_partable
from .syntax import parse_model, read_model_text
from .wlsmv_lrt import lrt_satorra2000
from .wlsmv_robust import ROBUST_KEYS, catml_robust_indices

__all__ = ["fit_wlsmv", "WLSMVResult", "prepare_ordinal_data", "collapse_categories",
           "category_counts", "ordinal_stage1_groups", "fit_stage2", "infer_ordered",
           "renumber_free"]


# ---------------------------------------------------------------------------
# data preparation
# ---------------------------------------------------------------------------
def collapse_categories(data: pd.DataFrame, collapse: dict) -> pd.DataFrame:
    """Return a copy of ``data`` with categories merged as the user asks.

    Parameters
    ----------
    data : DataFrame
    collapse : dict
        ``{item: {old_value: new_value, ...}}``, e.g. ``{"y4": {1: 2}}`` merges
        category 1 of ``y4`` into category 2.

    Returns
    -------
    DataFrame
        A copy; ``data`` itself is never modified.

    Raises
    ------
    DataError
        If an item is not a column of ``data``.
    """
    out = data.copy()
    for item, mapping in (collapse or {}).items():
        if item not in out.columns:
            raise DataError(f"collapse: '{item}' is not a column of the data")
        out[item] = out[item].replace(mapping)
    return out


def prepare_ordinal_data(data: pd.DataFrame, items: list, group: str | None = None,
                         *, collapse: dict | None = None, missing: str = "listwise", present: list | None = None):
    """Encode the ordered items and split them by group (listwise deletion).

    Parameters
    ----------
    data : DataFrame
    items : list of str
        Ordered items, in model order.
    group : str, optional
        Grouping column.
    collapse : dict, optional
        Explicit category merges, see :func:`collapse_categories`.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` drops every row with a missing item (lavaan's default);
        ``"pairwise"`` keeps rows with at least one observed item (missing
        responses are coded ``-1``). Rows without a group value are always
        dropped.
    present : list of str, optional
        With ``"pairwise"``: keep rows with at least one of these columns
        observed instead (e.g. the items and continuous variables).

    Returns
    -------
    codes_by_group : list of ndarray
    group_labels : list
    levels : dict of item -> list of levels (over all groups)
    n_dropped : int
        Rows dropped (see ``missing``).

    Raises
    ------
    DataError
        Missing columns, items with fewer than two categories, a group (or the
        data) with fewer than two usable rows.
    """
    if collapse:
        data = collapse_categories(data, collapse)
    if group and group in items:
        raise ModelError(f"the group column {group!r} is also a variable of the model; group by another "
                         "column or drop it from the model")
    cols = list(items) + ([group] if group else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise DataError(f"column(s) {absent} not found in the data; available: {list(data.columns)}")
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]} & set(cols))
    if dup:
        raise DataError(f"column(s) {dup} appear more than once in the data; rename or drop the duplicates")
    check_option("missing", missing, ("listwise", "pairwise"), "WLSMV")
    if missing == "listwise":
        complete = data[cols].notna().all(axis=1).to_numpy()
    else:
        complete = data[list(present or items)].notna().any(axis=1).to_numpy()
        if group:
            complete = complete & data[group].notna().to_numpy()
    n_dropped = int((~complete).sum())
    d = data.loc[complete]
    codes, levels = encode_ordinal(d, list(items))
    if group:
        gv = d[group].to_numpy()
        # labels from every row with a group value: a group that deletion empties is an error, not dropped
        labels = [lab.item() if isinstance(lab, np.generic) else lab
                  for lab in pd.unique(data[group].dropna().to_numpy())]
        by = [codes[gv == lab] for lab in labels]
    else:
        labels = [None]
        by = [codes]
    short = [("" if lab is None else f"group {lab!r}: ") + f"{len(c)} case(s)" for c, lab in zip(by, labels)
             if len(c) < 2]
    if short:
        raise DataError(f"too few usable cases after dropping rows ({missing} deletion): {'; '.join(short)}; "
                        "check which items are missing there, or use missing='pairwise'")
    return by, labels, levels, n_dropped


# ---------------------------------------------------------------------------
# the test statistic machinery
# ---------------------------------------------------------------------------
def _active_columns(D: np.ndarray) -> np.ndarray:
    """The columns (parameters) of a group's Jacobian that are not all zero: in a multi-group model a
    group's moments depend only on its own and the shared parameters, so products with ``D`` can
    skip the other columns (same numbers, about G times fewer operations)."""
    return np.flatnonzero(np.any(D != 0.0, axis=0))


#: a sample polychoric correlation beyond this (in absolute value) is reported, as lavaan does
NEARLY_ONE = 0.99


def _ug_traces(deltas, wdiag, gammas, fg, E_inv):
    """tr(UΓ) and tr((UΓ)²) for the stacked multi-group problem (lavaan 'original').

    With :math:`V = \\oplus_g f_g W_g`, :math:`\\Gamma = \\oplus_g \\Gamma_g/f_g` and
    :math:`X = E^{-1}\\Delta^\\top V\\Gamma`, :math:`U\\Gamma = V\\Gamma - V\\Delta X`,
    so both traces reduce to per-group blocks and small (npar x npar) products.
    """
    t_vg = t_vg2 = t_cross = 0.0
    XVD = np.zeros_like(E_inv)
    for D, w, G, f in zip(deltas, wdiag, gammas, fg):
        v = f * w
        VG = v[:, None] * (G / f)  # V_g Γ_g
        cols = _active_columns(D)  # Δ_g is zero outside them: the products below skip the zero columns
        VD = v[:, None] * D[:, cols]
        X = E_inv[:, cols] @ (VD.T @ (G / f))  # (npar, k_g) = E⁻¹ Δ_g' V_g Γ_g
        t_vg += np.trace(VG)
        t_vg2 += np.sum(VG * VG.T)
        XVD[:, cols] += X @ VD
        # tr(VG VD X) = sum(VG @ VD * X.T)
        t_cross += np.sum((VG @ VD) * X[cols].T)
    tr1 = t_vg - np.trace(XVD)
    tr2 = t_vg2 - 2.0 * t_cross + np.sum(XVD * XVD.T)
    return float(tr1), float(tr2)


def _scaled_shifted(chisq, df, tr1, tr2):
    if df <= 0:  # saturated: no correction; lavaan reports the standard statistic
        return dict(stat=chisq, a=math.nan, shift=math.nan, scaling_factor=math.nan)
    if tr2 <= 0:
        return dict(stat=math.nan, a=math.nan, shift=math.nan, scaling_factor=math.nan)
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    return dict(stat=chisq * a + b, a=a, shift=b, scaling_factor=1.0 / a)


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
#: why :meth:`WLSMVResult.bootstrap` (and ``qimscale cfa --bootstrap`` with ordinal items) stops
WLSMV_NO_BOOTSTRAP = ("bootstrap is not available for WLSMV (ordinal items): the estimates already carry "
                      "robust standard errors and confidence intervals (lavaan's se = \"robust.sem\"); to "
                      "bootstrap, fit the items as continuous (estimator ML or MLR)")

@dataclass
class WLSMVResult(Result):
    """A fitted WLSMV model. Create with :func:`fit_wlsmv`.

    Attributes
    ----------
    partable : ParTable
    model : OrdinalModel
    theta : ndarray
        Free parameter estimates.
    vcov : ndarray
        Robust (sandwich) covariance of ``theta``.
    stats : list of OrdinalStats
        Stage-1 statistics per group.
    group_labels : list
    fit : dict
        Fit measures with lavaan's names (``.`` replaced by ``_``).
    test : dict
        ``chisq``, ``df``, ``trace_ugamma``, ``trace_ugamma2``, ``a``, ``shift``.
    n_dropped : int
    warnings_ : list of str
        What the user should know (dropped rows, Heywood cases, stage-1 notes);
        also as :attr:`warnings`, the result protocol's name.

    Notes
    -----
    The same protocol and, where they apply, the same methods as
    :class:`~.results.CFAResult`: :meth:`fit_measures` (computed once, when the
    model is fitted), :meth:`parameter_estimates`, :meth:`standardized_solution`,
    :meth:`reliability`, :meth:`htmt`, :meth:`fornell_larcker`, :meth:`implied`,
    :meth:`residual_correlations`, :meth:`summary`, :meth:`to_dict` and
    :meth:`tables`, :meth:`release_tests` and :meth:`modification_indices`
    (:mod:`.modindices_wlsmv`). :meth:`bootstrap`
    is not available for WLSMV and raises :class:`~qimscale.errors.ModelError`
    saying what to use instead.
    """

    partable: object
    model: OrdinalModel
    theta: np.ndarray
    vcov: np.ndarray
    stats: list
    group_labels: list
    fit: dict
    test: dict
    n_dropped: int = 0
    iterations: int = 0
    extra: dict = field(default_factory=dict)
    warnings_: list = field(default_factory=list)

    # -- the CFAResult interface ----------------------------------------------
    estimator = "WLSMV"
    #: whether reliability / HTMT / Fornell-Larcker apply (not with covariates: see wlsmv_x)
    has_reliability = True
    converged_ = True
    title = "Confirmatory factor analysis (WLSMV)"

    @property
    def warnings(self) -> list[str]:
        """The result protocol's name for :attr:`warnings_` (the same list)."""
        return self.warnings_

    def tables(self) -> dict[str, pd.DataFrame]:
        """``"fit"`` (``measure, value``), ``"estimates"``, ``"reliability"`` (``factor, group,
        omega, ave``) and ``"categories"`` (``item, group, category, count``; categories
        numbered 1..K in the order of the observed values)."""
        from .results import _reliability_table

        counts = [{"item": it, "group": g + 1, "category": c + 1, "count": int(n)}
                  for g, st in enumerate(self.stats) for it, cnt in zip(self.model.ov, st.counts)
                  for c, n in enumerate(cnt)]
        out = {"fit": measure_table(self.fit_measures()), "estimates": self.parameter_estimates(),
               "reliability": _reliability_table(self, self.model.ngroups) if self.has_reliability else None,
               "categories": pd.DataFrame.from_records(counts, columns=["item", "group", "category", "count"])}
        return {k: v for k, v in out.items() if v is not None}

    def standardized_solution(self) -> pd.DataFrame:
        """The standardised estimates: ``lhs, op, rhs, group, std_lv, std_all``
        (the standardised columns of :meth:`parameter_estimates`; their SEs are not computed)."""
        return self.parameter_estimates()[["lhs", "op", "rhs", "group", "std_lv", "std_all"]]

    def implied(self) -> list:
        """Per group: ``(R, tau)``, the model-implied correlations of the latent responses
        (items × items DataFrame) and thresholds (Series indexed ``item|t1``, ...), as
        ``lavInspect(fit, "implied")`` (``cov`` and ``th``). A continuous variable has its
        implied variance and covariances in ``R`` and its implied mean in ``tau`` (``var~1``)."""
        ov, cont = self.model.ov, self.model.continuous
        labels = [f"{it}~1" if it in cont else f"{it}|t{c + 1}" for it, k in zip(ov, self.model.nth)
                  for c in range(k)]
        sign = np.array([-1.0 if lab.endswith("~1") else 1.0 for lab in labels])  # the slot holds -mean
        out = []
        for g in range(self.model.ngroups):
            R = pd.DataFrame(self.model.implied_cor(self.theta, g), index=ov, columns=ov)
            out.append((R, pd.Series(sign * self.model.implied(self.theta, g)[: self.model.n_th], index=labels)))
        return out

    def residual_correlations(self) -> list[pd.DataFrame]:
        """Sample polychoric minus model-implied correlations, per group
        (``lavResiduals(fit, type = "cor")$cov`` for ordered items)."""
        ov = self.model.ov
        if self.model.n_var:  # continuous variables: both covariance matrices as correlations
            return [pd.DataFrame(cov2cor(st.cov) - cov2cor(self.model.implied_cor(self.theta, g)), index=ov,
                                 columns=ov) for g, st in enumerate(self.stats)]
        return [pd.DataFrame(st.cor - self.model.implied_cor(self.theta, g), index=ov, columns=ov)
                for g, st in enumerate(self.stats)]

    def fornell_larcker(self, group: int = 0) -> pd.DataFrame:
        """Factor correlations with √AVE (latent-response scale, :meth:`reliability`) on the diagonal."""
        P = self.model.matrices(self.theta, group)["psi_total"]  # total (not disturbance) covariances
        sd = np.sqrt(np.diag(P))
        R = P / np.outer(sd, sd)
        ave = self.reliability(group)["ave"]
        lv = list(self.model.lv)
        for i, f in enumerate(lv):  # a second-order factor has no AVE (its indicators are factors): NaN
            R[i, i] = math.sqrt(ave[f]) if f in ave and ave[f] >= 0 else math.nan
        return pd.DataFrame(R, index=lv, columns=lv)

    def htmt(self, group: int = 0, *, geometric: bool = True) -> pd.DataFrame:
        """HTMT of the factors from the sample polychoric correlations (``semTools::htmt(model, data,
        ordered = ...)``); see :meth:`~.results.CFAResult.htmt`."""
        from .validity import htmt_matrix

        L = self.model.matrices(self.theta, group)["lambda"]
        indicators = {f: [self.model.ov[i] for i in np.flatnonzero(L[:, k] != 0)]
                      for k, f in enumerate(self.model.lv) if np.any(L[:, k] != 0)}  # not second-order ones
        return htmt_matrix(self.stats[group].cor, self.model.ov, indicators, geometric=geometric)

    def bootstrap(self, n_boot: int = 1000, **kwargs):
        """Not available for WLSMV: raises :class:`~qimscale.errors.ModelError`."""
        raise ModelError(WLSMV_NO_BOOTSTRAP)

    def modification_indices(self, *, minimum: float = 0.0) -> pd.DataFrame:
        """Score tests of fixed parameters (``lavaan::modindices(fit)``): columns ``lhs, op, rhs,
        group, mi, epc, sepc_all``, sorted by ``mi``; see
        :func:`~.modindices_wlsmv.wlsmv_modification_indices`."""
        from .modindices_wlsmv import wlsmv_modification_indices

        return wlsmv_modification_indices(self, minimum=minimum)

    def release_tests(self) -> pd.DataFrame:
        """Univariate score tests for releasing each equality constraint (``lavTestScore(fit)$uni``).

        See :func:`~.score_tests.score_tests` (lavaan's unscaled statistic); columns
        ``lhs, op, rhs, group, x2, df, pvalue, epc``, sorted by ``x2``.
        """
        from .score_tests import score_tests

        return score_tests(self, cumulative=False).univariate

    @property
    def theta_(self) -> np.ndarray:
        """Free parameter estimates (``CFAResult`` name)."""
        return self.theta

    @property
    def vcov_(self) -> np.ndarray:
        """Robust covariance of the estimates (``CFAResult`` name)."""
        return self.vcov

    @property
    def partable_(self):
        """The parameter table (``CFAResult`` name)."""
        return self.partable

    @property
    def group_labels_(self) -> list:
        """Group labels (``[None]`` for one group)."""
        return self.group_labels

    @property
    def ntotal_(self) -> int:
        """Number of cases used."""
        return int(self.fit["ntotal"])

    def chisq_difference(self, other) -> tuple:
        """Scaled-shifted χ² difference against a nested, less restricted fit.

        ``self`` must be the more restricted model. Returns ``(statistic, df)``
        as ``lavaan::lavTestLRT(other, self)`` (``method = "satorra.2000"``).
        """
        out = lrt_satorra2000(other, self)
        return out["chisq_diff"], out["df_diff"]

    def to_dict(self) -> dict:
        """JSON-ready dict: ``fit``, ``estimates``, ``reliability`` (first group;
        ``reliability_by_group`` for several groups), ``validity`` (``htmt`` and
        ``fornell_larcker`` of the first group, with two or more factors),
        ``categories`` (counts per item and group), ``warnings``, ``converged``."""
        pe = self.parameter_estimates()
        by_group = []
        for g in range(self.model.ngroups if self.has_reliability else 0):
            r = self.reliability(group=g)
            by_group.append({f: {"omega": float(r.loc[f, "omega"]), "ave": float(r.loc[f, "ave"])}
                             for f in r.index})
        out = {"estimator": "WLSMV", "missing": self.fit.get("missing", "listwise"),
               "ntotal": self.ntotal_,
               "groups": [None if g is None else str(g) for g in self.group_labels],
               "converged": True, "fit": self.fit_measures(),
               "estimates": pe.to_dict(orient="records"),
               # the first group, as CFAResult.to_dict(); every group below
               "reliability": by_group[0] if by_group else None,
               "categories": {it: [int(c) for c in cnt] for it, cnt in
                              zip(self.model.ov, self.stats[0].counts)} if self.model.ngroups == 1
               else {str(lab): {it: [int(c) for c in cnt] for it, cnt in zip(self.model.ov, st.counts)}
                     for lab, st in zip(self.group_labels, self.stats)},
               "warnings": list(self.warnings_)}
        if self.has_reliability and len(self.model.lv) >= 2:  # as CFAResult.to_dict(): the first group's HTMT and Fornell-Larcker matrix
            out["validity"] = {"htmt": self.htmt().to_dict(), "fornell_larcker": self.fornell_larcker().to_dict()}
        if self.model.ngroups > 1 and by_group:
            out["reliability_by_group"] = {str(lab): d for lab, d in zip(self.group_labels, by_group)}
        return out

    # -- lavaan-like accessors -------------------------------------------
    def fit_measures(self) -> dict:
        """Fit measures (``lavaan::fitMeasures`` names with ``_``)."""
        return dict(self.fit)

    def _std_factors(self, g, theta=None):
        """Per group: model matrices, sd of latent responses (1/delta) and total latent sds."""
        M = self.model.matrices(self.theta if theta is None else theta, g)
        P, d = M["psi_total"], M["delta"]
        sd_y = 1.0 / d
        num = self.model.num  # continuous variables: the sd of their implied variance
        L = M["lambda"]
        var_y = np.einsum("ik,kl,il->i", L[num], P, L[num]) + np.diag(M["theta"])[num]
        sd_y[num] = np.sqrt(np.where(var_y > 0, var_y, np.nan))
        var_f = np.diag(P)
        sd_f = np.sqrt(np.where(var_f > 0, var_f, np.nan))  # a negative variance has no sd: NaN, as lavaan
        return M, sd_y, sd_f

    def _std_scales(self, g, theta):
        """``(sd_y, sd_f, rv)`` of group ``g``: total sds of the latent responses and latent
        variables, and the residual variances of the latent responses (delta parameterisation)."""
        M, sd_y, sd_f = self._std_factors(g, theta)
        L, P, d = M["lambda"], M["psi_total"], M["delta"]
        common = np.diag(L @ P @ L.T)
        rv = 1.0 / d ** 2 - common
        num = self.model.num  # continuous variables: their residual variances
        rv[num] = sd_y[num] ** 2 - common[num]
        return sd_y, sd_f, rv

    def _row_special(self, row, scales, theta):
        """``(est, std_lv, std_all)`` of a row the generic rules of :meth:`_row_values` do not
        cover, or None (none here; the covariate rows of :class:`~.wlsmv_x.WLSMVXResult`)."""
        return None

    def _row_values(self, theta):
        """``(est, std_lv, std_all)`` of every parameter-table row at ``theta``.

        Residual variances of the latent responses are computed by the delta
        parameterisation; standardisation uses the total (model-implied)
        latent variances, as ``lavaan::standardizedSolution()``.
        """
        if self.model.lin is not None:  # linear constraints: the rows read theta = K theta* + c
            theta = self.model.lin.expand(theta)
        ovi = {v: k for k, v in enumerate(self.model.ov)}
        lvi = {f: k for k, f in enumerate(self.model.lv)}
        rows = self.partable.rows
        est = np.empty(len(rows))
        slv = np.empty(len(rows))
        sall = np.empty(len(rows))
        cache = {}
        for n, r in enumerate(rows):
            g = r["group"] - 1
            if g not in cache:
                cache[g] = self._std_scales(g, theta)
            sd_y, sd_f, rv = cache[g][:3]
            op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
            free = r["free"] - 1
            special = self._row_special(r, cache[g], theta)
            if special is not None:
                est[n], slv[n], sall[n] = special
                continue
            if op == "~~" and lhs == rhs and lhs in ovi and lhs not in self.model.continuous:
                i = ovi[lhs]
                e = rv[i]
                est[n], slv[n], sall[n] = e, e, e / sd_y[i] ** 2
                continue
            e = theta[free] if free >= 0 else r["ustart"]
            std_lv = e
            if op == "~" and lhs in ovi and rhs in lvi:  # observed outcome of a latent: a loading
                std_lv = e * sd_f[lvi[rhs]]
                std = std_lv / sd_y[ovi[lhs]]
            elif op == "=~" and rhs in lvi:
                std = std_lv = e * sd_f[lvi[lhs]] / sd_f[lvi[rhs]]
            elif op == "=~":
                std_lv = e * sd_f[lvi[lhs]]
                std = std_lv / sd_y[ovi[rhs]]
            elif op == "~":
                std = std_lv = e * sd_f[lvi[rhs]] / sd_f[lvi[lhs]]
            elif op == "~~" and lhs in lvi and lhs == rhs:
                std = std_lv = e / (sd_f[lvi[lhs]] * sd_f[lvi[rhs]])
            elif op == "~~" and lhs in lvi:
                # a (residual) latent covariance is scaled by the psi variances, as lavaan's cov.std
                if ("psi", g) not in cache:
                    cache[("psi", g)] = np.sqrt(np.abs(np.diag(self.model.matrices(theta, g)["psi"])))
                sd_psi = cache[("psi", g)]
                std = std_lv = e / (sd_psi[lvi[lhs]] * sd_psi[lvi[rhs]])
            elif op == "~~" and lhs == rhs:  # residual variance of a continuous variable
                std = e / sd_y[ovi[lhs]] ** 2
            elif op == "~~":
                # residual covariance of latent responses: a residual correlation
                i, j = ovi[lhs], ovi[rhs]
                std = e / math.sqrt(rv[i] * rv[j]) if rv[i] > 0 and rv[j] > 0 else math.nan
            elif op == "|":
                std = e / sd_y[ovi[lhs]]
            elif op == "~1" and lhs in lvi:
                std = std_lv = e / sd_f[lvi[lhs]]
            elif op == "~1":
                std = e / sd_y[ovi[lhs]]
            elif op == "~*~":
                std = 1.0
            else:
                std = math.nan
            est[n], slv[n], sall[n] = e, std_lv, std
        return est, slv, sall

    def _defined(self):
        """``(name, expression, est, se, std_lv, std_all)`` of each ``:=`` definition (delta method)."""
        if not self.partable.defined:
            return []
        from .defined import compile_defined, delta_method, label_values

        compiled, evaluate = compile_defined(self.partable)

        def at(theta, which=0):
            return evaluate(label_values(self.partable.rows, self._row_values(theta)[which]))

        est, se = delta_method(at, self.theta, self.vcov)
        slv, sall = at(self.theta, 1), at(self.theta, 2)
        return [(n, x, a, b, c, d) for (n, x, _), a, b, c, d in zip(compiled, est, se, slv, sall)]

    def parameter_estimates(self, *, level: float = 0.95) -> pd.DataFrame:
        """Parameter table with estimates, robust SEs and standardised values.

        Parameters
        ----------
        level : float
            Confidence level of ``ci_lower``/``ci_upper``.

        Returns
        -------
        DataFrame
            Columns ``lhs, op, rhs, group, label, free, est, se, z, pvalue,
            ci_lower, ci_upper, std_lv, std_all`` (as
            ``lavaan::parameterEstimates(fit, standardized = TRUE)``).
            Residual variances of the latent responses are reported as
            computed by the delta parameterisation (``free = 0``); ``:=`` rows
            carry delta-method SEs.
        """
        zc = norm_ppf(1 - (1 - level) / 2)
        V = self.vcov if self.model.lin is None else self.model.lin.vcov(self.vcov)  # theta = K theta* + c
        se_free = np.sqrt(np.clip(np.diag(V), 0, None))
        est, slv, sall = self._row_values(self.theta)
        out = []
        for r, e, a, b in zip(self.partable.rows, est, slv, sall):
            free = r["free"] - 1
            se = se_free[free] if free >= 0 else 0.0  # computed rows: lavaan reports 0
            z = e / se if (free >= 0 and se > 0) else math.nan
            out.append({"lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "group": r["group"],
                        "label": r.get("label", ""), "free": r["free"], "est": float(e),
                        "se": float(se), "z": z,
                        "pvalue": 2 * norm_sf(abs(z)) if np.isfinite(z) else math.nan,
                        "ci_lower": float(e - zc * se), "ci_upper": float(e + zc * se),
                        "std_lv": float(a), "std_all": float(b)})
        for name, expr, e, se, a, b in self._defined():
            z = e / se if se > 0 else math.nan
            out.append({"lhs": name, "op": ":=", "rhs": "".join(expr.split()), "group": 1,
                        "label": name, "free": 0, "est": float(e), "se": float(se), "z": z,
                        "pvalue": 2 * norm_sf(abs(z)) if np.isfinite(z) else math.nan,
                        "ci_lower": float(e - zc * se), "ci_upper": float(e + zc * se),
                        "std_lv": float(a), "std_all": float(b)})
        return pd.DataFrame(out)

    def r_squared(self, group: int = 0) -> pd.Series:
        """R² of every observed variable and endogenous latent variable, as ``lavInspect(fit, "r2")``.

        For an observed variable :math:`1 - \\theta^{*}_{ii}` (its standardised residual variance:
        of the latent response for an ordered item, of the variable itself for a continuous one);
        for a latent variable regressed on others :math:`1 - \\psi_{ii}/\\psi^{*}_{ii}`.
        """
        pe = self.parameter_estimates()
        pe = pe[(pe["op"] == "~~") & (pe["lhs"] == pe["rhs"]) & (pe["group"] == group + 1)]
        B = self.model.matrices(self.theta, group)["beta"]
        endo = {f for k, f in enumerate(self.model.lv) if np.any(B[k] != 0)}
        keep = pe["lhs"].isin(set(self.model.ov) | endo)
        return pd.Series(1.0 - pe.loc[keep, "std_all"].to_numpy(), index=pe.loc[keep, "lhs"].to_numpy(),
                         name="r2")

    def reliability(self, group: int = 0) -> pd.DataFrame:
        """Categorical omega and AVE per factor, as ``semTools::compRelSEM(fit)``.

        Parameters
        ----------
        group : int
            0-based group index.

        Returns
        -------
        DataFrame
            Index: factors; columns ``omega`` (categorical ω of the summed item
            scores) and ``ave`` (mean squared standardised loading on the
            latent-response scale, as ``semTools::AVE(fit)``) Both are NaN for a factor
            with a continuous indicator (``compRelSEM`` gives NA there too).

        Notes
        -----
        Green & Yang (2009): with model thresholds :math:`\\tau` (times the scale
        factors), the factor's common correlation :math:`R_c = \\Delta\\lambda
        \\psi\\lambda^\\top\\Delta` and the sample polychoric matrix :math:`R`,

        .. math:: \\omega = \\frac{\\sum_{j,j'}\\sum_{c,c'}[\\Phi_2(\\tau_{jc},
           \\tau_{j'c'}; R_{c,jj'}) - \\Phi(\\tau_{jc})\\Phi(\\tau_{j'c'})]}
           {\\sum_{j,j'}\\sum_{c,c'}[\\Phi_2(\\tau_{jc}, \\tau_{j'c'}; R_{jj'})
           - \\Phi(\\tau_{jc})\\Phi(\\tau_{j'c'})]}.

        References
        ----------
        Green, S. B., & Yang, Y. (2009). Reliability of summed item scores using
        structural equation modeling: An alternative to coefficient alpha.
        *Psychometrika*, 74(1), 155–167. https://doi.org/10.1007/s11336-008-9099-3
        """
        M = self.model.matrices(self.theta, group)
        L, P, d = M["lambda"], M["psi_total"], M["delta"]
        R = self.stats[group].cor
        out = {}
        for k, f in enumerate(self.model.lv):
            idx = np.flatnonzero(L[:, k] != 0)
            if idx.size == 0:  # a second-order factor (semTools skips these too)
                continue
            if np.isin(idx, self.model.num).any():  # a continuous indicator: semTools gives NA too
                out[f] = {"omega": math.nan, "ave": math.nan}
                continue
            lam = L[idx, k]
            common = np.outer(lam, lam) * P[k, k]
            common = d[idx][:, None] * common * d[idx][None, :]
            ths = [M["tau"][self.model.th_start[i]: self.model.th_start[i] + self.model.nth[i]]
                   * d[i] for i in idx]
            out[f] = {"omega": _omega_cat(common, R[np.ix_(idx, idx)], ths),
                      "ave": float(np.sum(lam ** 2) * P[k, k] / np.trace(R[np.ix_(idx, idx)]))}
        return pd.DataFrame.from_dict(out, orient="index")

    def summary(self) -> str:
        """A lavaan-like text summary: fit measures, then estimates."""
        from qimscale._core.formatting import format_p, p_text

        f = self.fit
        lines = [f"qimscale CFA (WLSMV, delta parameterisation, missing = {f.get('missing', 'listwise')}); "
                 f"converged after {self.iterations} Gauss-Newton iterations",
                 f"N = {f['ntotal']}, groups = {f['ngroups']}, free parameters = {f['npar']}",
                 f"chisq = {f['chisq']:.3f}, df = {f['df']}, {p_text(f['pvalue'])}",
                 f"scaled-shifted chisq = {f['chisq_scaled']:.3f}, {p_text(f['pvalue_scaled'])} "
                 f"(scaling factor {f['chisq_scaling_factor']:.4f}, shift {f['chisq_shift_parameter']:.3f})",
                 f"CFI (scaled) = {f['cfi_scaled']:.3f}, TLI (scaled) = {f['tli_scaled']:.3f}, "
                 f"RMSEA (scaled) = {f['rmsea_scaled']:.3f} [{f['rmsea_ci_lower_scaled']:.3f}, "
                 f"{f['rmsea_ci_upper_scaled']:.3f}], SRMR = {f['srmr']:.3f}"]
        # warnings are not part of the text: they are in ``warnings_`` (the CLI prints them once, on stderr)
        pe = self.parameter_estimates()
        pe["pvalue"] = pe["pvalue"].map(format_p)  # text shows p < .001; to_dict keeps the numbers
        lines.append("")
        lines.append(pe.drop(columns=["ci_lower", "ci_upper", "free"]).to_string(
            index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)


def _omega_cat(common, total, ths):
    k = len(ths)
    num = den = 0.0
    for j in range(k):
        for jp in range(k):
            t1, t2 = ths[j], ths[jp]
            a = t1[:, None]
            b = t2[None, :]
            prod = ndtr(t1).sum() * ndtr(t2).sum()
            num += bvn_cdf(a, b, np.clip(common[j, jp], -1, 1)).sum() - prod
            den += bvn_cdf(a, b, np.clip(total[j, jp], -1, 1)).sum() - prod
    return float(num / den)


# ---------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------
def _gauss_newton(model, s_list, w_list, c_list, theta0, *, maxiter=200, tol=1e-10):
    G = len(s_list)

    def resid(th):
        # the residuals at th are kept for the next iteration's gradient (the implied statistics once per point)
        es = [s - model.implied(th, g) for g, s in enumerate(s_list)]
        return es, sum(c * np.sum(w * e ** 2) for e, w, c in zip(es, w_list, c_list))

    theta = theta0.copy()
    es, f = resid(theta)
    for it in range(1, maxiter + 1):
        H = np.zeros((model.npar, model.npar))
        grad = np.zeros(model.npar)
        for g in range(G):
            J = model.jacobian(theta, g)
            # only the parameters group g's moments depend on (its own and the shared ones): with G groups
            # the other columns of J are zero, and leaving them out of J'WJ makes it ~G^2 times cheaper
            cols = _active_columns(J)
            Jc = J[:, cols]
            WJ = (c_list[g] * w_list[g])[:, None] * Jc
            H[np.ix_(cols, cols)] += Jc.T @ WJ
            grad[cols] += WJ.T @ es[g]
        step = _damped_step(H, grad)
        t = 1.0
        while True:
            new = theta + t * step
            es_new, fn = resid(new)
            if fn <= f + 1e-14 * max(1.0, abs(f)) or t < 1e-8:
                break
            t /= 2
        theta, es, f_old, f = new, es_new, f, fn
        # converged: a negligible step, no decrease left after a shortened step, or a Gauss-Newton
        # step that predicted a decrease (grad'step, in chi-square units) below 1e-14 f. With large
        # residuals Gauss-Newton converges only linearly and near the minimum its steps can even
        # grow slowly (by 8% per iteration in one review case) while f no longer changes.
        if (np.max(np.abs(t * step)) < tol or (abs(f_old - f) < 1e-15 * max(1.0, f) and t < 1)
                or float(grad @ step) <= 1e-14 * max(1.0, f)):
            return theta, f, it
    raise ConvergenceError(f"WLSMV did not converge in {maxiter} Gauss-Newton iterations")


def _pd_step(A, grad):
    """``A^{-1} grad`` when ``A`` (scaled to unit diagonal) is positive definite with its smallest
    eigenvalue above 1e-8 n (a Cholesky factorisation of ``A - 1e-8 n I`` succeeds), else ``None``."""
    d = np.sqrt(np.diag(A)) if np.all(np.diag(A) > 0) else None
    if d is None:
        return None
    As = A / np.outer(d, d)
    n = len(d)
    _, info = dpotrf(As - (1e-8 * max(n, 1)) * np.eye(n), lower=0, clean=0, overwrite_a=1)
    if info != 0:
        return None
    c, info = dpotrf(As, lower=0, clean=0)
    if info != 0:
        return None
    x, _ = dpotrs(c, grad / d, lower=0)
    return x / d


def _damped_step(H, grad):
    """Gauss-Newton step; Levenberg-Marquardt damped where ``H`` is (near) singular.

    A singular ``H`` away from the optimum (e.g. a two-indicator factor whose
    covariances are still 0) is not evidence of non-identification; that is
    decided on the information matrix at the estimates
    (:func:`_check_identified`).
    """
    # undamped when the smallest eigenvalue of Hs (H scaled to unit diagonal) exceeds 1e-8 max(largest, 1).
    # The largest is at most tr(Hs) <= n, so a Cholesky factorisation of Hs - 1e-8 n I that succeeds
    # (LAPACK info = 0) proves it, at a fraction of an eigendecomposition; only otherwise are the
    # eigenvalues computed.
    if np.all(np.diag(H) > 0):
        x = _pd_step(H, grad)
        if x is not None:
            return x
    d = np.sqrt(np.clip(np.diag(H), 0, None))
    d = np.where(d > 0, d, 1.0)
    Hs = H / np.outer(d, d)
    ev = eigvalsh(Hs)
    lam = 0.0 if ev[0] > 1e-8 * max(ev[-1], 1.0) else 1e-4 * max(ev[-1], 1.0)
    return np.linalg.solve(Hs + lam * np.eye(len(d)), grad / d) / d


def _check_identified(E, partable):
    """ModelError naming a parameter when the information matrix ``E`` is singular.

    As lavaan's check (which warns that SEs and the robust test cannot be
    computed): singularity is decided by :func:`qimscale._core.linalg.is_singular`
    on ``E`` scaled to unit diagonal; the parameter named is the one that
    dominates the null direction.
    """
    if not is_singular(E, scale=True):
        return
    d = np.sqrt(np.abs(np.diag(E)))
    zero = np.flatnonzero(d == 0)
    if zero.size:
        k = int(zero[0])
    else:
        _, V = np.linalg.eigh(unit_diagonal(E))
        k = int(np.argmax(np.abs(V[:, 0])))
    raise ModelError(f"the model is not identified: parameter '{partable.describe_fitted(k)}' (and the "
                     "parameters it trades off with) cannot be estimated uniquely, so standard errors "
                     "and the robust test cannot be computed (lavaan warns the same); fix or "
                     "constrain parameters")


def infer_ordered(ordered, ov):
    """The ordered items named by ``ordered`` among the observed variables ``ov``.

    Parameters
    ----------
    ordered : "all", True, str or sequence of str
        ``"all"``/``True``: every variable of ``ov``; a comma-separated string
        or a list: those items.
    ov : list of str
        Observed variables of the model.

    Returns
    -------
    list of str

    Raises
    ------
    ModelError
        ``ordered`` is None, or names a variable that is not in ``ov``.

    Examples
    --------
    >>> infer_ordered("y2, y1", ["y1", "y2", "y3"])
    ['y2', 'y1']
    """
    if ordered is None:
        raise ModelError("estimator WLSMV needs ordered items: pass ordered='all' or a list")
    if isinstance(ordered, str):
        if ordered == "all" or ordered is True:
            return list(ov)
        ordered = [x.strip() for x in ordered.split(",") if x.strip()]
    if ordered is True:
        return list(ov)
    ordered = list(ordered)
    bad = [x for x in ordered if x not in ov]
    if bad:
        raise ModelError(f"ordered item(s) {bad} are not observed variables of the model {ov}")
    return ordered


def fit_wlsmv(data: pd.DataFrame, model, *, ordered="all", group: str | None = None,
              group_equal=(), group_partial=(), std_lv: bool = False, collapse: dict | None = None,
              missing: str = "listwise", partable=None, prepared=None) -> WLSMVResult:
    """Fit an ordinal (or mixed ordinal/continuous) CFA or SEM by WLSMV.

    Matches ``lavaan::cfa(model, data, ordered = ordered, estimator = "WLSMV",
    group = group, group.equal = group_equal)`` (delta parameterisation,
    ``se = "robust.sem"``, ``test = "scaled.shifted"``).

    Parameters
    ----------
    data : DataFrame
        Item responses (integers or ordered categoricals), plus ``group``.
    model : str
        lavaan syntax (``=~`` including second-order factors, ``~`` among latent
        variables, ``~~``, labels, linear ``==`` constraints (``a == 2*b``), fixed values, ``|``,
        ``~*~``, ``:=`` with delta-method SEs). Regressions of latent variables or
        ordered items on observed covariates (``F ~ x``, ``y1 ~ x``) are a
        ModelError here: ``sem()`` / ``CFA(...).fit`` send them to
        :func:`.wlsmv_x.fit_wlsmv_x` (lavaan's ``conditional.x = TRUE``).
    ordered : "all" or list of str
        Ordered items. The other observed variables are continuous, as in
        ``lavaan::sem(..., ordered = c(...), estimator = "WLSMV")``: their means,
        variances and polyserial/Pearson covariances enter the fit beside the
        thresholds and polychorics (:mod:`.ordinal_stage1_mixed`); their residual
        variances and intercepts are parameters, and an observed continuous outcome
        may be regressed on latent variables (``perf ~ F1 + F2``). With observed
        covariates (``F ~ x``, lavaan's conditional.x) every other observed variable
        must be ordered (``"all"``: every one that is not a covariate, as lavaan's
        ``ordered = TRUE``); mixed variables are not available in
        :func:`ordinal_invariance`; the catML robust indices are NaN (NA in lavaan
        0.6-14 too).
    group : str, optional
        Grouping column (multi-group analysis).
    group_equal, group_partial : sequence of str
        As lavaan's ``group.equal`` / ``group.partial``.
    std_lv : bool
        Fix factor variances to 1 instead of the first loadings.
    collapse : dict, optional
        Explicit category merges ``{item: {old: new}}``; recorded in
        ``fit_measures()["collapsed"]``. Categories are never merged silently.
    missing : {"listwise", "pairwise"}
        As lavaan's ``missing=`` for WLSMV (see :func:`prepare_ordinal_data`).
    partable : ParTable, optional
        A ready parameter table (used by the invariance routine).
    prepared : tuple, optional
        Output of :func:`prepare_ordinal_data` plus stage-1 stats, for reuse.

    Returns
    -------
    WLSMVResult

    Raises
    ------
    DataError
        Missing columns, empty categories in a group (use ``collapse``).
    ModelError
        Unsupported syntax, non-ordered indicators, unidentified models.
    ConvergenceError
        If the Gauss-Newton iterations do not converge.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 1))
    >>> y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(500, 4))
    >>> d = pd.DataFrame(np.digitize(y, [-1, 0, 1]) + 1, columns=["a", "b", "c", "d"])
    >>> res = fit_wlsmv(d, "F =~ a + b + c + d")
    >>> res.fit_measures()["df"]
    2
    """
    return with_warnings(_fit_wlsmv, data, model, ordered=ordered, group=group, group_equal=group_equal,
                         group_partial=group_partial, std_lv=std_lv, collapse=collapse,
                         partable=partable, prepared=prepared, missing=missing)


def with_warnings(fit_function, *args, **kwargs):
    """Call ``fit_function`` and record every warning it raises in the result's ``warnings_``
    (the warnings are re-issued too)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_function(*args, **kwargs)
    for w in caught:
        res.warnings_.append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=3)
    return res


def _fit_wlsmv(data, model, *, ordered, group, group_equal, group_partial, std_lv, collapse,
               partable, prepared, missing):
    if partable is None:
        stmts = parse_model(model) if isinstance(model, str) else model
        probe = build_partable(stmts, ngroups=None)
        if probe.ov_x:  # observed exogenous covariates: lavaan's conditional.x = TRUE
            raise ModelError(f"the model regresses on observed covariates {probe.ov_x}: fit it with "
                             "qimscale.analysis.cfa.sem(...) (or wlsmv_x.fit_wlsmv_x), which fits them as "
                             "lavaan's conditional.x")
        ov = list(probe.ov)
        items = infer_ordered(ordered, ov)
    else:
        ov = list(partable.ov)
        items = [v for v in ov if v in partable.ordered]
    if prepared is None and set(items) != set(ov):  # continuous variables too: Muthén's (1984) stage 1
        stats_list, labels, levels, n_dropped = mixed_stage1_groups(
            collapse_categories(data, collapse) if collapse else data, ov, items, group, missing=missing)
    elif prepared is None:
        stats_list, labels, levels, n_dropped = ordinal_stage1_groups(data, ov, group,
                                                                      collapse=collapse,
                                                                      missing=missing)
    else:
        stats_list, labels, levels, n_dropped = prepared
    nth = {v: len(levels[v]) - 1 for v in ov if v in items}
    if partable is None:
        partable = build_partable(stmts, ngroups=len(labels), std_lv=std_lv, meanstructure=True,
                                  group_equal=group_equal, group_partial=group_partial,
                                  ordered=nth)
    om = OrdinalModel(partable, nth)
    res = fit_stage2(om, partable, stats_list, labels, n_dropped,
                      extra={"collapsed": collapse or {}, "missing": missing})
    if n_dropped:
        why = ("with a missing item or group value were dropped (listwise deletion, lavaan's "
               "WLSMV default)" if missing == "listwise" else
               "without any observed item or without a group value were dropped")
        res.warnings_.append(f"{n_dropped} row(s) {why}")
    return res


def category_counts(data: pd.DataFrame, items: list, group: str | None = None,
                    *, collapse: dict | None = None) -> pd.DataFrame:
    """Category counts of ordered items per group, with empty and sparse flags.

    Parameters
    ----------
    data : DataFrame
    items : list of str
    group : str, optional
    collapse : dict, optional
        Explicit merges applied first (see :func:`collapse_categories`).

    Returns
    -------
    DataFrame
        One row per item, group and category (the sorted levels observed over
        all groups): ``item, group, category, count, is_empty, is_sparse`` (``is_sparse``:
        fewer than :data:`~.ordinal_stage1.SPARSE_CATEGORY_COUNT` responses).

    Raises
    ------
    DataError
        Missing columns.
    """
    by, labels, levels, _ = prepare_ordinal_data(data, items, group, collapse=collapse)
    recs = []
    for codes, lab in zip(by, labels):
        for j, it in enumerate(items):
            cnt = np.bincount(codes[codes[:, j] >= 0, j], minlength=len(levels[it]))
            for c, (lv, n) in enumerate(zip(levels[it], cnt)):
                recs.append({"item": it, "group": lab, "category": lv, "count": int(n),
                             "is_empty": bool(n == 0), "is_sparse": bool(0 < n < SPARSE_CATEGORY_COUNT)})
    return pd.DataFrame.from_records(recs)


def ordinal_stage1_groups(data: pd.DataFrame, items: list, group: str | None = None,
                          *, collapse: dict | None = None, missing: str = "listwise"):
    """Stage 1 for every group, after checking all categories at once.

    Returns
    -------
    stats : list of OrdinalStats
    labels : list of group labels (``[None]`` without groups)
    levels : dict of item -> levels
    n_dropped : int

    Raises
    ------
    DataError
        Listing *every* empty category (item, group, category) with the fix.
    """
    by, labels, levels, n_dropped = prepare_ordinal_data(data, items, group, collapse=collapse,
                                                         missing=missing)
    empty, example = [], None
    for codes, lab in zip(by, labels):
        for j, it in enumerate(items):
            cnt = np.bincount(codes[codes[:, j] >= 0, j], minlength=len(levels[it]))
            where = f" in group '{lab}'" if lab is not None else ""
            if not cnt.any():
                empty.append(f"item '{it}'{where} has no observed values")
                continue
            for c in np.flatnonzero(cnt == 0):
                empty.append(f"item '{it}'{where}: category {category_label(levels[it][c])} is empty")
                if example is None:  # merge the empty category into its neighbour
                    other = levels[it][c + 1] if c + 1 < len(levels[it]) else levels[it][c - 1]
                    example = f"{it}:{category_label(levels[it][c])}={category_label(other)}"
    if empty:
        raise DataError("thresholds are not identified for empty categories: "
                        + "; ".join(empty) + ". Merge categories explicitly with --collapse ITEM:OLD=NEW"
                        + (f" (e.g. --collapse {example})" if example else "")
                        + ", or drop the item.")
    with single_thread_blas():
        stats_list = [ordinal_stage1(c, [len(levels[v]) for v in items], items, group_label=lab,
                                     categories=[list(levels[v]) for v in items])
                      for c, lab in zip(by, labels)]
    return stats_list, labels, levels, n_dropped


def renumber_free(partable) -> None:
    """Renumber the ``free`` column compactly after rows were fixed or freed.

    Rows keep their equality groups (same old index -> same new index); rows
    marked ``free = -1`` get a fresh index each. The map of linear equality
    constraints (``partable.lin``) follows the new indices.
    """
    mapping: dict = {}
    k = 0
    for r in partable.rows:
        f = r["free"]
        if f == 0:
            continue
        key = ("new", r["id"]) if f < 0 else ("old", f)
        if key not in mapping:
            k += 1
            mapping[key] = k
        r["free"] = mapping[key]
    if partable.lin is not None:  # linear equality constraints follow their parameters
        from .constraints import renumbered

        new_index = [mapping.get(("old", f), 0) - 1 for f in range(1, partable.lin.nfull + 1)]
        partable.lin = renumbered(partable.lin, new_index, k)


def fit_stage2(om, partable, stats_list, labels, n_dropped, extra=None, start=None, baseline=None):
    """Stage 2 of WLSMV: fit a prepared ordinal model to stage-1 statistics.

    The building block of :func:`fit_wlsmv` and of the invariance routine,
    which prepare the parameter table and the sample statistics themselves.

    Parameters
    ----------
    om : OrdinalModel
        Model built from ``partable``.
    partable : ParTable
        Parameter table with ordered items.
    stats_list : list of OrdinalStats
        Stage-1 statistics per group (:func:`ordinal_stage1_groups`).
    labels : list
        Group labels (``[None]`` for one group).
    n_dropped : int
        Rows dropped while preparing the data (reported in the result).
    extra : dict, optional
        Entries copied into the result's fit measures (``collapsed``,
        ``missing``).
    start : ndarray, optional
        Starting values of the free parameters (default: :meth:`OrdinalModel.start`
        from the sample statistics). The estimates do not depend on the start
        beyond the convergence tolerance (step < 1e-10); a good start only saves
        Gauss-Newton iterations (e.g. a less restricted level's estimates as start
        of the next invariance level).
    baseline : dict, optional
        A memo shared by fits to the same ``stats_list`` (the baseline model
        behind CFI and TLI depends on the statistics only): filled by the first
        fit, reused by the next.

    Returns
    -------
    WLSMVResult

    Raises
    ------
    ConvergenceError
        If the Gauss-Newton iterations do not converge.
    """
    with single_thread_blas():
        return _fit_stage2_impl(om, partable, stats_list, labels, n_dropped, extra, start, baseline)


def _fit_stage2_impl(om, partable, stats_list, labels, n_dropped, extra=None, start=None, baseline=None):
    G = len(stats_list)
    ng = np.array([st.n for st in stats_list], dtype=float)
    N = ng.sum()
    fg = ng / N
    s_list = [st.s for st in stats_list]
    w_list = [1.0 / np.diag(st.gamma) for st in stats_list]
    c_list = [(n - 1.0) for n in ng]
    if start is None:
        theta0 = om.start([st.s[: om.n_th] for st in stats_list], [st.s[om.cor_offset:] for st in stats_list])
    else:
        theta0 = np.array(start, dtype=float)
        if theta0.shape != (om.npar,):
            raise ModelError(f"start= has {theta0.size} values; the model has {om.npar} free parameters")
    theta, fmin, iters = _gauss_newton(om, s_list, w_list, c_list, theta0)

    deltas = [om.jacobian(theta, g) for g in range(G)]
    E = sum(f * (D.T @ (w[:, None] * D)) for f, D, w in zip(fg, deltas, w_list))
    _check_identified(E, partable)
    E_inv = np.linalg.inv(E)
    Bm = np.zeros_like(E)
    for f, D, w, st in zip(fg, deltas, w_list, stats_list):
        cols = _active_columns(D)
        WD = w[:, None] * D[:, cols]
        Bm[np.ix_(cols, cols)] += f * (WD.T @ st.gamma @ WD)
    # lavaan divides by N - G for categorical data (as for Wishart likelihoods)
    vcov = E_inv @ Bm @ E_inv / (N - G)

    nstat = sum(s.size for s in s_list)
    df = int(nstat - om.npar)
    chisq_group = [c * np.sum(w * (s - om.implied(theta, g)) ** 2)
                   for g, (s, w, c) in enumerate(zip(s_list, w_list, c_list))]
    chisq = float(sum(chisq_group))
    tr1, tr2 = _ug_traces(deltas, w_list, [st.gamma for st in stats_list], fg, E_inv)
    ss = _scaled_shifted(chisq, df, tr1, tr2)

    # baseline: thresholds (and slopes on covariates) free per group, correlations zero (the same for every
    # model fitted to these statistics: a caller fitting several, as the invariance sequence, shares it
    # through ``baseline``)
    nth = om.n_base  # thresholds (with continuous variables their means and variances; with covariates
    # the slopes too)
    memo = baseline if baseline is not None else {}
    if memo.get("stats") is not stats_list or memo.get("n_base") != nth:
        memo.update(stats=stats_list, n_base=nth, value=_baseline(s_list, w_list, c_list, fg, stats_list, nth))
    base_chisq, base_df, bss = memo["value"]

    # SRMR (Bentler, correlation residuals, no means), weighted by group size
    srmr = 0.0
    for g, st in enumerate(stats_list):
        if om.n_var:  # continuous variables: residuals of the covariances turned into correlations
            res = correlation_residuals(st.cov, om.implied_cor(theta, g))
        else:
            res = st.s[nth:] - om.implied(theta, g)[nth:]
        p = om.p
        srmr += fg[g] * math.sqrt(np.sum(res ** 2) / (p * (p + 1) / 2))

    x2s = ss["stat"]
    if np.isfinite(x2s) and x2s < 0:
        # a*T + b >= 0 whenever rank(U Gamma) <= df (Cauchy-Schwarz); below 0 only when the
        # information matrix is near-singular in a way the rank check did not catch
        raise ModelError(f"the scaled-shifted test statistic is negative ({x2s:.4g}): the model is "
                         "(empirically) not identified; fix or constrain parameters")
    n_rmsea = N - G  # lavaan's lav_utils_get_ntotal() for categorical data
    ci = rmsea_ci(x2s, df, n_rmsea, G)
    ci0 = rmsea_ci(chisq, df, n_rmsea, G)
    fit = {
        "npar": int(om.npar), "ntotal": int(N), "ngroups": G,
        "chisq": chisq, "df": df, "pvalue": float(chi2_sf(chisq, df)) if df > 0 else math.nan,
        "chisq_scaled": x2s, "df_scaled": df,
        "pvalue_scaled": float(chi2_sf(x2s, df)) if df > 0 else math.nan,
        "chisq_scaling_factor": ss["scaling_factor"], "chisq_shift_parameter": ss["shift"],
        "baseline_chisq": base_chisq, "baseline_df": base_df,
        "baseline_chisq_scaled": bss["stat"], "baseline_df_scaled": base_df,
        "baseline_chisq_scaling_factor": bss["scaling_factor"],
        "cfi": cfi(chisq, df, base_chisq, base_df),
        "tli": tli(chisq, df, base_chisq, base_df),
        "rmsea": rmsea(chisq, df, n_rmsea, G),
        "rmsea_ci_lower": ci0[0], "rmsea_ci_upper": ci0[1],
        "rmsea_pvalue": rmsea_close(chisq, df, n_rmsea, G, 1.0, 0.05),
        "cfi_scaled": cfi(x2s, df, bss["stat"], base_df),
        "tli_scaled": tli(x2s, df, bss["stat"], base_df),
        "rmsea_scaled": rmsea(x2s, df, n_rmsea, G),
        "rmsea_ci_lower_scaled": ci[0], "rmsea_ci_upper_scaled": ci[1],
        "rmsea_pvalue_scaled": rmsea_close(x2s, df, n_rmsea, G, 1.0, 0.05),
        "srmr": srmr,
        "n_dropped": n_dropped,
    }
    # Savalei's (2021) robust indices from the catML statistic, as lavaan >= 0.6-13
    # (not with continuous variables: lavaan 0.6-14 reports NA there too)
    fit.update({k: math.nan for k in ROBUST_KEYS} if om.n_var else
               catml_robust_indices(om, partable, theta, stats_list, deltas, w_list, fg, E_inv, df, base_df))
    fit.update(extra or {})
    test = {"chisq": chisq, "chisq_group": chisq_group, "df": df, "trace_ugamma": tr1,
            "trace_ugamma2": tr2, "a": ss["a"], "shift": ss["shift"]}
    notes = []
    for g in range(G):
        # as lavaan (lav_samplestats_step2): a sample correlation beyond 0.99 in absolute value
        R = stats_list[g].cor
        # (with continuous variables the mixed stage 1 has warned already, in lavaan's words)
        for i, j in zip(*np.nonzero(np.triu(np.abs(R) > NEARLY_ONE, k=1) & (om.n_var == 0))):
            where = f" in group '{labels[g]}'" if G > 1 else ""
            notes.append(f"the polychoric correlation between {om.ov[i]} and {om.ov[j]}{where} is (nearly) "
                         f"{'-' if R[i, j] < 0 else ''}1 (r = {R[i, j]:.4f}): the items are nearly "
                         "redundant or their table is too sparse; estimates may be unstable")
        M = om.matrices(theta, g)
        L, P, d = M["lambda"], M["psi"], M["delta"]
        resid = 1.0 / d ** 2 - np.einsum("ik,kl,il->i", L, M["psi_total"], L)
        resid[om.num] = np.diag(M["theta"])[om.num]  # continuous variables: the residual variance parameter
        bad = [om.ov[i] for i in np.flatnonzero(resid < 0)]
        if bad:
            where = f" in group '{labels[g]}'" if G > 1 else ""
            what = "the latent response of " if not any(v in om.continuous for v in bad) else ""
            notes.append(f"negative residual variance of {what}{bad}{where} "
                         "(Heywood case): the model may be misspecified")
        if not is_positive_semidefinite(P):
            notes.append("the factor covariance matrix is not positive definite"
                         + (f" in group '{labels[g]}'" if G > 1 else ""))
        note = _improper_residual_correlations(om.ov, M["theta"], resid)
        if note:
            notes.append(note + (f" in group '{labels[g]}'" if G > 1 else "")
                         + ": an improper solution; the model may be misspecified")
    return WLSMVResult(partable=partable, model=om, theta=theta, vcov=vcov, stats=stats_list,
                       group_labels=labels, fit=fit, test=test, n_dropped=n_dropped,
                       iterations=iters, extra={"E_inv": E_inv, "deltas": deltas,
                                                "w": w_list, "fg": fg},
                       warnings_=notes)


def _improper_residual_correlations(ov, theta_mat, resid) -> str | None:
    """Name the residual covariances whose correlation is beyond +/-1 (``None`` when there is none).

    ``theta_mat`` holds the residual covariances (off the diagonal) and ``resid`` the residual
    variances of the latent responses (or continuous variables). Checked only when every residual
    variance is positive (a negative one is reported as a Heywood case).
    """
    off = np.triu(theta_mat, k=1)
    if not np.any(off) or np.any(resid <= 0):
        return None
    r = off / np.sqrt(np.outer(resid, resid))
    bad = [(ov[i], ov[j], r[i, j]) for i, j in zip(*np.nonzero(np.abs(r) > 1.0))]
    if not bad:
        return None
    shown = "; ".join(f"{a} ~~ {b}: {v:.3f}" for a, b, v in bad[:3]) + ("; ..." if len(bad) > 3 else "")
    return f"residual correlation(s) beyond +/-1 ({shown})"


def _baseline(s_list, w_list, c_list, fg, stats_list, nth):
    """χ², df and scaled-shifted statistic of the baseline model: the first ``nth`` statistics
    (thresholds; with continuous variables their means and variances; with covariates the slopes)
    free per group, correlations zero."""
    G = len(s_list)
    nstat = sum(s.size for s in s_list)
    base_chisq = 0.0
    base_deltas = []
    k0 = 0
    for g, (s, w, c) in enumerate(zip(s_list, w_list, c_list)):
        base_chisq += c * np.sum(w[nth:] * s[nth:] ** 2)
    for g in range(G):
        D = np.zeros((s_list[g].size, G * nth))
        D[np.arange(nth), k0 + np.arange(nth)] = 1.0
        k0 += nth
        base_deltas.append(D)
    Eb = sum(f * (D.T @ (w[:, None] * D)) for f, D, w in zip(fg, base_deltas, w_list))
    base_df = int(nstat - G * nth)
    btr1, btr2 = _ug_traces(base_deltas, w_list, [st.gamma for st in stats_list], fg,
                            np.linalg.inv(Eb))
    bss = _scaled_shifted(base_chisq, base_df, btr1, btr2)
    return base_chisq, base_df, bss


def fit(spec, data: pd.DataFrame) -> WLSMVResult:
    """Entry point used by :meth:`qimscale.analysis.cfa.CFA.fit` for ``estimator="WLSMV"``.

    Parameters
    ----------
    spec : CFA
        The estimator object holding the options (``model``, ``group``,
        ``group_equal``, ``group_partial``, ``std_lv``, ``ordered``, ``missing``).
    data : DataFrame

    Returns
    -------
    WLSMVResult

    Raises
    ------
    ModelError
        ``missing="fiml"`` (not available with WLSMV) or no ordered items
        (``ordered=None``: the items are never taken as ordered silently).
    """
    return fit_wlsmv(data, read_model_text(spec.model), **spec_options(spec, data))


def spec_options(spec, data) -> dict:
    """The WLSMV options of a :class:`~qimscale.analysis.cfa.CFA` spec, checked (see :func:`fit`).

    Returns
    -------
    dict
        ``ordered, group, group_equal, group_partial, std_lv, missing``.
    """
    spec_missing = getattr(spec, "missing", None) or "listwise"
    if spec_missing not in ("listwise", "pairwise"):
        raise ModelError(f"missing={spec_missing!r} is not available with estimator WLSMV; use "
                         "'listwise' (rows with a missing item are dropped and counted) or "
                         "'pairwise'")
    if not isinstance(data, pd.DataFrame):
        raise DataError("data must be a pandas DataFrame with one column per observed variable")
    ordered = spec.ordered
    if ordered is None or ordered is False or (isinstance(ordered, (list, tuple, set)) and len(ordered) == 0):
        # lavaan would run continuous DWLS here; qimscale's WLSMV is the ordinal
        # estimator, so say so instead of treating the items as ordered silently
        raise ModelError("estimator 'WLSMV' needs the ordered items: pass ordered='all' "
                         "(CLI: --ordered all) or list them")
    geq = [spec.group_equal] if isinstance(spec.group_equal, str) else list(spec.group_equal or ())
    partial = ([spec.group_partial] if isinstance(spec.group_partial, str)
               else list(spec.group_partial or ()))
    return dict(ordered=ordered, group=spec.group, group_equal=geq if spec.group else (), group_partial=partial,
                std_lv=bool(spec.std_lv), missing=spec_missing)
