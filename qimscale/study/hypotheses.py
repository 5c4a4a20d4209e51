"""Pre-stated hypotheses (``analysis/hypotheses.yaml``): read, check and evaluate them.

A hypothesis is stated before data collection (COSMIN; Terwee et al. 2007) and is
reported as ``supported``, ``not_supported`` or ``not_testable`` (with the reason),
with its estimate, confidence interval, p-value and Holm-adjusted p across the file's
testable hypotheses. Three kinds:

- **known groups** (``known_groups``): ``scale``, ``expect: A > B`` on the file's group
  column. Welch's t test (``t.test(x ~ g)``, R's default) and Hedges' g with its CI. Supported when the difference has the stated
  sign and the adjusted p < alpha. Hedges' g is :func:`qimscale.analysis.compare.hedges_g`
  (exact J, noncentral-t interval), the same as ``qimscale compare`` reports.
- **criterion** (``criterion.hypotheses`` with ``predictors``): OLS of the outcome on the
  predictors with HC3 standard errors (``lm`` + ``sandwich::vcovHC(type = "HC3")``) on
  standardised variables; supported when every predictor's coefficient is positive and its
  adjusted p < alpha (the reported estimate is the weakest coefficient).
- **moderation** (a criterion hypothesis with ``moderates``): the product of the centred
  predictor and moderator in the same model; supported when the interaction is positive
  and its adjusted p < alpha.

References
----------
Terwee CB, Bot SDM, de Boer MR, et al. Quality criteria were proposed for measurement
properties of health status questionnaires. J Clin Epidemiol. 2007;60:34-42.
Hedges LV. Distribution theory for Glass's estimator of effect size and related estimators.
J Educ Stat. 1981;6:107-128.
Long JS, Ervin LH. Using heteroscedasticity consistent standard errors in the linear
regression model. Am Stat. 2000;54:217-224.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qimscale._core.formatting import cell_text
from qimscale._core.result import Result
from qimscale.errors import DataError, ModelError

SCHEMA = "qimscale-hypotheses/1"
SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not_supported", "not_testable"
_EXPECT = re.compile(r"^\s*([A-Za-z0-9_ .-]+?)\s*([<>])\s*([A-Za-z0-9_ .-]+?)\s*$")


@dataclass
class Hypothesis:
    id: str
    kind: str                    # known_groups | criterion | moderation
    expect: str
    scale: str | None = None
    higher: str | None = None
    lower: str | None = None
    predictors: list = field(default_factory=list)
    moderates: list = field(default_factory=list)
    rationale: str = ""


@dataclass
class HypothesisSet:
    path: str
    group: str | None
    levels: dict
    outcome: str | None
    hypotheses: list


def _line_of(text: str, key: str) -> int | None:
    for k, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"\bid:\s*{re.escape(key)}\b", line):
            return k
    return None


def bundled_hypotheses_path() -> Path:
    from qimscale.study.population import bundled_analysis_dir

    return bundled_analysis_dir() / "hypotheses.yaml"


def read_hypotheses(path=None) -> HypothesisSet:
    """Read and check a hypotheses file; every problem is one error naming the file, line and field."""
    p = Path(path) if path is not None else bundled_hypotheses_path()
    name = str(path) if path is not None else "bundled hypotheses.yaml"
    from qimscale.study.population import read_yaml

    spec, text = read_yaml(p, name)
    if not isinstance(spec, dict) or spec.get("schema") != SCHEMA:
        raise ModelError(f"{name}: not a hypotheses file (expected 'schema: {SCHEMA}')")
    unknown = set(spec) - {"schema", "instrument", "instrument_version", "source", "known_groups", "criterion"}
    if unknown:
        raise ModelError(f"{name}: unknown top-level key(s) {', '.join(sorted(map(repr, unknown)))}")
    out, seen = [], set()

    def where(hid):
        line = _line_of(text, hid)
        return f"{name}, line {line}" if line else name

    def new_id(h) -> str:
        """The hypothesis' id, which must be given and not used before."""
        hid = str(h.get("id", ""))
        if not hid or hid in seen:
            raise ModelError(f"{where(hid)}: every hypothesis needs a unique 'id' (got {hid!r})")
        seen.add(hid)
        return hid

    kg = spec.get("known_groups") or {}
    group = kg.get("group")
    levels = {str(k): v for k, v in (kg.get("levels") or {}).items()}
    for h in kg.get("hypotheses") or []:
        hid = new_id(h)
        m = _EXPECT.match(str(h.get("expect", "")))
        if not h.get("scale") or not m:
            raise ModelError(f"{where(hid)}: known-groups hypothesis '{hid}' needs 'scale' and 'expect: A > B' "
                             f"(got scale={h.get('scale')!r}, expect={h.get('expect')!r})")
        a, op, b = m.group(1), m.group(2), m.group(3)
        higher, lower = (a, b) if op == ">" else (b, a)
        out.append(Hypothesis(hid, "known_groups", str(h["expect"]), scale=str(h["scale"]), higher=higher,
                              lower=lower, rationale=str(h.get("rationale", ""))))
    cr = spec.get("criterion") or {}
    outcome = cr.get("outcome")
    for h in cr.get("hypotheses") or []:
        hid = new_id(h)
        preds = h.get("predictors")
        if not isinstance(preds, list) or not preds:
            raise ModelError(f"{where(hid)}: criterion hypothesis '{hid}' needs 'predictors: [a, b]'")
        mods = h.get("moderates") or []
        if not isinstance(mods, list):
            raise ModelError(f"{where(hid)}: 'moderates' of '{hid}' must be a list")
        if not outcome:
            raise ModelError(f"{name}: criterion hypotheses need 'criterion: outcome: COLUMN'")
        out.append(Hypothesis(hid, "moderation" if mods else "criterion", str(h.get("expect", "")),
                              predictors=[str(x) for x in preds], moderates=[str(x) for x in mods],
                              rationale=str(h.get("rationale", ""))))
    if not out:
        raise ModelError(f"{name}: no hypotheses found")
    return HypothesisSet(name, group, levels, outcome, out)


@dataclass
class HypothesesResult(Result):
    """Every hypothesis with its status, estimate, CI, p and Holm-adjusted p."""

    title = "Pre-stated hypotheses"
    rows: pd.DataFrame
    source: str
    alpha: float = 0.05
    warnings: list = field(default_factory=list)

    @property
    def share_supported(self) -> float | None:
        testable = self.rows[self.rows["status"] != NOT_TESTABLE]
        return None if testable.empty else float((testable["status"] == SUPPORTED).mean())

    def to_dict(self) -> dict:
        recs = []
        for r in self.rows.to_dict(orient="records"):
            r["ci"] = [r.pop("ci_lower"), r.pop("ci_upper")]
            recs.append(r)
        return {"hypotheses": recs, "share_supported": self.share_supported, "source": self.source,
                "alpha": self.alpha, "criterion": "at least 75 % of hypotheses supported (Terwee et al. 2007)",
                "warnings": list(self.warnings)}

    def tables(self) -> dict:
        return {"hypotheses": self.rows}


def _levels(data: pd.Series, hs: HypothesisSet, inst=None) -> dict:
    """Map each label used in the hypotheses to the code(s) in the data."""
    labels = {x for h in hs.hypotheses if h.kind == "known_groups" for x in (h.higher, h.lower)}
    mapping = {}
    values = {str(v) for v in data.dropna().unique()}
    norm = {}
    for v in data.dropna().unique():
        key = cell_text(v)
        norm.setdefault(key, []).append(v)
    choices = {}
    if inst is not None and hs.group:
        try:
            field_ = next(b for b in inst.background if b.id == hs.group)
            choices = {c.label_for(inst.default_language): c.code for c in field_.choices}
        except StopIteration:
            pass
    for lab in labels:
        if lab in hs.levels:
            code = str(hs.levels[lab])
        elif lab in values or lab in norm:
            code = lab
        else:
            hits = [c for text, c in choices.items() if text.lower().startswith(lab.lower())]
            code = str(hits[0]) if len(hits) == 1 else None
        mapping[lab] = norm.get(code, []) if code is not None else []
    return mapping


def _known_groups(h: Hypothesis, data: pd.DataFrame, group: str | None, levels: dict, min_n: int):
    from scipy import stats

    if not group or group not in data.columns:
        return {"status": NOT_TESTABLE, "reason": f"group column {group!r} not in the data"}
    if h.scale not in data.columns:
        return {"status": NOT_TESTABLE, "reason": f"scale score column '{h.scale}' not in the data"}
    y = pd.to_numeric(data[h.scale], errors="coerce")
    g = data[group]
    parts = {}
    for lab in (h.higher, h.lower):
        codes = levels.get(lab) or []
        if not codes:
            return {"status": NOT_TESTABLE, "reason": f"group '{lab}' not found in column '{group}' (state its code "
                                                      "under known_groups: levels: in the hypotheses file)"}
        parts[lab] = y[g.isin(codes)].dropna().to_numpy(float)
    a, b = parts[h.higher], parts[h.lower]
    if min(a.size, b.size) < min_n:
        return {"status": NOT_TESTABLE, "reason": f"fewer than {min_n} respondents with a score in a group"}
    if a.var(ddof=1) == 0 and b.var(ddof=1) == 0:
        return {"status": NOT_TESTABLE, "reason": f"'{h.scale}' is constant in both groups"}
    from qimscale.analysis.compare import hedges_g

    t = stats.ttest_ind(a, b, equal_var=False)
    hg = hedges_g(a, b)
    g_, lo, hi = hg["g"], hg["ci_lower"], hg["ci_upper"]
    return {"estimate": g_, "ci_lower": lo, "ci_upper": hi, "p": float(t.pvalue), "direction_ok": g_ > 0,
            "effect": "hedges_g", "test": "welch_t", "n": int(a.size + b.size)}


def _ols_hc3(data: pd.DataFrame, outcome: str, predictors: list, interaction=None):
    """OLS on standardised variables with HC3 SEs (``lm`` + ``sandwich::vcovHC(type = "HC3")``)."""
    import statsmodels.api as sm
    from scipy import stats

    cols = [outcome] + predictors
    df = data[cols].apply(pd.to_numeric, errors="coerce").dropna()
    z = (df - df.mean()) / df.std(ddof=1)
    X = z[predictors].copy()
    names = list(predictors)
    if interaction is not None:
        a, b = interaction
        X[f"{a}:{b}"] = z[a] * z[b]
        names.append(f"{a}:{b}")
    fit = sm.OLS(z[outcome], sm.add_constant(X)).fit(cov_type="HC3")
    crit = stats.t.ppf(0.975, fit.df_resid)
    out = {}
    for nm in names:
        est, se = float(fit.params[nm]), float(fit.bse[nm])
        p = float(2 * stats.t.sf(abs(est / se), fit.df_resid))
        out[nm] = (est, est - crit * se, est + crit * se, p)
    return out, int(len(df))


def _criterion(h: Hypothesis, data: pd.DataFrame, outcome: str | None, min_n: int):
    need = [outcome] + h.predictors + h.moderates
    missing = [c for c in need if c is None or c not in data.columns]
    if missing:
        return {"status": NOT_TESTABLE, "reason": f"column(s) {', '.join(map(repr, missing))} not in the data"}
    constant = [c for c in need if pd.to_numeric(data[c], errors="coerce").std() == 0]
    if constant:
        return {"status": NOT_TESTABLE, "reason": f"column(s) {', '.join(constant)} constant"}
    if h.kind == "moderation":
        a, b = h.predictors[0], h.moderates[0]
        coefs, n = _ols_hc3(data, outcome, list(dict.fromkeys(h.predictors + h.moderates)), interaction=(a, b))
        if n < min_n:
            return {"status": NOT_TESTABLE, "reason": f"fewer than {min_n} complete rows"}
        est, lo, hi, p = coefs[f"{a}:{b}"]
        return {"estimate": est, "ci_lower": lo, "ci_upper": hi, "p": p, "direction_ok": est > 0,
                "effect": "standardised interaction", "test": "ols_hc3", "n": n}
    coefs, n = _ols_hc3(data, outcome, h.predictors)
    if n < min_n:
        return {"status": NOT_TESTABLE, "reason": f"fewer than {min_n} complete rows"}
    weakest = min(h.predictors, key=lambda k: coefs[k][0])
    est, lo, hi, p = coefs[weakest]
    worst_p = max(c[3] for c in coefs.values())
    return {"estimate": est, "ci_lower": lo, "ci_upper": hi, "p": worst_p,
            "direction_ok": all(c[0] > 0 for c in coefs.values()),
            "effect": f"standardised beta (weakest: {weakest})", "test": "ols_hc3", "n": n,
            "parts": {k: {"estimate": v[0], "ci": [v[1], v[2]], "p": v[3]} for k, v in coefs.items()}}


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment, as R's ``p.adjust(p, "holm")`` (NaN left out).

    >>> holm(np.array([0.01, 0.04, 0.03])).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def _check_numeric_columns(data: pd.DataFrame, hs: HypothesisSet) -> None:
    """Scores, outcome and predictors must hold numbers: a text cell is an error naming its row,
    column and value, never silently treated as missing."""
    from qimscale.analysis.compare import _check_numeric

    used = [c for h in hs.hypotheses for c in ([h.scale] + ([hs.outcome] if h.kind != "known_groups" else [])
                                               + list(h.predictors) + list(h.moderates))]
    for col in dict.fromkeys(c for c in used if c is not None and c in data.columns):
        _check_numeric(data, col, "the hypotheses need numeric scores", "correct the cell")


def evaluate_hypotheses(data: pd.DataFrame, hypotheses=None, *, instrument=None, alpha: float = 0.05,
                        min_n: int = 5) -> HypothesesResult:
    """Evaluate every hypothesis of the file on scored data (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        Scored data (scale and domain score columns by their ids, the group column).
    hypotheses : path or HypothesisSet, optional
        Default: the bundled ``analysis/hypotheses.yaml``.
    instrument : Instrument, optional
        Used to find a group's code from its label (``traditional`` → the code whose label
        starts with "Traditional").
    alpha : float
    min_n : int
        Smallest group (or complete-row count) a hypothesis is tested on.

    Raises
    ------
    DataError
        A score, outcome or predictor column the hypotheses use holds text.
    """
    hs = hypotheses if isinstance(hypotheses, HypothesisSet) else read_hypotheses(hypotheses)
    _check_numeric_columns(data, hs)
    levels = _levels(data[hs.group], hs, instrument) if hs.group and hs.group in data.columns else {}
    rows = []
    for h in hs.hypotheses:
        res = (_known_groups(h, data, hs.group, levels, min_n) if h.kind == "known_groups"
               else _criterion(h, data, hs.outcome, min_n))
        rows.append({"id": h.id, "kind": h.kind, "expect": h.expect, "status": res.get("status"),
                     "estimate": res.get("estimate"), "ci_lower": res.get("ci_lower"),
                     "ci_upper": res.get("ci_upper"), "p": res.get("p"), "p_adj": None,
                     "effect": res.get("effect"), "test": res.get("test"), "n": res.get("n"),
                     "reason": res.get("reason", ""), "_dir": res.get("direction_ok")})
    t = pd.DataFrame(rows)
    adj = holm(t["p"].astype(float).to_numpy())
    t["p_adj"] = adj
    for i, r in t.iterrows():
        if r["status"] == NOT_TESTABLE:
            continue
        if not r["_dir"]:
            t.at[i, "status"], t.at[i, "reason"] = NOT_SUPPORTED, "the estimate has the opposite sign"
        elif adj[i] >= alpha:
            t.at[i, "status"] = NOT_SUPPORTED
            t.at[i, "reason"] = f"expected sign, but Holm-adjusted p = {adj[i]:.3g} ≥ {alpha:g}"
        else:
            t.at[i, "status"], t.at[i, "reason"] = SUPPORTED, f"expected sign and Holm-adjusted p < {alpha:g}"
    return HypothesesResult(rows=t.drop(columns="_dir"), source=hs.path, alpha=alpha)
