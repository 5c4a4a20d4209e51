"""``qimscale validate``: a whole scale-validation study as ordered steps.

The steps follow the COSMIN / Boateng et al. (2018) sequence summarised in
``shared/reference/validation-checklist.md``:

1. screening  2. item analysis  3. factorability  4. number of factors  5. EFA
6. CFA of the instrument's declared structure  7. reliability  8. convergent and
discriminant validity  9. measurement invariance per grouping  10. known-groups
hypotheses  11. relations with the outcome.

Each step is a function ``step_<name>(study) -> Step`` that calls the library (never
the CLI) and records its numbers, tables, figures and verdicts. A step that cannot run
(too few respondents, a group of one, a model that does not converge) is recorded with
the reason and the rest still runs. :func:`validate_study` returns a
:class:`StudyResult` that follows the result protocol, so the HTML report
(:mod:`qimscale.report.html`) renders it without knowing the statistics.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.analysis.disclosure import Disclosure
from qimscale.errors import DataError, QimscaleError
from qimscale.study.criteria import CRITERIA, FAILS, MEETS, MIXED, NOT_ASSESSABLE, combine, format_value

#: items with at most this many categories are analysed as ordinal (polychoric, WLSMV)
MAX_ORDINAL_CATEGORIES = 7
#: parallel-analysis replications (psych's default n.iter)
N_ITER_PARALLEL = 20


# --------------------------------------------------------------------------- records

@dataclass
class Verdict:
    """One criterion's answer: the number, the rule, the verdict and its source."""

    step: str
    criterion: str
    value: float | None
    threshold: str
    verdict: str
    source: str
    detail: str = ""
    kind: str = "coef"      # how the value reads (criteria.format_value)

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.kind)

    def to_dict(self) -> dict:
        return {"step": self.step, "criterion": self.criterion, "value": self.value,
                "value_text": self.value_text, "threshold": self.threshold, "verdict": self.verdict,
                "source": self.source, "detail": self.detail}


@dataclass
class Step(Result):
    """The record of one step of the study."""

    id: str
    title: str
    status: str = "ok"              # ok | not run | failed
    reason: str = ""
    values: dict = field(default_factory=dict)
    tables_: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)   # name -> {"png": bytes, "svg": str, "caption": str}
    shown: dict = field(default_factory=dict)     # table name -> the columns the report prints (CSV/JSON: all)
    verdicts: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0            # wall-clock time of the step
    cpu_seconds: float = 0.0        # CPU time of the process during the step (every thread)

    def verdict(self, criterion_id: str, value, *, detail: str = "", label: str | None = None) -> str:
        c = CRITERIA[criterion_id]
        v = None if value is None else float(value)
        answer = c.check(v)
        self.verdicts.append(Verdict(self.title, label or c.label, v, c.text, answer, c.source, detail, c.kind))
        return answer

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "status": self.status, "reason": self.reason,
                "values": self.values, "verdicts": [v.to_dict() for v in self.verdicts],
                "tables": {k: t.to_dict(orient="records") for k, t in self.tables_.items()},
                "figures": sorted(self.figures), "notes": list(self.notes), "warnings": list(self.warnings),
                "seconds": self.seconds, "cpu_seconds": self.cpu_seconds}

    def tables(self) -> dict:
        return dict(self.tables_)


@dataclass
class StudyResult(Result):
    """Every step of a validation study, with the run's metadata and a methods paragraph."""

    title = "Validation study"
    steps: list
    meta: dict
    methods: str = ""
    warnings: list = field(default_factory=list)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    @property
    def verdicts(self) -> list:
        return [v for s in self.steps for v in s.verdicts]

    def to_dict(self) -> dict:
        return {"meta": self.meta, "summary": [v.to_dict() for v in self.verdicts],
                "steps": [s.to_dict() for s in self.steps], "methods": self.methods,
                "warnings": list(self.warnings)}

    def tables(self) -> dict:
        out = {"summary": pd.DataFrame([v.to_dict() for v in self.verdicts],
                                       columns=["step", "criterion", "value", "threshold", "verdict", "source",
                                                "detail"])}
        for s in self.steps:
            for name, t in s.tables_.items():
                out[f"{s.id}_{name}"] = t
        return out

    def summary(self) -> str:
        lines = [f"Validation study: N = {self.meta.get('n')}, instrument {self.meta.get('instrument')} "
                 f"{self.meta.get('instrument_version')}"]
        for s in self.steps:
            state = "" if s.status == "ok" else f" [{s.status}: {s.reason}]"
            lines.append(f"{s.title}{state}")
            for v in s.verdicts:
                val = "-" if v.value is None else f"{v.value:.3f}"
                lines.append(f"  {v.criterion}: {val} ({v.threshold}; {v.source}) -> {v.verdict}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the study's data

@dataclass
class Study:
    """What every step reads: the scored data, the instrument's structure and the options."""

    data: pd.DataFrame
    inst: object
    scales: dict            # competency scale id -> item ids
    domains: dict           # competency domain id -> scale ids
    items: pd.DataFrame     # competency items, reverse-keyed (min + max - x), NaN for missing
    groups: list
    outcome: str | None
    cluster: str | None
    hypotheses: object
    seed: int
    split_sample: bool
    min_cell: int
    source: str
    ordinal: bool = True
    scoring: dict | None = None
    results: dict = field(default_factory=dict)   # results shared between steps (e.g. the CFA fit)


def _item_frame(data, inst, scales) -> pd.DataFrame:
    items = [i for its in scales.values() for i in its]
    X = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    for it in inst.scored_items():
        if it.reverse and it.id in X:
            lo, hi = inst.response_range(it.id)
            X[it.id] = lo + hi - X[it.id]
    return X


def prepare_study(data: pd.DataFrame, inst, *, groups=(), outcome=None, cluster=None, hypotheses=None,
                  seed: int = 1, split_sample: bool = False, min_cell: int = 5, source: str = "data",
                  scoring: dict | None = None) -> Study:
    """Check the scored data against the instrument and the options; build the :class:`Study`."""
    comp = [s for s in inst.scales if getattr(s, "kind", "competency") == "competency"
            and not getattr(s, "exploratory", False)]
    scales = {s.id: [it.id for it in inst.scale_items(s.id)] for s in comp}
    present = {s: its for s, its in scales.items() if all(i in data.columns for i in its)}
    absent = sorted(set(scales) - set(present))
    if len(present) < 2:
        raise DataError(f"{source}: the data hold the items of {len(present)} of the instrument's "
                        f"{len(scales)} competency scales; validate needs the item columns (score a platform "
                        "export first with 'qimscale score', or pass the export itself)")
    domains: dict[str, list] = {}
    for s in comp:
        if s.id in present:
            domains.setdefault(s.domain, []).append(s.id)
    for col, what in [(c, "--group") for c in groups] + [(outcome, "--outcome"), (cluster, "--cluster")]:
        if col is not None and col not in data.columns:
            raise DataError(f"{source}: {what} column '{col}' not found; available columns: "
                            f"{', '.join(map(str, list(data.columns)[:30]))}")
    items = _item_frame(data, inst, present)
    n_cat = items.nunique()
    study = Study(data=data, inst=inst, scales=present, domains=domains, items=items, groups=list(groups),
                  outcome=outcome, cluster=cluster, hypotheses=hypotheses, seed=seed, split_sample=split_sample,
                  min_cell=min_cell, source=source, ordinal=bool(n_cat.max() <= MAX_ORDINAL_CATEGORIES),
                  scoring=scoring)
    if absent:
        study.results["absent_scales"] = absent
    return study


def lavaan_model(study: Study, *, second_order: bool = False) -> str:
    """lavaan syntax of the instrument's declared structure over the scales present
    (:func:`qimscale.instrument.lavaan_model` on the item columns, so factors keep the scale ids)."""
    from qimscale.instrument import lavaan_model as instrument_model

    return instrument_model(study.inst, order=2 if second_order else 1, kind="competency",
                            columns=list(study.items.columns), comments=False)


# --------------------------------------------------------------------------- helpers

def _run(step: Step, fn, *args) -> Step:
    t0, c0 = time.perf_counter(), time.process_time()
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            fn(step, *args)
        except QimscaleError as exc:
            step.status, step.reason = "not run", str(exc)
        except Exception as exc:  # noqa: BLE001 - one step's failure is reported in its section; the rest runs
            step.status, step.reason = "failed", f"{type(exc).__name__}: {exc}"
    seen = set(step.warnings)
    for w in caught:
        text = " ".join(str(w.message).split())
        if text not in seen:
            seen.add(text)
            step.warnings.append(text)
    step.seconds = time.perf_counter() - t0
    step.cpu_seconds = time.process_time() - c0
    return step


def _f(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _group_sizes(study: Study, col: str) -> pd.Series:
    return study.data[col].dropna().astype(str).value_counts().sort_index()


# --------------------------------------------------------------------------- 1. screening

def step_screening(step: Step, study: Study) -> None:
    X, n = study.items, len(study.items)
    k = X.shape[1]
    step.values.update({"n": n, "k_items": k, "n_scales": len(study.scales)})
    per_item = n / k
    step.verdict("n_per_item", per_item, detail=f"N = {n}, {k} items")
    ok = n >= 100 and n >= 7 * k
    step.verdicts.append(_combined_verdict(step.title, "Sample size (COSMIN very good: ≥ 7 × items and ≥ 100)",
                                           float(n), f"≥ {max(100, 7 * k)}", MEETS if ok else FAILS,
                                           CRITERIA["n_total"].source, kind="count"))
    from qimscale.analysis.items import item_descriptives

    inst = study.inst
    cols = list(X.columns)
    desc = item_descriptives(study.data, cols, na_codes={i: inst.na_code(i) for i in cols},
                             ranges={i: inst.response_range(i) for i in cols}).table
    table = desc[["item", "n", "n_na", "pct_na", "n_missing", "pct_missing", "floor_pct", "ceiling_pct"]].copy()
    table.insert(1, "scale", [_scale_of(study, i) for i in cols])
    step.tables_["items"] = table.reset_index(drop=True)
    step.notes.append("Per item (answers as given, before reverse keying; as 'qimscale items'): % not applicable, "
                      "% left blank, and % of the answers at the lowest (floor) and highest (ceiling) code.")
    blank = X.isna().to_numpy()
    n_patterns = int(len(np.unique(blank, axis=0))) if blank.size else 0
    step.values.update({"missing_cells_pct": float(100 * blank.mean()) if blank.size else 0.0,
                        "complete_rows": int((~blank).all(axis=1).sum()), "missing_patterns": n_patterns})
    if "qc_flagged" in study.data:
        flags = [c for c in study.data.columns if c.startswith("qc_") and c.endswith("_flag")] + ["qc_flagged"]
        rates = {c: float(_as_flag(study.data[c]).mean()) for c in flags}
        step.values["careless_flag_rates"] = rates
        step.notes.append(f"Careless-responding flags: {100 * rates['qc_flagged']:.1f} % of respondents have at "
                          "least one flag; they are kept in every analysis (flagged, not excluded).")
    else:
        step.notes.append("No careless-responding flags in the data (score the export with 'qimscale score' to "
                          "add them).")
    rows, disc = [], Disclosure(study.min_cell)
    for g in study.groups:
        shown = disc.group_counts(_group_sizes(study, g))
        step.values.setdefault("group_sizes", {})[g] = shown
        rows += [{"grouping": g, "group": k, "n": v if v is not None else disc.text} for k, v in shown.items()]
    if rows:
        step.tables_["group_sizes"] = pd.DataFrame(rows)
    fc = _scale_floor_ceiling(study)
    step.tables_["floor_ceiling"] = fc
    step.verdict("floor", fc["floor_pct"].max() / 100, detail=f"highest: {fc.loc[fc.floor_pct.idxmax(), 'scale']}",
                 label="Floor effect (worst scale)")
    step.verdict("ceiling", fc["ceiling_pct"].max() / 100,
                 detail=f"highest: {fc.loc[fc.ceiling_pct.idxmax(), 'scale']}", label="Ceiling effect (worst scale)")
    from qimscale.report.study_figures import likert_bars

    step.figures["likert"] = likert_bars(study.items, study.inst, study.scales)


def _scale_floor_ceiling(study: Study) -> pd.DataFrame:
    """Floor and ceiling of each scale score: % of the scored respondents at the lowest / highest possible
    score (Terwee et al. 2007). The scores are the data's own scale columns (as 'qimscale score' wrote them,
    with its pro-rating rule) when present, so the numbers equal ``qimscale items --items SCALES``; otherwise
    the mean of the answered items when at least 75 % are answered (the scoring's default rule)."""
    from qimscale.analysis.items import item_descriptives
    from qimscale.scoring.scores import DEFAULT_MIN_ANSWERED

    scores, source = {}, {}
    for s, its in study.scales.items():
        if s in study.data.columns and pd.api.types.is_numeric_dtype(study.data[s]):
            scores[s], source[s] = study.data[s].astype(float), "scored data"
        else:
            part = study.items[its]
            enough = part.notna().sum(axis=1) >= DEFAULT_MIN_ANSWERED * len(its) - 1e-9
            scores[s] = part.mean(axis=1, skipna=True).where(enough)
            source[s] = "mean of items (≥ 75 % answered)"
    frame = pd.DataFrame(scores)
    ranges = {s: study.inst.response_range(its[0]) for s, its in study.scales.items()}
    d = item_descriptives(frame, list(frame.columns), ranges=ranges).table
    return pd.DataFrame({"scale": d["item"].to_numpy(), "n": d["n"].to_numpy(),
                         "floor_pct": d["floor_pct"].to_numpy(), "ceiling_pct": d["ceiling_pct"].to_numpy(),
                         "scores": [source[s] for s in d["item"]]})


def _as_flag(col: pd.Series) -> pd.Series:
    """A flag column as booleans, whether it holds bools, 0/1 or the text True/False (from a CSV)."""
    if col.dtype == object or str(col.dtype) in ("string", "str"):
        return col.astype(str).str.strip().str.lower().isin(("true", "1", "1.0", "yes"))
    return pd.to_numeric(col, errors="coerce").fillna(0).astype(bool)


def _combined_verdict(step, criterion, value, threshold, verdict, source, detail="", kind="coef"):
    return Verdict(step, criterion, value, threshold, verdict, source, detail, kind)


def _scale_of(study: Study, item: str) -> str:
    for s, its in study.scales.items():
        if item in its:
            return s
    return ""


# --------------------------------------------------------------------------- 2. item analysis

def step_items(step: Step, study: Study) -> None:
    from qimscale.analysis.reliability import alpha

    rows, scale_rows = [], []
    for s, its in study.scales.items():
        a = alpha(study.items[its])
        d = a.to_dict()
        for it in d["items"]:
            rows.append({"scale": s, "item": it["item"], "n": it["n"], "mean": it["mean"], "sd": it["sd"],
                         "r_drop": it["r_drop"], "alpha_if_deleted": it["alpha_if_deleted"]})
        scale_rows.append({"scale": s, "k": d["k"], "n": d["n"], "alpha": d["alpha"],
                           "alpha_ci_lower": d["alpha_ci"][0], "alpha_ci_upper": d["alpha_ci"][1],
                           "average_r": d["average_r"]})
        study.results.setdefault("alpha", {})[s] = d
    items = pd.DataFrame(rows)
    scales = pd.DataFrame(scale_rows)
    step.tables_["items"] = items
    step.tables_["scales"] = scales
    low = items.loc[items["r_drop"].idxmin()]
    step.verdict("item_rest", low["r_drop"], detail=f"lowest: {low['item']} ({low['scale']}); "
                 f"{int((items['r_drop'] < 0.30).sum())} of {len(items)} items below .30")
    lo_r, hi_r = scales["average_r"].min(), scales["average_r"].max()
    v1 = CRITERIA["mean_r_low"].check(lo_r)
    v2 = CRITERIA["mean_r_high"].check(hi_r)
    step.verdicts.append(Verdict(step.title, "Mean inter-item correlation per scale", None,
                                 ".15 – .50", combine([v1, v2]), CRITERIA["mean_r_low"].source,
                                 f"range {lo_r:.2f} – {hi_r:.2f} over {len(scales)} scales"))


# --------------------------------------------------------------------------- 3-5. factor structure

def _enough_for_factor_analysis(study: Study, X: pd.DataFrame | None = None) -> None:
    """Refuse (the step is reported as not run) when there are no more respondents than items: the item
    correlation matrix then has rank below the number of items, and any factor solution rests on a
    smoothed, not an estimated, matrix."""
    X = study.items if X is None else X
    n, k = len(X), X.shape[1]
    if n <= k:
        raise QimscaleError(f"{n} respondents for {k} items: with no more respondents than items the item "
                            "correlation matrix is singular, so factor analysis cannot be estimated (COSMIN asks "
                            f"for at least 7 respondents per item, here {7 * k})")


def _correlations(study: Study, X: pd.DataFrame):
    if study.ordinal:
        from qimscale.analysis.polychoric import polychoric

        return np.asarray(polychoric(X).corr, dtype=float), "polychoric"
    return X.corr().to_numpy(), "pearson"


def step_factorability(step: Step, study: Study) -> None:
    from qimscale.analysis.factorability import factorability

    _enough_for_factor_analysis(study)
    R, kind = _correlations(study, study.items)
    study.results["R"] = (R, kind)
    # n = every row, as psych::cortest.bartlett(polychoric(x)$rho, n = nrow(x)) and 'qimscale factorability'
    n = len(study.items)
    f = factorability(pd.DataFrame(R, index=study.items.columns, columns=study.items.columns), n_obs=n)
    d = f.to_dict()
    step.values.update({"kmo": d["kmo"], "bartlett_chisq": d["bartlett_chisq"], "bartlett_df": d["bartlett_df"],
                        "bartlett_p": d["bartlett_p"], "n_obs": d["n_obs"], "correlations": kind})
    step.notes.append(f"KMO and Bartlett's test on the {kind} correlations (pairwise deletion; Bartlett's n = all "
                      f"{n} respondents, as psych::cortest.bartlett and 'qimscale factorability --cor {kind}').")
    step.tables_["kmo_items"] = pd.DataFrame({"item": list(d["kmo_items"]), "kmo": list(d["kmo_items"].values())})
    step.verdict("kmo", d["kmo"])
    step.verdict("bartlett", d["bartlett_p"], detail=f"χ²({d['bartlett_df']:g}) = {d['bartlett_chisq']:.1f}")


def step_nfactors(step: Step, study: Study) -> None:
    from qimscale.analysis.nfactors import number_of_factors

    _enough_for_factor_analysis(study)
    kind = "polychoric" if study.ordinal else "pearson"
    res = number_of_factors(study.items, cor=kind, n_iter=N_ITER_PARALLEL, random_state=study.seed)
    d = res.to_dict()
    declared = len(study.scales)
    pa = d["parallel_detail"]
    step.values.update({"parallel": d["parallel"], "parallel_components": d["parallel_components"], "map": d["map"],
                        "declared": declared, "correlations": kind, "n_iter": N_ITER_PARALLEL, "seed": study.seed,
                        "eigenvalues": d["eigenvalues"], "fa_eigenvalues": d["fa_eigenvalues"],
                        "fa_resampled_quantile": pa.get("fa_resampled_quantile"),
                        "fa_simulated_quantile": pa.get("fa_sim_quantile"), "map_values": d["map_values"]})
    step.notes.append(f"Parallel analysis: {N_ITER_PARALLEL} resampled and {N_ITER_PARALLEL} simulated data sets "
                      f"(seed {study.seed}), {kind} correlations, 95th percentile; as 'qimscale nfactors --cor {kind} "
                      f"--n-iter {N_ITER_PARALLEL} --seed {study.seed}' and psych::fa.parallel.")
    agree = d["parallel"] == d["map"] == declared
    step.verdicts.append(Verdict(step.title, "Parallel analysis, MAP and the instrument agree", None,
                                 "same number", MEETS if agree else MIXED, "Horn 1965; Velicer 1976",
                                 f"parallel {d['parallel']}, MAP {d['map']}, declared {declared}"))
    from qimscale.report.figures import scree_plot

    from qimscale.report.study_figures import render_figure

    step.figures["scree"] = render_figure(scree_plot(res), "Scree plot with the parallel-analysis line")


def _halves(study: Study):
    rng = np.random.default_rng(study.seed)
    idx = rng.permutation(len(study.items))
    half = len(idx) // 2
    return np.sort(idx[:half]), np.sort(idx[half:])


def step_efa(step: Step, study: Study) -> None:
    from qimscale.analysis.efa import EFA

    k = len(study.scales)
    X = study.items
    if study.split_sample:
        a, _ = _halves(study)
        X = X.iloc[a]
        step.notes.append(f"Split sample (seed {study.seed}): EFA on a random half (n = {len(X)}), CFA on "
                          "the other half.")
    _enough_for_factor_analysis(study, X)
    kind = "polychoric" if study.ordinal else "pearson"
    efa = EFA(k, method="minres", rotation="oblimin", cor=kind).fit(X)
    res = efa.results_
    d = res.to_dict()
    L = np.asarray(d["loadings"], dtype=float)
    items = list(X.columns)
    step.values.update({"n_factors": k, "rotation": "oblimin", "method": "minres", "correlations": kind,
                        "n": int(len(X))})
    absL = np.abs(L)
    primary = absL.max(axis=1)
    second = np.sort(absL, axis=1)[:, -2] if L.shape[1] > 1 else np.zeros(len(items))
    table = pd.DataFrame(L, columns=[f"F{j + 1}" for j in range(L.shape[1])])
    table.insert(0, "item", items)
    table["communality"] = d["communalities"]
    step.tables_["loadings"] = table
    worst = int(primary.argmin())
    step.verdict("salient", primary.min(), detail=f"lowest: {items[worst]}; "
                 f"{int((primary < 0.40).sum())} of {len(items)} items below .40")
    cross = int(second.argmax())
    step.verdict("cross", second.max(), detail=f"largest: {items[cross]}; "
                 f"{int((second >= 0.30).sum())} items with a cross-loading ≥ .30")
    from qimscale.report.study_figures import loadings_heatmap

    step.figures["loadings"] = loadings_heatmap(table, items)


# --------------------------------------------------------------------------- 6-8. CFA, reliability, validity

def _cfa_data(study: Study) -> pd.DataFrame:
    X = study.items
    if study.split_sample:
        _, b = _halves(study)
        X = X.iloc[b]
    return X


def step_cfa(step: Step, study: Study) -> None:
    from qimscale.analysis.cfa import CFA

    model = lavaan_model(study)
    X = _cfa_data(study)
    _enough_for_factor_analysis(study, X)
    if study.ordinal:
        fit = CFA(model, estimator="WLSMV", ordered="all", missing="pairwise").fit(X)
        estimator = "WLSMV"
        step.notes.append("Items have at most 7 categories: WLSMV on polychoric correlations (delta "
                          "parameterization), pairwise deletion so that no respondent is dropped for one blank.")
    else:
        fit = CFA(model, estimator="MLR", missing="fiml").fit(X)
        estimator = "MLR"
    study.results["cfa"] = fit
    fm = fit.fit_measures()
    sfx = "_scaled" if estimator in ("WLSMV", "MLR") else ""
    robust = "_robust" if _f(fm.get("cfi_robust")) is not None else sfx
    values = {"estimator": estimator, "model": model, "n": int(len(X))}
    for key in ("chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled", "cfi", "tli", "rmsea",
                "srmr", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
                "rmsea_ci_lower", "rmsea_ci_upper"):
        if key in fm:
            values[key] = _f(fm[key])
    step.values.update(values)
    step.values["indices_used"] = robust.strip("_") or "standard"
    answers = [step.verdict("cfi", fm.get(f"cfi{robust}"), label=f"CFI ({robust.strip('_') or 'standard'})"),
               step.verdict("tli", fm.get(f"tli{robust}"), label=f"TLI ({robust.strip('_') or 'standard'})"),
               step.verdict("rmsea", fm.get(f"rmsea{robust}"), label=f"RMSEA ({robust.strip('_') or 'standard'})"),
               step.verdict("srmr", fm.get("srmr"))]
    step.values["fit_verdict"] = combine(answers)
    pe = fit.parameter_estimates()
    load = pe[(pe["op"] == "=~")][["lhs", "rhs", "est", "se", "std_all"]].rename(
        columns={"lhs": "factor", "rhs": "item"})
    step.tables_["loadings"] = load.reset_index(drop=True)
    lv = list(study.scales)
    cov = pe[(pe["op"] == "~~") & pe["lhs"].isin(lv) & pe["rhs"].isin(lv) & (pe["lhs"] != pe["rhs"])]
    phi = pd.DataFrame(np.eye(len(lv)), index=lv, columns=lv)
    for _, r in cov.iterrows():
        phi.loc[r["lhs"], r["rhs"]] = phi.loc[r["rhs"], r["lhs"]] = r["std_all"]
    study.results["phi"] = phi
    step.tables_["factor_correlations"] = phi.reset_index(names="factor")
    try:  # ML/MLR (complete data or FIML) and WLSMV alike (lavaan's modindices)
        mi = fit.modification_indices()
    except QimscaleError as exc:  # the fit stands without them: say why the table is missing
        step.notes.append(f"Modification indices are not available for this fit: {exc}")
    else:
        step.tables_["modification_indices"] = mi[mi["mi"] >= 10].sort_values("mi", ascending=False).head(20)
    for w in getattr(fit, "warnings_", []):
        step.warnings.append(w)
    from qimscale.report.study_figures import path_diagram

    step.figures["path"] = path_diagram(load, phi, study.domains)


def step_reliability(step: Step, study: Study) -> None:
    from qimscale.analysis.reliability import alpha

    fit = study.results.get("cfa")
    omega = {}
    if fit is not None:
        r = fit.reliability()
        omega = {f: (float(r.loc[f, "omega"]), float(r.loc[f, "ave"])) for f in r.index}
        study.results["omega_ave"] = omega
    rows = []
    for s in study.scales:
        a = study.results.get("alpha", {}).get(s) or alpha(study.items[study.scales[s]]).to_dict()
        rows.append({"level": "scale", "name": s, "k": a["k"], "alpha": a["alpha"], "alpha_ci_lower": a["alpha_ci"][0],
                     "alpha_ci_upper": a["alpha_ci"][1], "omega": omega.get(s, (None, None))[0]})
    for dmn, ss in study.domains.items():
        its = [i for s in ss for i in study.scales[s]]
        a = alpha(study.items[its]).to_dict()
        rows.append({"level": "domain", "name": dmn, "k": a["k"], "alpha": a["alpha"],
                     "alpha_ci_lower": a["alpha_ci"][0], "alpha_ci_upper": a["alpha_ci"][1], "omega": None})
    t = pd.DataFrame(rows)
    step.tables_["reliability"] = t
    sc = t[t["level"] == "scale"]
    low = sc.loc[sc["alpha"].idxmin()]
    step.verdict("alpha", low["alpha"], label="Cronbach's α (lowest scale)",
                 detail=f"{low['name']}; {int((sc['alpha'] < 0.70).sum())} of {len(sc)} scales below .70")
    om = sc.dropna(subset=["omega"])
    if len(om):
        low = om.loc[om["omega"].astype(float).idxmin()]
        step.verdict("omega", low["omega"], label="Ordinal ω (lowest scale)",
                     detail=f"{low['name']}; {int((om['omega'].astype(float) < 0.70).sum())} of {len(om)} below .70")


def step_validity(step: Step, study: Study) -> None:
    fit = study.results.get("cfa")
    omega = study.results.get("omega_ave")
    if fit is None or not omega:
        raise QimscaleError("needs the CFA, which did not run")
    # one engine: the CFA's own HTMT (HTMT2, geometric means, semTools::htmt's default) on the correlations the
    # CFA analysed (polychoric from its first stage for ordinal items) and its Fornell-Larcker matrix, as
    # 'qimscale cfa --json' reports them under "validity"
    ht = fit.htmt()
    fl = fit.fornell_larcker()
    rows = []
    for s in study.scales:
        others = fl.loc[s].drop(s).abs()
        rows.append({"factor": s, "cr": omega[s][0], "ave": omega[s][1], "sqrt_ave": float(fl.loc[s, s]),
                     "max_r": float(others.max()), "closest": str(others.idxmax()),
                     "max_htmt": float(ht.loc[s].drop(s).max())})
    t = pd.DataFrame(rows)
    t["fornell_larcker"] = t["sqrt_ave"] - t["max_r"]
    step.tables_["convergent_discriminant"] = t
    step.tables_["htmt"] = ht.reset_index(names="factor")
    step.values.update({"htmt": "HTMT2 (geometric means; Roemer et al. 2021), semTools::htmt's default",
                        "correlations": "polychoric (the CFA's first stage)" if study.ordinal else "Pearson"})
    step.notes.append("Composite reliability and AVE from the CFA's standardized loadings (semTools::compRelSEM "
                      "and AVE); HTMT2 (geometric means of the item correlations the CFA analysed; semTools::htmt) "
                      "and √AVE against the factor correlations (Fornell & Larcker 1981).")
    low = t.loc[t["ave"].idxmin()]
    step.verdict("ave", low["ave"], label="AVE (lowest factor)",
                 detail=f"{low['factor']}; {int((t['ave'] < 0.5).sum())} of {len(t)} below .50")
    hi = t.loc[t["max_htmt"].idxmax()]
    step.verdict("htmt", hi["max_htmt"], detail=f"{hi['factor']}; {int((t['max_htmt'] >= 0.85).sum())} factors "
                 "with a ratio ≥ .85 (< .90 by the liberal rule: "
                 f"{int((t['max_htmt'] < 0.90).sum())} of {len(t)})")
    worst = t.loc[t["fornell_larcker"].idxmin()]
    step.verdict("fornell_larcker", worst["fornell_larcker"],
                 detail=f"{worst['factor']} vs {worst['closest']}; {int((t['fornell_larcker'] <= 0).sum())} "
                 f"of {len(t)} factors fail")


# --------------------------------------------------------------------------- 9. invariance

def collapse_empty_categories(X: pd.DataFrame, groups: pd.Series) -> dict:
    """Category merges that leave every category of every item observed in every group.

    A category missing in one group leaves its threshold unidentified there, so it is
    merged into its neighbour towards the middle of the scale (lavaan and Mplus stop
    instead). Returns ``{item: {old: new}}`` for ``measurement_invariance(collapse=...)``.
    """
    out = {}
    gcode, _ = pd.factorize(pd.Series(groups).reindex(X.index) if isinstance(groups, pd.Series) else groups)
    ngroups = int(gcode.max()) + 1
    for c in X.columns:
        col = X[c]
        ok = col.notna().to_numpy()
        values, inverse = np.unique(col.to_numpy()[ok], return_inverse=True)
        allc = list(values)
        # categories observed in every group (rows of a missing group are in no group, as in groupby)
        g = gcode[ok]
        seen = np.zeros((max(ngroups, 0), len(values)), dtype=bool)
        seen[g[g >= 0], inverse.ravel()[g >= 0]] = True
        present = set(values[seen.all(axis=0)]) if ngroups > 0 else set(allc)
        keep = [u for u in allc if u in present]
        if len(keep) < 2:
            continue
        mid = (allc[0] + allc[-1]) / 2
        m = {float(v): float(min(keep, key=lambda u: (abs(u - v), abs(u - mid)))) for v in allc if v not in present}
        if m:
            out[c] = m
    return out


def step_invariance(step: Step, study: Study, group: str) -> None:
    from qimscale.analysis.cfa import measurement_invariance

    sizes = _group_sizes(study, group)
    small = sizes[sizes < max(study.min_cell, 30)]
    step.values["group_sizes"] = Disclosure(study.min_cell).group_counts(sizes)
    if len(sizes) < 2:
        raise QimscaleError(f"'{group}' has {len(sizes)} group(s) in the data; invariance needs two or more")
    if len(sizes) - len(small) < 2:
        raise QimscaleError(f"fewer than two groups of '{group}' have {max(study.min_cell, 30)} or more "
                            "respondents; too few to estimate a model per group")
    if len(small):
        step.notes.append(f"Left out of this step (fewer than {max(study.min_cell, 30)} respondents): "
                          + ", ".join(map(str, small.index)) + ".")
    keep = (study.data[group].notna() & ~study.data[group].astype(str).isin(small.index)).to_numpy()
    X = study.items[keep].assign(**{"__group__": study.data.loc[keep, group].astype(str).to_numpy()})
    model = lavaan_model(study)
    kw = {}
    if study.ordinal:
        coll = collapse_empty_categories(X.drop(columns="__group__"), X["__group__"])
        if coll:
            kw["collapse"] = coll
            step.values["collapse"] = {it: {_num(o): _num(n) for o, n in m.items()} for it, m in coll.items()}
            step.notes.append("Categories empty in at least one group were merged into their neighbour (towards "
                              "the middle) for this step only: " + "; ".join(
                                  f"{it}: " + ", ".join(f"{_num(o)}→{_num(n)}" for o, n in m.items())
                                  for it, m in coll.items()))
        res = measurement_invariance(model, X, group="__group__", estimator="WLSMV", ordered="all",
                                     missing="pairwise", **kw)
    else:
        res = measurement_invariance(model, X, group="__group__", estimator="MLR", missing="fiml")
    d = res.to_dict()
    levels = pd.DataFrame(d["levels"])
    step.values.update({"group": group, "estimator": d["estimator"], "criteria": d["criteria"],
                        "highest_level_held": d["highest_level_held"]})
    step.tables_["levels"] = levels
    step.shown["levels"] = [c for c in ("level", "chisq_scaled", "df", "pvalue_scaled", "cfi_used", "rmsea_used",
                                        "srmr", "delta_cfi", "delta_rmsea", "delta_srmr", "chisq_diff", "df_diff",
                                        "chisq_diff_p", "held") if c in levels.columns]
    rel = getattr(res, "release_tests", None)
    if rel is not None and len(rel):
        # the library's order: largest score-test statistic first (the constraints whose release helps most)
        step.tables_["release_tests"] = rel.head(15).reset_index(drop=True)
        lev = rel["level"].iloc[0] if "level" in rel else "first failing"
        step.notes.append(f"The {lev} level does not hold: the score tests below show the equality constraints whose "
                          "release would improve fit most (candidates for partial invariance).")
    for _, r in levels.iterrows():
        if r["level"] == "configural":
            cfi = _f(r.get("cfi_used", r.get("cfi")))
            rmsea = _f(r.get("rmsea_used", r.get("rmsea")))
            step.verdicts.append(Verdict(step.title, f"{group}: configural model fits (CFI ≥ .90 and RMSEA ≤ .10)",
                                         cfi, "CFI ≥ .90, RMSEA ≤ .10",
                                         MEETS if (cfi or 0) >= 0.90 and (rmsea if rmsea is not None else 1) <= 0.10
                                         else FAILS, "Chen 2007", f"CFI {cfi:.3f}, RMSEA {rmsea:.3f}"
                                         if cfi is not None and rmsea is not None else ""))
            continue
        rules = {"ΔCFI ≥ −.010 (Cheung & Rensvold 2002)": _f(r.get("delta_cfi")) is not None
                 and r["delta_cfi"] >= -0.010,
                 "ΔRMSEA < .015 (Chen 2007)": _f(r.get("delta_rmsea")) is not None and r["delta_rmsea"] < 0.015,
                 "χ² difference p ≥ .05": _f(r.get("chisq_diff_p")) is not None and r["chisq_diff_p"] >= 0.05}
        answers = [MEETS if ok else FAILS for ok in rules.values()]
        detail = "; ".join(f"{k}: {'yes' if ok else 'no'}" for k, ok in rules.items())
        step.verdicts.append(Verdict(step.title, f"{group}: {r['level']} invariance (every rule)",
                                     _f(r.get("delta_cfi")), "all rules hold", combine(answers),
                                     "Cheung & Rensvold 2002; Chen 2007", detail))
    held = "configural" if step.verdicts and step.verdicts[0].verdict == MEETS else None
    for v, lev in zip(step.verdicts[1:], list(levels["level"])[1:]):
        if held is None or v.verdict != MEETS:
            break
        held = lev
    step.values["highest_level_all_rules"] = held
    # scalar (or strict) invariance is what licenses comparing latent or observed means across groups
    licensed = held in ("scalar", "strict")
    step.verdicts.append(Verdict(step.title, f"{group}: highest level at which every rule agrees "
                                 "(scalar needed to compare means)", None, "scalar",
                                 NOT_ASSESSABLE if held is None else (MEETS if licensed else FAILS),
                                 "Cheung & Rensvold 2002; Chen 2007",
                                 f"{held or 'none (configural model does not fit)'}; the library's "
                                 f"'{d['criteria']}' rule says {d['highest_level_held']}"
                                 + ("" if licensed or held is None else
                                    f"; compare {group} groups' means with caution")))
    from qimscale.report.study_figures import invariance_chart

    step.figures["delta_fit"] = invariance_chart(levels, group)


def _num(x):
    return f"{x:g}"


# --------------------------------------------------------------------------- 10. hypotheses

def step_hypotheses(step: Step, study: Study) -> None:
    from qimscale.study.hypotheses import NOT_TESTABLE, evaluate_hypotheses

    res = evaluate_hypotheses(study.data, study.hypotheses, instrument=study.inst, min_n=max(study.min_cell, 5))
    study.results["hypotheses"] = res
    t = res.rows.copy()
    step.tables_["hypotheses"] = t
    step.values.update({"source": res.source, "share_supported": res.share_supported,
                        "n_testable": int((t["status"] != NOT_TESTABLE).sum()), "n_hypotheses": int(len(t))})
    step.notes.append("Known groups: Welch t and Hedges' g; criterion and moderation: OLS with HC3 standard errors on "
                      "standardised scores; Holm's adjustment across the file's hypotheses (" + res.source + ").")
    step.verdict("hypotheses", res.share_supported,
                 detail=f"{int((t['status'] == 'supported').sum())} of {step.values['n_testable']} testable "
                        f"hypotheses supported" + (f"; {int((t['status'] == NOT_TESTABLE).sum())} not testable"
                                                   if (t["status"] == NOT_TESTABLE).any() else ""))


# --------------------------------------------------------------------------- 11. relations with the outcome

def _outcome_column(study: Study) -> str | None:
    if study.outcome:
        return study.outcome
    for sc in study.inst.scales:
        if getattr(sc, "kind", "") == "outcome" and sc.id in study.data.columns:
            return sc.id
    return None


def step_relations(step: Step, study: Study) -> None:
    from qimscale.analysis.relate import relate, scale_correlations

    outcome = _outcome_column(study)
    if outcome is None:
        raise QimscaleError("no outcome: pass --outcome COLUMN (the instrument's outcome scale is not in the data)")
    if study.outcome is None:
        step.notes.append(f"Outcome: the instrument's outcome scale '{outcome}' (pass --outcome to choose another).")
    domains = [d for d in study.domains if d in study.data.columns]
    if len(domains) < 1:
        raise QimscaleError("the data hold no domain scores (score the export with 'qimscale score' first)")
    df = study.data[domains + [outcome] + ([study.cluster] if study.cluster else [])].copy()
    corr = scale_correlations(df[domains + [outcome]], domains + [outcome], source=study.source)
    ct = corr.table
    step.tables_["correlations"] = ct
    inter = ("interpersonal:expertise" if {"interpersonal", "expertise"} <= set(domains) else None)
    ols = relate(df, outcome, domains, interaction=inter, center=inter is not None, robust="HC3",
                 source=study.source)
    study.results["relate_ols"] = ols
    step.tables_["ols"] = ols.coefficients
    if ols.simple_slopes is not None:
        step.tables_["simple_slopes"] = ols.simple_slopes
    step.values.update({"outcome": outcome, "predictors": domains, "interaction": inter, "n": ols.n,
                        "r2": ols.r2, "adj_r2": ols.adj_r2, "se_type": ols.se_type,
                        "n_dropped": ols.deletion.get("n_dropped")})
    if ols.deletion.get("n_dropped"):
        step.notes.append(f"{ols.deletion['n_dropped']} of {ols.deletion['n_total']} respondents lack a score used "
                          "here and are left out of the regression (listwise).")
    if ols.johnson_neyman:
        from qimscale.analysis.relate import ols as _ols_mod

        step.notes.append("Johnson–Neyman: " + _ols_mod.jn_sentence(ols.johnson_neyman) + ".")
    if study.cluster:
        mixed = relate(df, outcome, domains, cluster=study.cluster, source=study.source)
        study.results["relate_mixed"] = mixed
        step.tables_["multilevel"] = mixed.coefficients
        step.values.update({"cluster": study.cluster, "n_clusters": mixed.n_groups,
                            "icc1": mixed.icc["icc1"], "icc2": mixed.icc["icc2"],
                            "random_effects": mixed.random_effects,
                            "converged": mixed.convergence.get("converged") if mixed.convergence else None})
        step.verdict("icc2", mixed.icc["icc2"], detail=f"ICC(1) = {mixed.icc['icc1']:.3f} over "
                     f"{mixed.n_groups} clusters of '{study.cluster}' (organisation means are "
                     + ("reliable enough to aggregate)" if mixed.icc["icc2"] >= 0.70 else "not reliable enough to "
                        "aggregate; analyse respondents with the multilevel model)"))
        for w in mixed.warnings:
            step.warnings.append(w)
    from qimscale.report.study_figures import coefficient_plot

    step.figures["coefficients"] = coefficient_plot(ols.coefficients, outcome)


# --------------------------------------------------------------------------- running the study

STEPS = [
    ("screening", "1. Sample and screening", step_screening),
    ("items", "2. Item analysis", step_items),
    ("factorability", "3. Factorability", step_factorability),
    ("nfactors", "4. Number of factors", step_nfactors),
    ("efa", "5. Exploratory factor analysis", step_efa),
    ("cfa", "6. Confirmatory factor analysis", step_cfa),
    ("reliability", "7. Reliability", step_reliability),
    ("validity", "8. Convergent and discriminant validity", step_validity),
]


def validate_study(data: pd.DataFrame, instrument=None, *, groups=(), outcome=None, cluster=None,
                   hypotheses=None, seed: int = 1, split_sample: bool = False, min_cell: int = 5,
                   source: str = "data", input_hash: str | None = None, scoring: dict | None = None,
                   only=None, progress=None) -> StudyResult:
    """Run the validation study on scored data.

    Parameters
    ----------
    data : DataFrame
        Scored data (the output of ``qimscale score``: item columns under their ids).
    instrument : Instrument or spec, optional
        Default: the bundled instrument.
    groups : sequence of str
        Columns to test measurement invariance across (e.g. ``country``, ``qim_type``).
    outcome, cluster : str, optional
        Outcome column and cluster column for the relations step.
    hypotheses : path, optional
        Pre-stated hypotheses (default: the bundled ``analysis/hypotheses.yaml``).
    seed : int
        Seed for parallel analysis and the split-sample halves.
    split_sample : bool
        EFA on a random half, CFA on the other.
    min_cell : int
        Groups smaller than this are suppressed in every output.
    only : sequence of str, optional
        Run only these steps (ids as in :data:`STEPS`, ``"invariance"`` for every grouping); the
        others are recorded as not run. Steps that need the CFA (reliability's ω, validity) say so.
    progress : callable, optional
        ``progress(step_title)`` before each step.

    Returns
    -------
    StudyResult
    """
    import platform

    import scipy

    import qimscale
    from qimscale.instrument import load_instrument

    inst = instrument if hasattr(instrument, "scored_items") else load_instrument(instrument)
    study = prepare_study(data, inst, groups=groups, outcome=outcome, cluster=cluster, hypotheses=hypotheses,
                          seed=seed, split_sample=split_sample, min_cell=min_cell, source=source, scoring=scoring)
    note = progress or (lambda title: None)
    steps = []
    plan = list(STEPS) + [(f"invariance_{g}", f"9. Measurement invariance across {g}",
                           lambda step, st, g=g: step_invariance(step, st, g)) for g in study.groups]
    plan.append(("hypotheses", "10. Known-groups and criterion hypotheses", step_hypotheses))
    plan.append(("relations", "11. Relations with the outcome", step_relations))
    for sid, title, fn in plan:
        if only is not None and sid not in only and sid.split("_")[0] not in only:
            steps.append(Step(sid, title, status="not run", reason="not requested"))
            continue
        note(title)
        steps.append(_run(Step(sid, title), fn, study))
    meta = {"qimscale_version": qimscale.__version__, "instrument": inst.id, "instrument_version": inst.version,
            "n": int(len(data)), "seed": seed, "source": source, "input_sha256": input_hash,
            "groups": list(study.groups), "outcome": outcome, "cluster": cluster, "split_sample": split_sample,
            "min_cell": min_cell, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__, "ordinal": study.ordinal,
            "scales": study.scales, "scales_absent": study.results.get("absent_scales", [])}
    result = StudyResult(steps=steps, meta=meta)
    result.methods = methods_paragraph(result, study)
    return result


def _and(words) -> str:
    words = [str(w) for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def methods_paragraph(result: StudyResult, study: Study) -> str:
    """A methods paragraph built from what actually ran (software, estimators, criteria, citations),
    in the past tense of a paper's methods section; steps that did not run are left out."""
    m = result.meta
    ok = {s.id: s for s in result.steps if s.status == "ok"}
    kind = "polychoric" if study.ordinal else "Pearson"
    parts = [f"We analysed the responses of {m['n']} participants to the {m['instrument']} instrument (version "
             f"{m['instrument_version']}; {study.items.shape[1]} items in {len(study.scales)} competency "
             f"sub-scales) with qimscale {m['qimscale_version']} (Python {m['python']}, NumPy {m['numpy']}, "
             f"SciPy {m['scipy']}, pandas {m['pandas']}); random steps used the seed {m['seed']}."]
    if "screening" in ok:
        v = ok["screening"].values
        parts.append(f"Of the item responses, {v.get('missing_cells_pct', 0):.1f} % were missing or 'not "
                     "applicable'; no values were imputed, correlations used pairwise deletion, and respondents "
                     "flagged as careless were kept. Floor and ceiling effects were judged against the "
                     "criterion of at most 15 % of respondents at the lowest or highest possible scale score "
                     "(Terwee et al. 2007).")
    if "items" in ok:
        parts.append("Items were screened by their corrected item–total correlations (criterion ≥ .30) and the "
                     "mean inter-item correlation of each sub-scale (.15–.50; Clark & Watson 1995).")
    if "factorability" in ok:
        parts.append(f"Factorability was examined with the Kaiser–Meyer–Olkin measure (≥ .60; Kaiser 1974) and "
                     f"Bartlett's test of sphericity (Bartlett 1950) on the {kind} correlations.")
    if "nfactors" in ok:
        v = ok["nfactors"].values
        parts.append(f"The number of factors was examined with parallel analysis (Horn 1965; {v['n_iter']} "
                     f"resampled and {v['n_iter']} simulated data sets, 95th percentile) and Velicer's minimum "
                     f"average partial test (Velicer 1976) on {kind} correlations.")
    if "efa" in ok:
        parts.append(f"An exploratory factor analysis of the {kind} correlations (minimum residual extraction, "
                     f"oblimin rotation, {ok['efa'].values.get('n_factors')} factors as declared by the instrument) "
                     + ("was fitted to a random half of the sample" if study.split_sample else "was fitted")
                     + "; loadings of at least .40 on the intended factor and cross-loadings below .30 were "
                       "taken as adequate (Boateng et al. 2018).")
    if "cfa" in ok:
        v = ok["cfa"].values
        est = v.get("estimator")
        parts.append("The instrument's declared structure (one factor per sub-scale, factors correlated) was "
                     "tested by confirmatory factor analysis "
                     + ("with the WLSMV estimator (diagonally weighted least squares on polychoric correlations, "
                        "delta parameterization, pairwise deletion, mean- and variance-adjusted test; Muthén 1984)"
                        if est == "WLSMV" else f"with the {est} estimator (robust standard errors and test, "
                                               "full-information maximum likelihood for missing data)")
                     + f". Fit was judged by CFI and TLI ≥ .95, RMSEA ≤ .06 and SRMR ≤ .08 (Hu & Bentler 1999), "
                       f"using the {v.get('indices_used')} indices" + (" (Savalei 2021)" if v.get("indices_used")
                                                                       == "robust" else "") + ".")
    if "reliability" in ok:
        parts.append("Internal consistency was estimated by Cronbach's α with Feldt confidence intervals and by "
                     "composite reliability ω from the CFA" + (" (ordinal, on the latent response scale)" if
                                                                study.ordinal else "")
                     + ", each against the criterion of ≥ .70 (Nunnally & Bernstein 1994).")
    if "validity" in ok:
        parts.append("Convergent validity was assessed by the average variance extracted (≥ .50) and "
                     "discriminant validity by the Fornell–Larcker criterion (Fornell & Larcker 1981) and the "
                     "HTMT2 ratio (< .85; Henseler et al. 2015; Roemer et al. 2021).")
    inv = [s for s in result.steps if s.id.startswith("invariance_") and s.status == "ok"]
    if inv:
        parts.append("Measurement invariance across " + _and(s.values["group"] for s in inv)
                     + " was tested with a sequence of increasingly constrained multi-group models"
                     + (" (configural, equal thresholds, equal loadings, equal intercepts; Wu & Estabrook 2016)"
                        if study.ordinal else " (configural, metric, scalar)")
                     + "; a level was taken to hold only when ΔCFI ≥ −.010 (Cheung & Rensvold 2002), ΔRMSEA "
                       "< .015 (Chen 2007) and the χ² difference test (p ≥ .05) all agreed, and groups with "
                       f"fewer than {max(study.min_cell, 30)} respondents were left out of these models.")
    if "hypotheses" in ok:
        parts.append("Pre-stated hypotheses (known groups: Welch's t-test with Hedges' g; criterion and "
                     "moderation: ordinary least squares with HC3 standard errors; Holm-adjusted p-values) were "
                     "evaluated against the criterion of at least 75 % confirmed (Terwee et al. 2007).")
    if "relations" in ok:
        v = ok["relations"].values
        parts.append(f"Relations of the competency domain scores with {v['outcome']} were estimated by ordinary "
                     "least squares with HC3 standard errors"
                     + (f" including the mean-centred {v['interaction'].replace(':', ' × ')} product term, probed "
                        "by simple slopes and the Johnson–Neyman interval" if v.get("interaction") else "")
                     + (f", and by a random-intercept model (REML) for respondents within {v['cluster']}, with "
                        "ICC(1) and ICC(2) (LeBreton & Senter 2008)" if v.get("cluster") else "") + ".")
    skipped = [s.title.split(". ", 1)[-1].lower() for s in result.steps if s.status != "ok"
               and s.reason != "not requested"]
    if skipped:
        parts.append("The following steps could not be carried out (reasons in the report): " + _and(skipped) + ".")
    return " ".join(parts)


def file_sha256(path) -> str | None:
    p = Path(path)
    if not p.is_file():
        return None
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
