"""Measurement invariance: configural → metric → scalar → strict.

Each level adds equality constraints across groups (``group_equal``):
metric = loadings; scalar = + intercepts (latent means then free beyond
the first group); strict = + residual variances. Every level is compared
with the previous one by ΔCFI, ΔRMSEA, ΔSRMR and the χ² difference test
(Satorra–Bentler 2001 scaled difference for MLR,
doi:10.1007/BF02296192; as ``lavaan::lavTestLRT(method = "satorra.bentler.2001")``).

Every comparison reports each index's flag side by side (:func:`index_flags`):

- ``flag_cfi``: ΔCFI ≤ −.010 (Cheung & Rensvold 2002; Chen 2007);
- ``flag_rmsea``: ΔRMSEA ≥ .015 (Chen 2007);
- ``flag_srmr``: ΔSRMR ≥ .030 for loadings (metric), ≥ .010 for intercepts,
  thresholds and residuals (Chen 2007);
- ``flag_chisq``: (scaled) χ² difference test p < .05;

and which of the rules in :data:`CRITERIA` fail the level (``rules_failing``,
``rules_disagree``). A level *holds* when its rule finds no worsening, its
model converged and the previous level held:

- ``"chen2007"`` (default; Chen 2007, doi:10.1080/10705510701301834, for
  N > 300): non-invariance if *any* of its indices passes its cut-off —
  ΔCFI ≤ −.010, ΔRMSEA ≥ .015 or ΔSRMR ≥ .030 (metric) / .010 (later levels).
  Chen proposed the indices jointly; a reviewer rejects a level that any of
  them flags, so the conservative reading is the default;
- ``"chen2007_all"``: the literal reading, ΔCFI ≤ −.010 *and* (ΔRMSEA ≥ .015
  or ΔSRMR ≥ cut);
- ``"cheung_rensvold"`` (Cheung & Rensvold 2002, doi:10.1207/S15328007SEM0902_5):
  non-invariance if ΔCFI < −.010;
- ``"chisq"``: non-invariance if the (scaled) χ² difference test has p < .05.

The configural model is the baseline: it must itself fit (CFI ≥ .90 and
RMSEA ≤ .10 by default, ``configural_fit=``; the indices the decision uses,
robust for MLR and scaled for WLSMV) or the sequence reports "configural model
does not fit: invariance not assessable" and ``highest_level_held`` is
``"none"``.

For the first level that fails, score tests for freeing each of its equality
constraints (:func:`~.score_tests.score_tests`, as ``lavaan::lavTestScore``,
univariate and cumulative) point to the parameters to release for a
partial-invariance model (``group_partial``); ``search_partial=True`` frees
them one at a time, largest statistic first, until the level holds.
"""


from __future__ import annotations

import math

import pandas as pd

from qimscale._core.distributions import chi2_sf
from qimscale.errors import ModelError

from .fit import CFA
from .invariance_common import (CONFIGURAL_FIT, CRITERIA, CUTOFFS, FLAGS, LATENT_MEAN_COLUMNS, LEVELS,
                                InvarianceResult, check_criteria, index_flags, latent_mean_differences, mark_held,
                                non_invariant, run_sequence)
from .syntax import read_model_text

__all__ = ["measurement_invariance", "InvarianceResult", "LEVELS", "CRITERIA", "check_criteria",
           "non_invariant", "index_flags", "mark_held", "latent_mean_differences",
           "LATENT_MEAN_COLUMNS", "CONFIGURAL_FIT", "CUTOFFS", "FLAGS", "run_sequence"]


def _sb2001(fit0, fit1):
    """Scaled chi-square difference (Satorra & Bentler 2001)."""
    f0, f1 = fit0.fit_measures(), fit1.fit_measures()
    d_df = f0["df"] - f1["df"]
    c0, c1 = f0["chisq_scaling_factor"], f1["chisq_scaling_factor"]
    cd = (f0["df"] * c0 - f1["df"] * c1) / d_df
    return (f0["chisq"] - f1["chisq"]) / cd, d_df


def measurement_invariance(model: str, data: pd.DataFrame, *, group: str, estimator: str | None = None,
                           missing: str = "listwise", std_lv: bool = False, group_partial=(),
                           levels=tuple(LEVELS), criteria: str = "chen2007", ordered=None,
                           collapse: dict | None = None, progress=None, configural_fit: dict | None = None,
                           search_partial: bool = False, max_free: int | None = None) -> InvarianceResult:
    """Fit configural, metric, scalar and strict models and compare them.

    Parameters
    ----------
    model : str
        lavaan syntax of the (single-group) measurement model.
    data : DataFrame
    group : str
        Grouping column.
    estimator : {"ML", "MLR", "WLSMV"}, optional
        Default: ``"WLSMV"`` with ``ordered`` items, else ``"ML"``.
    missing : {"listwise", "fiml", "pairwise"}
        ``"fiml"`` for ML/MLR; ``"pairwise"`` for WLSMV (ordered items).
    std_lv : bool
    group_partial : sequence of str
        Parameters left free across groups at every level (partial invariance),
        e.g. ``["x3 ~ 1"]``.
    levels : sequence of str
        Subset and order of ``configural, metric, scalar, strict``.
    criteria : {"chen2007", "chen2007_all", "cheung_rensvold", "chisq"}
        Rule deciding whether a level holds (see the module docstring); the
        default fails a level that any of ΔCFI, ΔRMSEA, ΔSRMR flags.
    ordered : sequence of str or "all", optional
        Ordinal items: with these (or ``estimator="WLSMV"``) the call is handed
        to :func:`~.wlsmv_invariance.ordinal_invariance` (configural →
        thresholds → metric → scalar, Wu & Estabrook 2016).
    collapse : dict, optional
        Ordered items only: explicit category merges ``{item: {old: new}}``
        (see :func:`~.wlsmv.collapse_categories`).
    progress : callable, optional
        ``progress(done, total)``, called after each level is fitted
        (``total = len(levels)``); it does not change any number.
    configural_fit : dict, optional
        Fit the baseline (configural) model needs, ``{"cfi": min, "rmsea": max}``
        (default :data:`CONFIGURAL_FIT`: CFI ≥ .90, RMSEA ≤ .10, robust for MLR).
    search_partial : bool
        For the first level that fails, free its equality constraints one at a
        time, largest univariate score statistic first, until the level holds
        (``partial_search`` of the result says what was freed).
    max_free : int, optional
        At most this many parameters freed by the search.

    Returns
    -------
    InvarianceResult

    Raises
    ------
    ModelError
        Unknown levels or criteria; ``missing`` not available with the
        estimator; ``collapse`` without ordered items; ``ordered`` with
        estimator ML or MLR.

    Notes
    -----
    Each level matches ``lavaan::cfa(model, data, group = group,
    group.equal = ...)``; the tests match ``lavaan::lavTestLRT``, the score
    tests ``lavaan::lavTestScore(fit, cumulative = TRUE)``.

    References
    ----------
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. *Structural Equation Modeling*, 14(3), 464–504.
    https://doi.org/10.1080/10705510701301834

    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit
    indexes for testing measurement invariance. *Structural Equation
    Modeling*, 9(2), 233–255. https://doi.org/10.1207/S15328007SEM0902_5
    """
    est = ("WLSMV" if ordered else "ML") if estimator is None else str(estimator).upper()
    if ordered and est != "WLSMV":
        raise ModelError(f"ordered items need estimator 'WLSMV' (or no estimator); estimator {est!r} "
                         "treats items as continuous: drop ordered= to do that")
    if est == "WLSMV":
        # ordinal items: Wu & Estabrook (2016) sequence, owned by the WLSMV module (imported here, not
        # at the top, so that ML fits do not load the WLSMV code: start-up, not a cycle)
        from .wlsmv_invariance import ordinal_invariance

        kwargs = {} if tuple(levels) == tuple(LEVELS) else {"levels": levels}
        return ordinal_invariance(data, read_model_text(model), group, ordered=ordered or "all",
                                  group_partial=group_partial, collapse=collapse,
                                  criteria=criteria, missing=missing, progress=progress,
                                  configural_fit=configural_fit, search_partial=search_partial,
                                  max_free=max_free, **kwargs)
    if collapse:
        raise ModelError("collapse= merges categories of ordered items; it needs estimator='WLSMV' "
                         "or ordered=... (continuous items are not recoded)")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ModelError(f"invariance levels must be among {', '.join(LEVELS)}; got {', '.join(bad)}")
    check_criteria(criteria)

    def fit_level(lev, partial):
        return CFA(model, estimator=est, missing=missing, group=group, group_equal=list(LEVELS[lev]),
                   group_partial=partial, std_lv=std_lv).fit(data)

    cache: dict = {}

    def describe(res):
        if id(res) in cache:
            return cache[id(res)][1]
        fm = res.fit_measures()
        rec = {k: fm[k] for k in _DESCRIBE if k in fm}
        robust = est == "MLR" and math.isfinite(fm.get("cfi_robust", math.nan))
        rec["chisq_used"] = fm["chisq_scaled"] if est == "MLR" and "chisq_scaled" in fm else fm["chisq"]
        rec["cfi_used"] = fm["cfi_robust"] if robust else fm["cfi"]
        rec["rmsea_used"] = fm["rmsea_robust"] if robust else fm["rmsea"]
        cache[id(res)] = (res, rec)  # the fit is kept so its id is not reused
        return rec

    def compare(prev, res):
        fm, pfm = res.fit_measures(), prev.fit_measures()
        if "chisq_scaling_factor" in fm and "chisq_scaling_factor" in pfm:
            diff, ddf = _sb2001(res, prev)
        else:
            diff, ddf = fm["chisq"] - pfm["chisq"], fm["df"] - pfm["df"]
        return diff, ddf, (float(chi2_sf(diff, ddf)) if ddf > 0 else math.nan)

    def latent_means_of(res, lev):
        return latent_mean_differences(res.parameter_estimates(), res.partable_.lv, res.group_labels_, lev)

    return run_sequence(list(levels), fit_level, describe, compare, criteria=criteria, estimator=est,
                        indices_used="robust" if est == "MLR" else "standard", group_partial=group_partial,
                        configural_fit=configural_fit, search_partial=search_partial, max_free=max_free,
                        progress=progress, latent_means_of=latent_means_of)


_DESCRIBE = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
             "srmr", "aic", "bic", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi_scaled",
             "tli_scaled", "cfi_robust", "tli_robust", "rmsea_robust")
