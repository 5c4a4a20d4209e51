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
from scipy import stats

from qimscale._core.result import Result
from qimscale.errors import ModelError

from .fit import CFA

__all__ = ["measurement_invariance", "InvarianceResult", "LEVELS", "CRITERIA", "check_criteria",
           "non_invariant", "mark_held", "latent_mean_differences", "LATENT_MEAN_COLUMNS"]

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
CRITERIA = ("chen2007", "cheung_rensvold", "chisq")


def check_criteria(criteria: str) -> None:
    """Raise :class:`ModelError` unless ``criteria`` is one of :data:`CRITERIA`."""
    if criteria not in CRITERIA:
        raise ModelError(f"The 'criteria' parameter must be one of {', '.join(CRITERIA)}. "
                         f"Got {criteria!r} instead.")


def non_invariant(rec: dict, level: str, criteria: str) -> bool:
    """Whether the change from the previous level signals non-invariance.

    Parameters
    ----------
    rec : dict
        The level's comparison with the previous level: ``delta_cfi``,
        ``delta_rmsea``, ``delta_srmr`` and ``chisq_diff_p``.
    level : str
        The level being judged (``"metric"`` uses the looser ΔSRMR cut).
    criteria : {"chen2007", "cheung_rensvold", "chisq"}

    Returns
    -------
    bool
        ``"chen2007"``: ΔCFI ≤ −.010 and (ΔRMSEA ≥ .015 or ΔSRMR ≥ .030 for
        metric, ≥ .010 otherwise) (Chen, 2007,
        https://doi.org/10.1080/10705510701301834); ``"cheung_rensvold"``:
        ΔCFI < −.010 (Cheung & Rensvold, 2002,
        https://doi.org/10.1207/S15328007SEM0902_5); ``"chisq"``: the χ²
        difference test has p < .05 (a NaN p-value is not a failure).

    Examples
    --------
    >>> non_invariant({"delta_cfi": -0.012, "delta_rmsea": 0.004, "delta_srmr": 0.02,
    ...                "chisq_diff_p": 0.2}, "metric", "chen2007")
    False
    >>> non_invariant({"delta_cfi": -0.012, "delta_rmsea": 0.004, "delta_srmr": 0.02,
    ...                "chisq_diff_p": 0.2}, "scalar", "chen2007")
    True
    """
    if criteria == "chen2007":
        srmr_cut = 0.030 if level == "metric" else 0.010
        return bool(rec["delta_cfi"] <= -0.010
                    and (rec["delta_rmsea"] >= 0.015 or rec["delta_srmr"] >= srmr_cut))
    if criteria == "chisq":
        return bool(rec["chisq_diff_p"] < 0.05)
    return bool(rec["delta_cfi"] < -0.010)


def mark_held(recs: list, criteria: str, converged=None) -> str | None:
    """Decide, level by level, whether invariance holds; set ``rec["held"]``.

    The first level is the baseline and is taken as held. Each later level
    holds when the previous one held, :func:`non_invariant` finds no
    worsening, and its model converged.

    Parameters
    ----------
    recs : list of dict
        One comparison record per level, in fitting order (see
        :func:`non_invariant`; each needs a ``level`` key).
    criteria : {"chen2007", "cheung_rensvold", "chisq"}
    converged : sequence of bool, optional
        Convergence of each level's fit (default: all converged).

    Returns
    -------
    str or None
        The last level that holds.
    """
    converged = [True] * len(recs) if converged is None else list(converged)
    prev_held, highest = True, None
    for i, rec in enumerate(recs):
        held = i == 0 or (prev_held and converged[i]
                          and not non_invariant(rec, rec["level"], criteria))
        rec["held"] = bool(held)
        if held:
            highest = rec["level"]
        prev_held = held
    return highest


class InvarianceResult(Result):
    """Fits and comparisons of the invariance levels.

    Attributes
    ----------
    levels : DataFrame
        One row per level: ``level, npar, chisq, df, pvalue, cfi, tli, rmsea,
        srmr, aic, bic`` (+ ``chisq_scaled, cfi_robust, tli_robust,
        rmsea_robust`` for MLR), ``cfi_used, rmsea_used`` (the values the
        decision uses: robust for MLR, standard otherwise), ``delta_cfi,
        delta_rmsea`` (differences of ``cfi_used``/``rmsea_used``),
        ``delta_srmr, chisq_diff, df_diff, chisq_diff_p, held``.
    highest_level_held : str
    fits : dict of level -> CFAResult
    latent_means : DataFrame
        Latent mean differences (groups 2.. vs group 1) from the highest held
        level at or above ``scalar``; empty when scalar invariance fails.
    release_tests : DataFrame
        For the first level that does not hold: score tests for freeing each
        of its equality constraints (``CFAResult.release_tests``; ``level``
        column added), the usual guide to a partial-invariance model. Empty
        when every level holds.
    """

    def __init__(self, levels, highest, fits, latent_means, criteria, estimator, release_tests=None):
        self.levels = levels
        self.release_tests = release_tests if release_tests is not None else pd.DataFrame()
        self.highest_level_held = highest
        self.fits = fits
        self.latent_means = latent_means
        self.criteria = criteria
        self.estimator = estimator

    def to_dict(self) -> dict:
        warnings = {lev: fit.warnings_ for lev, fit in self.fits.items() if fit.warnings_}
        return {"estimator": self.estimator, "criteria": self.criteria,
                "groups": [str(g) for g in next(iter(self.fits.values())).group_labels_],
                "levels": self.levels.to_dict(orient="records"),
                "highest_level_held": self.highest_level_held,
                "latent_means": self.latent_means.to_dict(orient="records"),
                "release_tests": self.release_tests.to_dict(orient="records"),
                "warnings": warnings}

    # -- the result protocol ---------------------------------------------------------------
    title = "Measurement invariance"

    @property
    def warnings(self) -> list[str]:
        """Each fit's warnings once, led by the levels it concerns unless it concerns them all
        (``to_dict()["warnings"]`` keeps them by level)."""
        by_msg: dict = {}
        for lev, fit in self.fits.items():
            for m in fit.warnings_:
                by_msg.setdefault(m, []).append(lev)
        return [m if len(levs) == len(self.fits) else f"{', '.join(levs)}: {m}" for m, levs in by_msg.items()]

    def tables(self) -> dict:
        """``"levels"`` (one row per level), ``"latent_means"`` and ``"release_tests"``."""
        return {"levels": self.levels.copy(), "latent_means": self.latent_means.copy(),
                "release_tests": self.release_tests.copy()}

    def summary(self) -> str:
        """The levels table, the highest level held and the latent mean differences."""
        cols = ["level", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea", "delta_srmr",
                "chisq_diff_p", "held"]
        f4 = lambda v: f"{v:.4f}"  # noqa: E731
        lines = [self.levels[[c for c in cols if c in self.levels.columns]].to_string(index=False, float_format=f4),
                 f"\nHighest level held ({self.criteria}): {self.highest_level_held}"]
        if len(self.latent_means):
            lines += ["\nLatent mean differences (vs the first group):",
                      self.latent_means.to_string(index=False, float_format=f4)]
        return "\n".join(lines + [f"Warning: {w}" for w in self.warnings])


LATENT_MEAN_COLUMNS = ["level", "group", "reference_group", "factor", "est", "se", "z", "pvalue",
                       "std_all"]


def latent_mean_differences(estimates: pd.DataFrame, factors, group_labels, level: str) -> pd.DataFrame:
    """Latent means of groups 2, 3, ... (differences from the first group, whose means are 0).

    Parameters
    ----------
    estimates : DataFrame
        ``parameter_estimates()`` of a fit with free latent means beyond group 1
        (columns ``lhs, op, group, est, se, z, pvalue, std_all``).
    factors : collection of str
        Latent variable names.
    group_labels : sequence
        Group labels, in group order.
    level : str
        Invariance level the fit belongs to (copied to the ``level`` column).

    Returns
    -------
    DataFrame
        Columns :data:`LATENT_MEAN_COLUMNS`.
    """
    sel = estimates[(estimates.op == "~1") & estimates.lhs.isin(set(factors)) & (estimates.group > 1)]
    return pd.DataFrame({"level": level, "group": [str(group_labels[g - 1]) for g in sel.group],
                         "reference_group": str(group_labels[0]), "factor": sel.lhs.to_numpy(),
                         "est": sel.est.to_numpy(), "se": sel.se.to_numpy(), "z": sel.z.to_numpy(),
                         "pvalue": sel.pvalue.to_numpy(), "std_all": sel.std_all.to_numpy()},
                        columns=LATENT_MEAN_COLUMNS)


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
        # ordinal items: Wu & Estabrook (2016) sequence, owned by the WLSMV module
        from .wlsmv_invariance import ordinal_invariance

        kwargs = {} if tuple(levels) == tuple(LEVELS) else {"levels": levels}
        from .fit import read_model_text

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
            rec["chisq_diff_p"] = float(stats.chi2.sf(diff, ddf)) if ddf > 0 else math.nan
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
