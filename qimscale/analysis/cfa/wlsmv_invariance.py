"""Ordinal measurement invariance with WLSMV (Wu & Estabrook, 2016).

:func:`ordinal_invariance` fits the sequence configural → thresholds → metric
→ scalar to ordered items, identified as
``semTools::measEq.syntax(..., ordered = items, parameterization = "delta",
ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016")`` and estimated with
``lavaan::cfa(..., estimator = "WLSMV")``. Each level is compared with the
previous one by lavaan's robust χ²-difference test for scaled-shifted
statistics (``lavTestLRT(..., method = "satorra.2000")``) and by the change
in the scaled CFI and RMSEA.

Notes
-----
Identification per level (groups :math:`g = 1..G`, factor variances 1 in
group 1, latent means 0 in group 1, scale factors :math:`\\delta = 1` and
intercepts :math:`\\nu = 0` in group 1):

========== ============ ========= ============================== =====================
level      thresholds   loadings  intercepts ν, scales δ (g>1)   factor var/mean (g>1)
========== ============ ========= ============================== =====================
configural free         free      ν = 0, δ = 1                   1 / 0
thresholds equal        free      ν free, δ free (≥3 categories) 1 / 0
metric     equal        equal     ν free, δ free (≥3 categories) free / 0
scalar     equal        equal     ν = 0, δ free                  free / free
========== ============ ========= ============================== =====================

The scalar model is the same model as ``lavaan::cfa(..., group.equal =
c("thresholds", "loadings"))``.

δ and ν of an item follow from how many of its thresholds are equal across groups
(semTools' rule): ν is free when at least one is equal and the intercepts are not;
δ is free when two are equal, or one together with the intercepts. So a binary item
keeps δ = 1 at the thresholds and metric levels and has δ free at the scalar level,
which makes the scalar model not nested in the metric one when binary items are
present (as in semTools; the difference test then has ``df_diff`` < 0 and no p
value). ``group_partial`` thresholds do not count as equal; an intercept in
``group_partial`` stays free at the scalar level.

The difference test (Satorra, 2000) for nested models :math:`M_0 \\subset
M_1`: :math:`H = \\Delta_1^{+}\\Delta_0`, :math:`A` spans the orthogonal
complement of the columns of :math:`H`, :math:`P = E_1^{-1}A^\\top
(AE_1^{-1}A^\\top)^{+}AE_1^{-1}`, :math:`U = V\\Delta_1 P\\Delta_1^\\top V`
with :math:`V = \\oplus_g W_g`, :math:`\\Gamma = \\oplus_g f_g\\Gamma_g`,
:math:`m = df_0 - df_1`, :math:`a = \\sqrt{m / \\operatorname{tr}((U\\Gamma)^2)}`,
:math:`b = m - a\\operatorname{tr}(U\\Gamma)` and
:math:`T_\\Delta = a(T_0 - T_1) + b \\sim \\chi^2_m`.

References
----------
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis
models of different levels of invariance for ordered categorical outcomes.
*Psychometrika*, 81(4), 1014–1045. https://doi.org/10.1007/s11336-016-9506-0

Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample
analysis of moment structures. In *Innovations in Multivariate Statistical
Analysis* (pp. 233–247). https://doi.org/10.1007/978-1-4615-4603-0_17

Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
measurement invariance. *Structural Equation Modeling*, 14(3), 464–504.
https://doi.org/10.1080/10705510701301834
"""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from qimscale._core.checks import check_option
from qimscale.errors import DataError, ModelError

from .invariance_common import check_criteria, latent_mean_differences, run_sequence
from .ordinal_model import OrdinalModel
from .partable import _normalise_partial, build_partable
from .syntax import parse_model
from .wlsmv import fit_stage2, infer_ordered, ordinal_stage1_groups, renumber_free
from .wlsmv_lrt import lrt_satorra2000

__all__ = ["ordinal_invariance", "wu_estabrook_partable", "warm_start_values", "level_structure",
           "lrt_satorra2000", "LEVELS"]

LEVELS = ("configural", "thresholds", "metric", "scalar")
_GROUP_EQUAL = {"configural": (), "thresholds": ("thresholds",),
                "metric": ("thresholds", "loadings"),
                "scalar": ("thresholds", "loadings", "intercepts")}


def wu_estabrook_partable(model, level: str, n_thresholds: dict, ngroups: int,
                          group_partial=()):
    """Parameter table of one invariance level, identified as Wu & Estabrook (2016).

    Parameters
    ----------
    model : str or list of Statement
        Configural model (lavaan syntax).
    level : {"configural", "thresholds", "metric", "scalar"}
    n_thresholds : dict
        Item -> number of thresholds.
    ngroups : int
    group_partial : sequence of str
        Parameters released from the equality constraints (e.g. ``"y4 | t1"``).

    Returns
    -------
    ParTable

    Raises
    ------
    ModelError
        Unknown level, or a model with fewer than two groups.
    """
    check_option("level", level, LEVELS, "wu_estabrook_partable")
    if ngroups < 2:
        raise ModelError("measurement invariance needs at least two groups")
    pt = build_partable(model, ngroups=ngroups, std_lv=True, meanstructure=True,
                        group_equal=_GROUP_EQUAL[level], group_partial=group_partial,
                        ordered=n_thresholds)
    lv = set(pt.lv)
    # Wu & Estabrook (2016) as semTools applies them, item by item in each later group,
    # from the number of its thresholds held equal to the first group's (group_partial
    # releases some): the intercept is free when at least one threshold is equal and the
    # intercepts are not; the scale factor is free when two thresholds are equal, or one
    # together with the intercept. Otherwise they stay at 0 and 1 as in the configural model.
    first = {(r["lhs"], r["rhs"]): r["free"] for r in pt.rows if r["op"] == "|" and r["group"] == 1}
    n_equal = Counter((r["lhs"], r["group"]) for r in pt.rows if r["op"] == "|" and r["group"] > 1
                      and r["free"] > 0 and r["free"] == first.get((r["lhs"], r["rhs"])))
    released = {k[0] for k in map(_normalise_partial, group_partial) if k[1] == "~1"}
    for r in pt.rows:
        if r["group"] == 1 or r["user"]:
            continue
        op, lhs = r["op"], r["lhs"]
        if op in ("~*~", "~1") and lhs not in lv:
            n_eq = n_equal[(lhs, r["group"])]
            equal_int = level == "scalar" and lhs not in released
            free = n_eq >= 2 or (n_eq >= 1 and equal_int) if op == "~*~" else n_eq >= 1 and not equal_int
            if free:
                r["free"], r["ustart"] = (-1 if r["free"] == 0 else r["free"]), math.nan
            else:
                r["free"], r["ustart"] = 0, (1.0 if op == "~*~" else 0.0)
        elif op == "~1" and lhs in lv:
            if level == "scalar":
                r["free"], r["ustart"] = (-1 if r["free"] == 0 else r["free"]), math.nan
            else:
                r["free"], r["ustart"] = 0, 0.0
    renumber_free(pt)
    return pt


def ordinal_invariance(data: pd.DataFrame, model: str, group: str, *, ordered="all",
                       levels=LEVELS, group_partial=(), collapse: dict | None = None,
                       criteria: str = "chen2007", missing: str = "listwise", progress=None,
                       configural_fit: dict | None = None, search_partial: bool = False,
                       max_free: int | None = None, warm_start: bool = False,
                       structures: dict | None = None):
    """Ordinal measurement invariance: configural → thresholds → metric → scalar.

    Matches the WLSMV fits of ``semTools::measEq.syntax(configural.model = model,
    data, ordered, parameterization = "delta", ID.fac = "std.lv",
    ID.cat = "Wu.Estabrook.2016", group, group.equal = ...)`` and
    ``lavaan::lavTestLRT()`` between successive levels.

    Parameters
    ----------
    data : DataFrame
    model : str
        Configural model in lavaan syntax.
    group : str
        Grouping column.
    ordered : "all" or list of str
        Every observed variable of the model must be ordered.
    levels : sequence of str
        Subset of ``("configural", "thresholds", "metric", "scalar")``, fitted
        in that order.
    group_partial : sequence of str
        Parameters released from equality (partial invariance), e.g. ``"y4 | t1"``,
        or ``"y4 ~ 1"`` (an intercept, freed at the scalar level).
    collapse : dict, optional
        Explicit category merges (see :func:`~.wlsmv.collapse_categories`).
    criteria : {"chen2007", "chen2007_all", "cheung_rensvold", "chisq"}
        Rule deciding whether a level holds (see
        :func:`~.invariance.non_invariant`), applied to the *scaled* CFI and
        RMSEA and the scaled-shifted difference test. A level holds only if
        the previous level held; the configural model must fit
        (``configural_fit``).
    missing : {"listwise", "pairwise"}
        As lavaan's ``missing=`` (see :func:`~.wlsmv.prepare_ordinal_data`).
    progress : callable, optional
        ``progress(done, total)``, called after each level is fitted
        (``total`` = the number of levels); it does not change any number.
    configural_fit : dict, optional
        ``{"cfi": min, "rmsea": max}`` for the configural model (scaled
        indices; default CFI ≥ .90, RMSEA ≤ .10).
    search_partial : bool
        Free the constraints of the first failing level one at a time (largest
        score statistic first) until it holds.
    max_free : int, optional
        At most this many parameters freed by the search.
    warm_start : bool
        Start each level from the estimates of the level fitted before it (see
        :func:`warm_start_values`) instead of from the sample statistics. The
        estimates are the same within the convergence tolerance; it saves
        Gauss-Newton iterations (Monte Carlo power replications use it).
    structures : dict, optional
        A dict the caller keeps between calls (e.g. across Monte Carlo
        replications of the same model): the parsed model and each level's
        parameter table and :class:`~.ordinal_model.OrdinalModel` are stored in
        it, keyed by level and the number of thresholds per item, and reused
        instead of being built again. No result depends on it.

    Returns
    -------
    InvarianceResult
        ``levels`` (DataFrame; one row per level: ``level, npar, chisq, df,
        pvalue, chisq_scaled, pvalue_scaled, chisq_scaling_factor, cfi, tli,
        rmsea, cfi_scaled, tli_scaled, rmsea_scaled, srmr, chisq_used,
        cfi_used, rmsea_used (the scaled values, which drive the decision),
        delta_cfi, delta_rmsea, delta_srmr, chisq_diff, df_diff, chisq_diff_p``,
        the flags and ``held``; the deltas use the scaled indices and
        ``chisq_diff`` is the scaled-shifted difference statistic),
        ``highest_level_held``, ``fits`` (level -> :class:`~.wlsmv.WLSMVResult`),
        ``latent_means`` (from the scalar level when it holds), ``notes`` (why
        there is no strict level) and ``to_dict()``.

    Raises
    ------
    DataError
        Missing columns, empty categories in a group, fewer than two groups.
    ModelError
        Unknown level or criteria, items that are not ordered.

    Notes
    -----
    The sequence stops at scalar: strict invariance (equal residual variances)
    is not tested because under the delta parameterisation the residual
    variances of the latent responses are not parameters (they are
    ``1/δ² − λ'Ψλ``), so there is nothing to hold equal (Wu & Estabrook 2016).
    """

    levels = list(levels)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        hint = (" ('strict' is not defined for ordered items: their residual variances are not "
                "parameters under the delta parameterisation)" if "strict" in bad else "")
        raise ModelError(f"The 'levels' parameter must contain only {list(LEVELS)}. "
                         f"Got {bad} instead{hint}.")
    check_criteria(criteria)
    levels = [lv for lv in LEVELS if lv in levels]
    cache = {} if structures is None else structures
    stmts, tmp = _parsed(model, cache)
    if tmp.ov_x:
        raise ModelError(f"the model regresses on observed covariates {tmp.ov_x}: the WLSMV invariance "
                         "sequence takes measurement models only; test invariance on the measurement part, "
                         "then fit the model with covariates with group_equal (sem(..., group_equal=...))")
    items = infer_ordered(ordered, tmp.ov)
    if set(items) != set(tmp.ov):
        raise ModelError(f"WLSMV needs every observed variable to be ordered; "
                         f"{[v for v in tmp.ov if v not in items]} are not")
    ov = tmp.ov
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stats_list, labels, lvls, n_dropped = ordinal_stage1_groups(data, ov, group,
                                                                    collapse=collapse,
                                                                    missing=missing)
    if len(labels) < 2:
        raise DataError(f"group column '{group}' has only {len(labels)} distinct value(s); "
                        "invariance needs at least two groups")
    notes = [str(w.message) for w in caught]
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    nth = {v: len(lvls[v]) - 1 for v in ov}

    fitted, baseline = [], {}

    def fit_level(lv, partial):
        pt, om = level_structure(model, lv, nth, len(labels), partial, cache)
        start = warm_start_values(fitted[-1], pt, om, stats_list) if warm_start and fitted else None
        fit = fit_stage2(om, pt, stats_list, labels, n_dropped, start=start, baseline=baseline)
        fit.warnings_.extend(notes)
        fitted.append(fit)
        return fit

    def describe(fit):
        f = fit.fit
        rec = {k: f[k] for k in ("npar", "chisq", "df", "pvalue", "chisq_scaled", "pvalue_scaled",
                                 "chisq_scaling_factor", "cfi", "tli", "rmsea", "cfi_scaled",
                                 "tli_scaled", "rmsea_scaled", "srmr")}
        rec["chisq_used"] = f["chisq_scaled"]
        rec["cfi_used"] = f["cfi_scaled"]
        rec["rmsea_used"] = f["rmsea_scaled"]
        return rec

    def compare(prev, fit):
        lrt = lrt_satorra2000(prev, fit)
        return lrt["chisq_diff"], lrt["df_diff"], lrt["pvalue"]

    def latent_means_of(fit, lev):
        return latent_mean_differences(fit.parameter_estimates(), fit.model.lv, labels, lev)

    seq_notes = [STRICT_NOTE] if levels and levels[-1] == "scalar" else []
    return run_sequence(levels, fit_level, describe, compare, criteria=criteria, estimator="WLSMV",
                        indices_used="scaled", group_partial=group_partial,
                        configural_fit=configural_fit, search_partial=search_partial,
                        max_free=max_free, progress=progress, latent_means_of=latent_means_of,
                        notes=seq_notes)


def _parsed(model, cache: dict):
    if ("model", model) not in cache:
        stmts = parse_model(model)
        cache[("model", model)] = (stmts, build_partable(stmts, ngroups=None))
    return cache[("model", model)]


def level_structure(model: str, level: str, n_thresholds: dict, ngroups: int, group_partial=(),
                    structures: dict | None = None):
    """The parameter table and :class:`~.ordinal_model.OrdinalModel` of one invariance level.

    Built once per ``(model, level, thresholds per item, ngroups, group_partial)`` and kept in
    ``structures`` (when given), so that Monte Carlo replications of one design (see
    ``ordinal_invariance(structures=...)``) parse the model and build the tables once; a caller
    can fill it before shipping it to worker processes.

    Parameters
    ----------
    model : str
        Configural model (lavaan syntax).
    level : {"configural", "thresholds", "metric", "scalar"}
    n_thresholds : dict
        Item -> number of thresholds.
    ngroups : int
    group_partial : sequence of str
    structures : dict, optional
        The cache to read and fill.

    Returns
    -------
    tuple
        ``(ParTable, OrdinalModel)``; treat both as read-only.

    Raises
    ------
    ModelError
        As :func:`wu_estabrook_partable` and :class:`~.ordinal_model.OrdinalModel`.

    Examples
    --------
    >>> cache = {}
    >>> pt, om = level_structure("f =~ y1 + y2 + y3", "metric", {"y1": 2, "y2": 2, "y3": 2}, 2, structures=cache)
    >>> om.npar, len(cache)
    (16, 2)
    >>> level_structure("f =~ y1 + y2 + y3", "metric", {"y1": 2, "y2": 2, "y3": 2}, 2, structures=cache)[1] is om
    True
    """
    cache = {} if structures is None else structures
    stmts, tmp = _parsed(model, cache)
    nth = {v: int(n_thresholds[v]) for v in tmp.ov if v in n_thresholds}
    key = ("level", model, level, tuple(sorted(nth.items())), int(ngroups), tuple(group_partial))
    if key not in cache:
        pt = wu_estabrook_partable(stmts, level, nth, ngroups, group_partial=group_partial)
        cache[key] = (pt, OrdinalModel(pt, nth))
    return cache[key]


def warm_start_values(previous, partable, om, stats_list):
    """Starting values for ``partable`` from the estimates of a less restricted fit.

    Every free parameter of ``partable`` starts at the value the same row
    (``lhs op rhs``, group) has in ``previous`` (estimated or fixed there); a
    parameter held equal across groups starts at its first group's value. Rows
    ``previous`` lacks start as :meth:`~.ordinal_model.OrdinalModel.start` puts
    them. The start is a function of the data of this call only, so a sequence
    fitted with it gives the same numbers wherever it runs.

    Parameters
    ----------
    previous : WLSMVResult
        A fit of a less restricted level to the same statistics.
    partable : ParTable
    om : OrdinalModel
        Built from ``partable``.
    stats_list : list of OrdinalStats

    Returns
    -------
    ndarray
        One value per free parameter of ``partable``.
    """
    known = {}
    prev = previous.theta if previous.partable.lin is None else previous.partable.lin.expand(previous.theta)
    for r in previous.partable.rows:
        key = (r["lhs"], r["op"], r["rhs"], r["group"])
        known[key] = prev[r["free"] - 1] if r["free"] > 0 else r["ustart"]
    theta = np.full(om.nfull, np.nan)
    for r in partable.rows:
        f = r["free"]
        if f > 0 and np.isnan(theta[f - 1]):
            theta[f - 1] = known.get((r["lhs"], r["op"], r["rhs"], r["group"]), math.nan)
    if om.lin is not None:  # linear equality constraints: the start is theta*
        theta = om.lin.reduce(theta)
    unknown = np.isnan(theta)
    if unknown.any():  # only then the start from the sample statistics
        cold = om.start([st.s[: om.n_th] for st in stats_list], [st.s[om.cor_offset:] for st in stats_list])
        theta[unknown] = cold[unknown]
    return theta


#: why the ordinal sequence ends at scalar
STRICT_NOTE = ("the ordinal sequence stops at scalar: strict invariance (equal residual variances) is not "
               "tested because, under the delta parameterization, the residual variances of the latent "
               "responses are not parameters (Wu & Estabrook 2016)")
