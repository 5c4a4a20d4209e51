"""Measurement invariance: configural → metric → scalar → strict.

Each level adds equality constraints across groups (``group_equal``):
metric = loadings; scalar = + intercepts (latent means then free beyond
the first group); strict = + residual variances. Every level is compared
with the previous one by ΔCFI, ΔRMSEA, ΔSRMR and the χ² difference test
(Satorra–Bentler 2001 scaled difference for MLR,
doi:10.1007/BF02296192; as ``lavaan::lavTestLRT(method = "satorra.bentler.2001")``).

A level *holds* when it does not worsen fit beyond the chosen criteria and
the previous level held:

- ``"chen2007"`` (Chen 2007, doi:10.1080/10705510701301834; for N > 300):
  non-invariance if ΔCFI ≤ −.010 together with ΔRMSEA ≥ .015 or ΔSRMR ≥ .030
  (metric) / ΔSRMR ≥ .010 (scalar, strict);
- ``"cheung_rensvold"`` (Cheung & Rensvold 2002, doi:10.1207/S15328007SEM0902_5):
  non-invariance if ΔCFI < −.010;
- ``"chisq"``: non-invariance if the (scaled) χ² difference test has p < .05.

For the first level that fails, score tests for freeing each of its
equality constraints (``lavaan::lavTestScore``) point to the parameters to
release for a partial-invariance model (``group_partial``).

The configural model is the baseline and is reported with its fit; it is
taken as held (judge its absolute fit from ``cfi``/``rmsea``/``srmr``).
For MLR the robust CFI and RMSEA (when available) drive the decision.
"""

from __future__ import annotations

import math

import pandas as pd

from qimscale._core.distributions import chi2_sf
from qimscale.errors import ModelError

from .fit import CFA
from .invariance_common import (CRITERIA, LATENT_MEAN_COLUMNS, LEVELS, InvarianceResult, check_criteria,
                                latent_mean_differences, mark_held, non_invariant)
from .syntax import read_model_text

__all__ = ["measurement_invariance", "InvarianceResult", "LEVELS", "CRITERIA", "check_criteria",
           "non_invariant", "mark_held", "latent_mean_differences", "LATENT_MEAN_COLUMNS"]

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
                           collapse: dict | None = None, progress=None) -> InvarianceResult:
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
    criteria : {"chen2007", "cheung_rensvold", "chisq"}
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
    group.equal = ...)``; the tests match ``lavaan::lavTestLRT``.
    """
    est = ("WLSMV" if ordered else "ML") if estimator is None else str(estimator).upper()
    if ordered and est != "WLSMV":
        raise ModelError(f"ordered items need estimator 'WLSMV' (or no estimator); estimator {est!r} "
                         "treats items as continuous: drop ordered= to do that")
    if est == "WLSMV":
        # ordinal items: Wu & Estabrook (2016) sequence, owned by the WLSMV module (imported
        # here, not at the top, so that continuous invariance never loads the ordinal engine)
        from .wlsmv_invariance import ordinal_invariance

        kwargs = {} if tuple(levels) == tuple(LEVELS) else {"levels": levels}

        return ordinal_invariance(data, read_model_text(model), group, ordered=ordered or "all",
                                  group_partial=group_partial, collapse=collapse,
                                  criteria=criteria, missing=missing, progress=progress, **kwargs)
    if collapse:
        raise ModelError("collapse= merges categories of ordered items; it needs estimator='WLSMV' "
                         "or ordered=... (continuous items are not recoded)")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ModelError(f"invariance levels must be among {', '.join(LEVELS)}; got {', '.join(bad)}")
    check_criteria(criteria)
    fits = {}
    recs = []
    prev = None
    for i, lev in enumerate(levels):
        if progress is not None and i:
            progress(i, len(levels))
        res = CFA(model, estimator=est, missing=missing, group=group, group_equal=list(LEVELS[lev]),
                  group_partial=group_partial, std_lv=std_lv).fit(data)
        fits[lev] = res
        fm = res.fit_measures()
        rec = {"level": lev}
        for k in ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
                  "srmr", "aic", "bic", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled", "cfi_scaled",
                  "tli_scaled", "cfi_robust", "tli_robust", "rmsea_robust"):
            if k in fm:
                rec[k] = fm[k]
        robust = est == "MLR" and math.isfinite(fm.get("cfi_robust", math.nan))
        rec["cfi_used"] = fm["cfi_robust"] if robust else fm["cfi"]
        rec["rmsea_used"] = fm["rmsea_robust"] if robust else fm["rmsea"]
        if prev is None:
            rec.update({"delta_cfi": math.nan, "delta_rmsea": math.nan, "delta_srmr": math.nan,
                        "chisq_diff": math.nan, "df_diff": math.nan, "chisq_diff_p": math.nan})
        else:
            pfm = fits[prev].fit_measures()
            rec["delta_cfi"] = rec["cfi_used"] - recs[-1]["cfi_used"]
            rec["delta_rmsea"] = rec["rmsea_used"] - recs[-1]["rmsea_used"]
            rec["delta_srmr"] = fm["srmr"] - pfm["srmr"]
            if "chisq_scaling_factor" in fm and "chisq_scaling_factor" in pfm:
                diff, ddf = _sb2001(res, fits[prev])
            else:
                diff, ddf = fm["chisq"] - pfm["chisq"], fm["df"] - pfm["df"]
            rec["chisq_diff"] = diff
            rec["df_diff"] = ddf
            rec["chisq_diff_p"] = float(chi2_sf(diff, ddf)) if ddf > 0 else math.nan
        prev = lev
        recs.append(rec)
    if progress is not None:
        progress(len(levels), len(levels))
    highest = mark_held(recs, criteria, [fits[lev].converged_ for lev in levels])
    table = pd.DataFrame.from_records(recs)
    lm_level = None
    for lev in ("strict", "scalar"):
        if lev in fits and table.loc[table.level == lev, "held"].any():
            lm_level = lev
            break
    if lm_level is None:
        latent = pd.DataFrame(columns=LATENT_MEAN_COLUMNS)
    else:
        res = fits[lm_level]
        latent = latent_mean_differences(res.parameter_estimates(), res.partable_.lv,
                                         res.group_labels_, lm_level)
    failed = [lev for lev, held in zip(table.level, table.held) if not held]
    release = pd.DataFrame()
    if failed and not fits[failed[0]].fiml_:
        release = fits[failed[0]].release_tests()
        release.insert(0, "level", failed[0])
    return InvarianceResult(table, highest, fits, latent, criteria, est, release)
