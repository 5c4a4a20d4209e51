"""The shared vocabulary of measurement invariance, continuous and ordinal.

Level names, the decision criteria and their cut-offs, the per-index flags, the
level-by-level decision, the sequence runner (with score tests and the partial-
invariance search) and the result class. Both :mod:`.invariance` (ML/MLR:
configural → metric → scalar → strict) and :mod:`.wlsmv_invariance` (WLSMV:
configural → thresholds → metric → scalar) build on it; neither imports the
other, so the import graph stays a tree. See :mod:`.invariance` for the
criteria and their references.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import ModelError

from .score_tests import constraint_name, score_tests

__all__ = ["measurement_invariance", "InvarianceResult", "LEVELS", "CRITERIA", "check_criteria",
           "non_invariant", "index_flags", "mark_held", "latent_mean_differences",
           "LATENT_MEAN_COLUMNS", "CONFIGURAL_FIT", "run_sequence"]

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
CRITERIA = ("chen2007", "chen2007_all", "cheung_rensvold", "chisq")
#: default absolute fit the configural (baseline) model needs: CFI ≥ .90, RMSEA ≤ .10
CONFIGURAL_FIT = {"cfi": 0.90, "rmsea": 0.10}
#: cut-offs of the change indices (Chen 2007; Cheung & Rensvold 2002); SRMR: loadings / later levels
CUTOFFS = {"delta_cfi": -0.010, "delta_rmsea": 0.015, "delta_srmr_metric": 0.030, "delta_srmr": 0.010,
           "chisq_p": 0.05}
FLAGS = ("flag_cfi", "flag_rmsea", "flag_srmr", "flag_chisq")


def check_criteria(criteria: str) -> None:
    """Raise :class:`ModelError` unless ``criteria`` is one of :data:`CRITERIA`."""
    if criteria not in CRITERIA:
        raise ModelError(f"The 'criteria' parameter must be one of {', '.join(CRITERIA)}. "
                         f"Got {criteria!r} instead.")


def _ge(x, cut) -> bool:
    return bool(x is not None and not math.isnan(x) and x >= cut)


def index_flags(rec: dict, level: str) -> dict:
    """Each change index's verdict: does it signal non-invariance on its own?

    Parameters
    ----------
    rec : dict
        ``delta_cfi``, ``delta_rmsea``, ``delta_srmr`` and ``chisq_diff_p``.
    level : str
        The level being judged (``"metric"`` uses the looser ΔSRMR cut).

    Returns
    -------
    dict
        ``flag_cfi`` (ΔCFI ≤ −.010), ``flag_rmsea`` (ΔRMSEA ≥ .015),
        ``flag_srmr`` (ΔSRMR ≥ .030 for metric, ≥ .010 otherwise),
        ``flag_chisq`` (p < .05). A missing (NaN) value flags nothing.

    References
    ----------
    Chen, F. F. (2007). https://doi.org/10.1080/10705510701301834;
    Cheung, G. W., & Rensvold, R. B. (2002). https://doi.org/10.1207/S15328007SEM0902_5

    Examples
    --------
    >>> index_flags({"delta_cfi": -0.0205, "delta_rmsea": 0.0144, "delta_srmr": 0.004,
    ...              "chisq_diff_p": 1e-7}, "scalar")
    {'flag_cfi': True, 'flag_rmsea': False, 'flag_srmr': False, 'flag_chisq': True}
    """
    srmr_cut = CUTOFFS["delta_srmr_metric"] if level == "metric" else CUTOFFS["delta_srmr"]
    p = rec.get("chisq_diff_p", math.nan)
    return {"flag_cfi": _ge(-rec["delta_cfi"], -CUTOFFS["delta_cfi"]),
            "flag_rmsea": _ge(rec["delta_rmsea"], CUTOFFS["delta_rmsea"]),
            "flag_srmr": _ge(rec["delta_srmr"], srmr_cut),
            "flag_chisq": bool(p is not None and not math.isnan(p) and p < CUTOFFS["chisq_p"])}


def non_invariant(rec: dict, level: str, criteria: str) -> bool:
    """Whether the change from the previous level signals non-invariance.

    Parameters
    ----------
    rec : dict
        The level's comparison with the previous level: ``delta_cfi``,
        ``delta_rmsea``, ``delta_srmr`` and ``chisq_diff_p``.
    level : str
        The level being judged (``"metric"`` uses the looser ΔSRMR cut).
    criteria : {"chen2007", "chen2007_all", "cheung_rensvold", "chisq"}

    Returns
    -------
    bool
        ``"chen2007"``: any of ΔCFI ≤ −.010, ΔRMSEA ≥ .015, ΔSRMR ≥ .030
        (metric) / .010 (Chen, 2007, https://doi.org/10.1080/10705510701301834);
        ``"chen2007_all"``: ΔCFI ≤ −.010 and (ΔRMSEA ≥ .015 or ΔSRMR ≥ cut);
        ``"cheung_rensvold"``: ΔCFI < −.010 (Cheung & Rensvold, 2002,
        https://doi.org/10.1207/S15328007SEM0902_5); ``"chisq"``: the χ²
        difference test has p < .05 (a NaN p-value is not a failure).

    Examples
    --------
    >>> rec = {"delta_cfi": -0.012, "delta_rmsea": 0.004, "delta_srmr": 0.02, "chisq_diff_p": 0.2}
    >>> non_invariant(rec, "metric", "chen2007"), non_invariant(rec, "metric", "chen2007_all")
    (True, False)
    >>> non_invariant(rec, "scalar", "chen2007_all")
    True
    """
    f = index_flags(rec, level)
    if criteria == "chen2007":
        return f["flag_cfi"] or f["flag_rmsea"] or f["flag_srmr"]
    if criteria == "chen2007_all":
        return f["flag_cfi"] and (f["flag_rmsea"] or f["flag_srmr"])
    if criteria == "chisq":
        return f["flag_chisq"]
    d = rec["delta_cfi"]
    return bool(d is not None and not math.isnan(d) and d < CUTOFFS["delta_cfi"])


def _baseline_fits(rec: dict, configural_fit: dict) -> bool:
    cfi, rmsea = rec.get("cfi_used", math.nan), rec.get("rmsea_used", math.nan)
    return bool(_ge(cfi, configural_fit["cfi"]) and rmsea is not None and not math.isnan(rmsea)
                and rmsea <= configural_fit["rmsea"])


def mark_held(recs: list, criteria: str, converged=None, configural_fit: dict | None = None) -> str:
    """Decide, level by level, whether invariance holds; set the flags and ``rec["held"]``.

    The first level is the baseline: it holds when its model converged and
    fits (``cfi_used ≥ configural_fit["cfi"]`` and ``rmsea_used ≤
    configural_fit["rmsea"]``). Each later level holds when the previous one
    held, :func:`non_invariant` finds no worsening, and its model converged.

    Parameters
    ----------
    recs : list of dict
        One comparison record per level, in fitting order (see
        :func:`non_invariant`; each needs ``level``, and the first
        ``cfi_used``/``rmsea_used``).
    criteria : {"chen2007", "chen2007_all", "cheung_rensvold", "chisq"}
    converged : sequence of bool, optional
        Convergence of each level's fit (default: all converged).
    configural_fit : dict, optional
        ``{"cfi": min, "rmsea": max}`` (default :data:`CONFIGURAL_FIT`).

    Returns
    -------
    str
        The last level that holds, or ``"none"``.
    """
    converged = [True] * len(recs) if converged is None else list(converged)
    cut = dict(CONFIGURAL_FIT, **(configural_fit or {}))
    prev_held, highest = True, "none"
    for i, rec in enumerate(recs):
        if i == 0:
            rec["baseline_fits"] = _baseline_fits(rec, cut)
            held = converged[0] and rec["baseline_fits"]
            rec.update({k: False for k in FLAGS})
            rec["rules_failing"], rec["rules_disagree"] = [], False
        else:
            rec.update(index_flags(rec, rec["level"]))
            failing = [c for c in CRITERIA if non_invariant(rec, rec["level"], c)]
            rec["rules_failing"] = failing
            rec["rules_disagree"] = 0 < len(failing) < len(CRITERIA)
            held = prev_held and converged[i] and criteria not in failing
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
        rmsea_robust`` for MLR, the scaled indices for WLSMV), ``chisq_used,
        cfi_used, rmsea_used`` (the values the decision uses: robust for MLR,
        scaled for WLSMV, standard for ML), ``delta_cfi, delta_rmsea``
        (differences of ``cfi_used``/``rmsea_used``), ``delta_srmr,
        chisq_diff, df_diff, chisq_diff_p``, the flags of each index
        (``flag_cfi, flag_rmsea, flag_srmr, flag_chisq``: True when that index
        alone signals non-invariance), ``rules_failing`` (the rules of
        :data:`CRITERIA` that fail the level), ``rules_disagree``, ``held``;
        the first row also ``baseline_fits``.
    highest_level_held : str
        The last level that holds, or ``"none"`` (the baseline does not fit
        or did not converge).
    verdict : str
        One sentence: what holds, what fails and why.
    indices_used : str
        ``"robust"`` (MLR), ``"scaled"`` (WLSMV) or ``"standard"`` (ML).
    fits : dict of level -> CFAResult
    latent_means : DataFrame
        Latent mean differences (groups 2.. vs group 1) from the highest held
        level at or above ``scalar`` (the partial model when the search made
        scalar hold); empty otherwise.
    release_tests : DataFrame
        For the first level that does not hold: univariate score tests for
        freeing each of its equality constraints (``level`` column added),
        sorted by ``x2``; empty when every level holds.
    score_tests : ScoreTests or None
        The same level's total, univariate and cumulative score tests.
    partial_search : dict or None
        With ``search_partial=True``: ``level``, ``freed`` (one record per
        freed parameter: ``parameter, group, x2, pvalue``), ``group_partial``
        (all parameters left free), ``held``, ``stopped`` (why the search
        ended) and ``comparison`` (the level's row for the final partial model).
    notes : list of str
        Facts about the sequence (e.g. why WLSMV stops at scalar).
    """

    def __init__(self, levels, highest, fits, latent_means, criteria, estimator, release_tests=None, *,
                 verdict="", indices_used="standard", score_tests=None, partial_search=None, notes=(),
                 configural_fit=None):
        self.levels = levels
        self.release_tests = release_tests if release_tests is not None else pd.DataFrame()
        self.highest_level_held = highest
        self.fits = fits
        self.latent_means = latent_means
        self.criteria = criteria
        self.estimator = estimator
        self.verdict = verdict
        self.indices_used = indices_used
        self.score_tests = score_tests
        self.partial_search = partial_search
        self.notes = list(notes)
        self.configural_fit = dict(CONFIGURAL_FIT, **(configural_fit or {}))

    def to_dict(self) -> dict:
        warnings = {lev: fit.warnings_ for lev, fit in self.fits.items() if fit.warnings_}
        return {"estimator": self.estimator, "criteria": self.criteria,
                "groups": [str(g) for g in next(iter(self.fits.values())).group_labels_],
                "levels": self.levels.to_dict(orient="records"),
                "highest_level_held": self.highest_level_held,
                "verdict": self.verdict, "indices_used": self.indices_used,
                "configural_fit": self.configural_fit, "cutoffs": dict(CUTOFFS),
                "latent_means": self.latent_means.to_dict(orient="records"),
                "release_tests": self.release_tests.to_dict(orient="records"),
                "score_tests": None if self.score_tests is None else self.score_tests.to_dict(),
                "partial_search": self.partial_search,
                "notes": self.notes,
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
        """``"levels"`` (one row per level), ``"latent_means"``, ``"release_tests"`` (univariate
        score tests of the first failing level), ``"score_tests_cumulative"`` and, after a
        partial search, ``"partial_freed"``."""
        out = {"levels": self.levels.copy(), "latent_means": self.latent_means.copy(),
               "release_tests": self.release_tests.copy()}
        if self.score_tests is not None:
            out["score_tests_cumulative"] = self.score_tests.cumulative.copy()
        if self.partial_search:
            out["partial_freed"] = pd.DataFrame(self.partial_search["freed"],
                                                columns=["parameter", "group", "x2", "pvalue"])
        return out

    def summary(self) -> str:
        """The levels with the indices the decision uses and each index's flag, the verdict,
        notes, latent mean differences, score tests and the partial search.

        Warnings are not part of the text (they are in :attr:`warnings`; the CLI prints
        them once, on stderr). p-values below .001 read ``< .001``.
        """
        from qimscale._core.formatting import format_p

        f4 = lambda v: f"{v:.4f}"  # noqa: E731
        used = {"robust": "robust", "scaled": "scaled", "standard": ""}[self.indices_used]
        sfx = f"_{used}" if used else ""
        cols = {"level": "level", "chisq_used": f"chisq{sfx}", "df": "df", "cfi_used": f"cfi{sfx}",
                "rmsea_used": f"rmsea{sfx}", "srmr": "srmr", "delta_cfi": "dCFI", "delta_rmsea": "dRMSEA",
                "delta_srmr": "dSRMR", "chisq_diff_p": "p_diff"}
        tab = self.levels[[c for c in cols if c in self.levels.columns]].rename(columns=cols)
        tab["p_diff"] = [format_p(p, 4) for p in self.levels["chisq_diff_p"]]
        names = {"flag_cfi": "CFI", "flag_rmsea": "RMSEA", "flag_srmr": "SRMR", "flag_chisq": "chisq"}
        recs = self.levels.to_dict(orient="records")
        tab["flagged_by"] = [",".join(n for k, n in names.items() if r.get(k)) or "-" for r in recs]
        tab["held"] = self.levels["held"].map({True: "yes", False: "no"})
        lines = [f"{self.title} ({self.estimator}; {used or 'standard'} indices drive the decision)",
                 tab.to_string(index=False, float_format=f4, na_rep=""),
                 "flagged_by: dCFI <= -.010, dRMSEA >= .015, dSRMR >= .030 (metric) / .010 (Chen 2007; "
                 "Cheung & Rensvold 2002), chisq difference p < .05"]
        lines += [f"  {r['level']}: the rules disagree; failing under {', '.join(r['rules_failing'])}"
                  for r in recs if r.get("rules_disagree")]
        lines.append(f"\nHighest level held ({self.criteria}): {self.highest_level_held}")
        lines.append(f"Verdict: {self.verdict}")
        lines += [f"Note: {n}" for n in self.notes]
        if len(self.latent_means):
            lines += ["\nLatent mean differences (vs the first group):",
                      self.latent_means.to_string(index=False, float_format=f4)]
        sc = self.score_tests
        if sc is not None and len(sc.univariate):
            naive = "; unscaled, as lavaan's" if self.indices_used != "standard" else ""
            lines.append(f"\nScore tests for freeing a constraint of the '{self.release_tests['level'].iloc[0]}' "
                         f"model (lavTestScore{naive}; total X2 = {sc.total['x2']:.2f}, df = {sc.total['df']}); "
                         "candidates for --partial / group_partial:")
            uni = sc.univariate.head(8).copy()
            uni["cumulative_x2"] = sc.cumulative.x2.head(8).to_numpy() if len(sc.cumulative) else math.nan
            uni["pvalue"] = [format_p(p, 4) for p in uni["pvalue"]]
            lines.append(uni.drop(columns=["epc"]).to_string(index=False, float_format=f4))
        ps = self.partial_search
        if ps:
            freed = ", ".join(f"{f['parameter']} (X2 = {f['x2']:.2f})" for f in ps["freed"]) or "nothing"
            lines.append(f"\nPartial {ps['level']} search: freed {freed}; "
                         + ("the level holds" if ps["held"] else f"stopped: {ps['stopped']}"))
        return "\n".join(lines)


def _verdict(recs, highest, criteria, configural_fit, partial) -> str:
    """One sentence for the sequence (see :class:`InvarianceResult`)."""
    base = recs[0]
    cut = dict(CONFIGURAL_FIT, **(configural_fit or {}))
    if not base["held"]:
        why = (f"CFI = {base.get('cfi_used', math.nan):.3f} (needs ≥ {cut['cfi']:.2f}), "
               f"RMSEA = {base.get('rmsea_used', math.nan):.3f} (needs ≤ {cut['rmsea']:.2f})")
        if not base.get("baseline_fits", True):
            return f"{base['level']} model does not fit ({why}): invariance not assessable"
        return f"{base['level']} model did not converge: invariance not assessable"
    failed = next((r for r in recs if not r["held"]), None)
    held = recs if failed is None else recs[:recs.index(failed)]
    split = next((r for r in held if r.get("rules_disagree")), None)
    caveat = "" if split is None else (
        f"; but the rules disagree from {split['level']} on (rejected by "
        f"{', '.join(split['rules_failing'])}): {split['level']} and above rest on {criteria} alone")
    if failed is None:
        return f"{highest} invariance holds ({criteria}){caveat}"
    names = {"flag_cfi": "ΔCFI", "flag_rmsea": "ΔRMSEA", "flag_srmr": "ΔSRMR", "flag_chisq": "χ² difference"}
    flagged = [names[k] for k in FLAGS if failed.get(k)]
    text = (f"{highest} invariance holds; {failed['level']} does not ({criteria}; flagged by "
            f"{', '.join(flagged) if flagged else 'non-convergence'}){caveat}")
    if partial and partial["held"]:
        text += (f"; partial {partial['level']} invariance holds with "
                 f"{', '.join(partial['group_partial'])} free across groups")
    elif partial:
        text += f"; no partial {partial['level']} model found ({partial['stopped']})"
    return text


def _indicator_factors(pt) -> dict:
    """Observed variable -> factors it loads on (first group)."""
    out: dict = {}
    for r in pt.rows:
        if r["op"] == "=~" and r["group"] == 1:
            out.setdefault(r["rhs"], set()).add(r["lhs"])
    return out


def _anchor_ok(cand, freed, pt) -> bool:
    """Freeing ``cand`` leaves every factor concerned at least two indicators of that kind constrained.

    Partial invariance needs at least two invariant indicators per factor
    (Byrne, Shavelson & Muthén 1989; Steenkamp & Baumgartner 1998,
    doi:10.1086/209528).
    """
    ind = _indicator_factors(pt)
    kind = cand["op"]
    item = cand["rhs"] if kind == "=~" else cand["lhs"]
    factors = {cand["lhs"]} if kind == "=~" else ind.get(item, set())
    if not factors:
        return True
    free_items = {(f["lhs"] if kind != "=~" else f["rhs"]) for f in freed if f["op"] == kind}
    if kind == "|":
        free_items = set()  # an item keeps an anchor while one of its thresholds stays equal
        n_th = {}
        for r in pt.rows:
            if r["op"] == "|" and r["group"] == 1:
                n_th[r["lhs"]] = n_th.get(r["lhs"], 0) + 1
        for it in n_th:
            k = sum(1 for f in freed if f["op"] == "|" and f["lhs"] == it) + (it == item)
            if k >= n_th[it]:
                free_items.add(it)
    else:
        free_items.add(item)
    for f in factors:
        items = [v for v, fs in ind.items() if f in fs]
        if sum(v not in free_items for v in items) < 2:
            return False
    return True


def run_sequence(levels, fit_level, describe, compare, *, criteria, estimator, indices_used,
                 group_partial=(), configural_fit=None, search_partial=False, max_free=None,
                 progress=None, latent_means_of=None, notes=()) -> InvarianceResult:
    """Fit the levels, compare them, decide, and locate the first violation.

    The engine shared by the continuous (:func:`measurement_invariance`) and
    ordinal (:func:`~.wlsmv_invariance.ordinal_invariance`) sequences.

    Parameters
    ----------
    levels : sequence of str
        In fitting order.
    fit_level : callable
        ``fit_level(level, group_partial) -> fit``.
    describe : callable
        ``describe(fit) -> dict`` of fit measures, with ``chisq_used,
        cfi_used, rmsea_used, srmr``.
    compare : callable
        ``compare(previous_fit, fit) -> (chisq_diff, df_diff, pvalue)``.
    criteria, estimator, indices_used : str
    group_partial : sequence of str
        Parameters free across groups at every level.
    configural_fit : dict, optional
        Baseline fit needed (default :data:`CONFIGURAL_FIT`).
    search_partial : bool
        Free constraints of the first failing level one at a time, largest
        univariate score statistic first, until the level holds.
    max_free : int, optional
        At most this many parameters freed by the search (default: no limit
        beyond keeping two constrained indicators per factor).
    progress : callable, optional
    latent_means_of : callable, optional
        ``latent_means_of(fit, level) -> DataFrame``.
    notes : sequence of str

    Returns
    -------
    InvarianceResult
    """
    fits, recs = {}, []

    def record(lev, fit, prev_fit):
        rec = {"level": lev}
        rec.update(describe(fit))
        if prev_fit is None:
            rec.update({"delta_cfi": math.nan, "delta_rmsea": math.nan, "delta_srmr": math.nan,
                        "chisq_diff": math.nan, "df_diff": math.nan, "chisq_diff_p": math.nan})
        else:
            prev = describe(prev_fit)
            rec["delta_cfi"] = rec["cfi_used"] - prev["cfi_used"]
            rec["delta_rmsea"] = rec["rmsea_used"] - prev["rmsea_used"]
            rec["delta_srmr"] = rec["srmr"] - prev["srmr"]
            rec["chisq_diff"], rec["df_diff"], rec["chisq_diff_p"] = compare(prev_fit, fit)
        return rec

    prev = None
    for i, lev in enumerate(levels):
        if progress is not None and i:
            progress(i, len(levels))
        fit = fit_level(lev, tuple(group_partial))
        fits[lev] = fit
        recs.append(record(lev, fit, None if prev is None else fits[prev]))
        prev = lev
    if progress is not None:
        progress(len(levels), len(levels))
    converged = [bool(getattr(fits[lev], "converged_", True)) for lev in levels]
    highest = mark_held(recs, criteria, converged, configural_fit)
    table = pd.DataFrame.from_records(recs)

    failed = [i for i, r in enumerate(recs) if not r["held"]]
    release, sc, partial = pd.DataFrame(), None, None
    k = failed[0] if failed else None
    if k is not None and k > 0 and recs[k - 1]["held"]:
        lev = levels[k]
        try:
            sc = score_tests(fits[lev])
        except (ModelError, np.linalg.LinAlgError) as exc:
            notes = list(notes) + [f"score tests for the {lev} model are not available: {exc}"]
        if sc is not None:
            release = sc.univariate.copy()
            release.insert(0, "level", lev)
        if search_partial and sc is not None:
            partial = _search(lev, fits[levels[k - 1]], fits[lev], sc, fit_level, record, criteria,
                              group_partial, max_free, constraint_name, score_tests)
    lm_level, lm_fit = None, None
    for lev in ("strict", "scalar"):
        if lev in fits and table.loc[table.level == lev, "held"].any():
            lm_level, lm_fit = lev, fits[lev]
            break
    if lm_level is None and partial and partial["held"] and partial["level"] == "scalar":
        lm_level, lm_fit = "scalar (partial)", partial.pop("_fit")
    if partial:
        partial.pop("_fit", None)
    if lm_level is None or latent_means_of is None:
        latent = pd.DataFrame(columns=LATENT_MEAN_COLUMNS)
    else:
        latent = latent_means_of(lm_fit, lm_level)
    verdict = _verdict(recs, highest, criteria, configural_fit, partial)
    return InvarianceResult(table, highest, fits, latent, criteria, estimator, release, verdict=verdict,
                            indices_used=indices_used, score_tests=sc, partial_search=partial,
                            notes=notes, configural_fit=configural_fit)


def _search(lev, prev_fit, fit, sc, fit_level, record, criteria, group_partial, max_free,
            constraint_name, score_tests) -> dict:
    """Free the largest-score constraint of ``lev`` until the level holds (see :func:`run_sequence`)."""
    partial = list(group_partial)
    freed, stopped, held, rec = [], "", False, None
    uni = sc.univariate
    while True:
        names = {constraint_name(f) for f in freed}
        cands = [r for r in uni.to_dict(orient="records")
                 if r["op"] != "==" and constraint_name(r) not in names  # a user's 'a == 2*b' stays
                 and _anchor_ok(r, freed, fit.partable_)]
        if not cands:
            stopped = ("no constraint left to free without leaving a factor fewer than two "
                       "constrained indicators")
            break
        if max_free is not None and len(freed) >= max_free:
            stopped = f"max_free = {max_free} parameters freed"
            break
        top = cands[0]
        freed.append({"parameter": constraint_name(top), "lhs": top["lhs"], "op": top["op"],
                      "rhs": top["rhs"], "group": top["group"], "x2": top["x2"], "pvalue": top["pvalue"]})
        partial.append(constraint_name(top))
        try:
            fit = fit_level(lev, tuple(partial))
        except ModelError as exc:  # not identified / not converged with this one free
            stopped = f"the {lev} model with {constraint_name(top)} free cannot be fitted: {exc}"
            partial.pop()
            freed.pop()
            break
        rec = record(lev, fit, prev_fit)
        rec.update(index_flags(rec, lev))
        if getattr(fit, "converged_", True) and not non_invariant(rec, lev, criteria):
            held, stopped = True, "the level holds"
            break
        uni = score_tests(fit, cumulative=False).univariate
    return {"level": lev, "freed": [{k: v for k, v in f.items() if k in ("parameter", "group", "x2", "pvalue")}
                                    for f in freed],
            "group_partial": partial, "held": held, "stopped": stopped, "comparison": rec, "_fit": fit}


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
