"""The self-contained HTML report of a validation study.

Rendered with Jinja2 with autoescaping on: every text that comes from data (labels,
group names, item ids, messages) is escaped. Figures are embedded as base64 PNG; the
page loads no script, style sheet or font from anywhere, and prints cleanly to PDF
(print style sheet, one step per page).
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def _num(v):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return str(v)
    try:
        import numpy as np

        if isinstance(v, (np.integer,)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            v = float(v)
            if not math.isfinite(v):
                return "–"
            if v.is_integer() and abs(v) >= 1:
                return str(int(v))
            if v != 0 and abs(v) < 0.001:
                return "< .001" if v > 0 else f"{v:.2e}"
            return f"{v:.3f}"
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return str(v)


#: column headers as a paper prints them (other columns: the name with spaces)
HEADERS = {
    "n": "n", "k": "k", "df": "df", "npar": "parameters", "scale": "Scale", "item": "Item", "factor": "Factor",
    "level": "Level", "name": "Name", "group": "Group", "grouping": "Grouping",
    "n_na": "n N/A", "pct_na": "% N/A", "n_missing": "n blank", "pct_missing": "% blank",
    "floor_pct": "% floor", "ceiling_pct": "% ceiling", "scores": "Scores",
    "mean": "M", "sd": "SD", "r_drop": "item–rest r", "alpha_if_deleted": "α if deleted", "alpha": "α",
    "alpha_ci_lower": "α 95% CI lower", "alpha_ci_upper": "α 95% CI upper", "average_r": "mean inter-item r",
    "omega": "ω", "kmo": "KMO", "communality": "h²", "est": "estimate", "se": "SE", "std_all": "standardized",
    "cr": "CR (ω)", "ave": "AVE", "sqrt_ave": "√AVE", "max_r": "largest |r|", "closest": "closest factor",
    "max_htmt": "largest HTMT2", "fornell_larcker": "√AVE − largest |r|",
    "chisq": "χ²", "chisq_scaled": "χ² (scaled)", "pvalue": "p", "pvalue_scaled": "p (scaled)",
    "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "cfi_scaled": "CFI (scaled)",
    "tli_scaled": "TLI (scaled)", "rmsea_scaled": "RMSEA (scaled)", "cfi_used": "CFI used",
    "rmsea_used": "RMSEA used", "delta_cfi": "ΔCFI", "delta_rmsea": "ΔRMSEA", "delta_srmr": "ΔSRMR",
    "chisq_diff": "Δχ²", "df_diff": "Δdf", "chisq_diff_p": "p (Δχ²)", "held": "held",
    "chisq_scaling_factor": "scaling factor", "estimate": "estimate", "ci_lower": "95% CI lower",
    "ci_upper": "95% CI upper", "p": "p", "p_holm": "p (Holm)", "term": "Term", "status": "Status",
}

#: table captions (other tables: the name with spaces)
CAPTIONS = {
    "items": "Item responses: missing, not applicable, floor and ceiling (answers as given)",
    "floor_ceiling": "Floor and ceiling effects of the scale scores", "group_sizes": "Group sizes",
    "scales": "Scale statistics", "kmo_items": "KMO per item", "loadings": "Loadings",
    "factor_correlations": "Factor correlations (standardized)", "reliability": "Reliability per scale and domain",
    "convergent_discriminant": "Convergent and discriminant validity per factor", "htmt": "HTMT2 ratios",
    "levels": "Fit at each invariance level", "release_tests": "Score tests: constraints whose release helps most",
    "hypotheses": "Pre-stated hypotheses", "correlations": "Correlations", "ols": "Ordinary least squares (HC3)",
    "simple_slopes": "Simple slopes", "multilevel": "Random-intercept model",
    "modification_indices": "Modification indices of 10 or more (the 20 largest; lavaan's modindices)",
}

_P_COLUMNS = {"p", "pvalue", "pvalue_scaled", "chisq_diff_p", "p_holm", "p_value", "p_adjusted"}
_COUNT_COLUMNS = {"n", "k", "df", "npar", "n_na", "n_missing", "n_answered", "df_diff", "n_rows"}


def _cell(v, column: str) -> tuple[str, bool]:
    """``(text, is_number)`` of one table cell, formatted by its column: counts as integers,
    percentages with one decimal, p-values as APA ("< .001"), other numbers with three decimals."""
    import numpy as np

    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–", False
    if isinstance(v, (bool, np.bool_)):
        return ("yes" if v else "no"), False
    if isinstance(v, (int, np.integer)):
        return str(int(v)), True
    if isinstance(v, (float, np.floating)):
        v = float(v)
        minus = "−" if v < 0 else ""
        if column in _P_COLUMNS or column.endswith("_p"):
            return ("< .001" if v < 0.001 else f"{v:.3f}".lstrip("0")), True
        if column in _COUNT_COLUMNS and v.is_integer():
            return str(int(v)), True
        if "pct" in column:
            return f"{minus}{abs(v):.1f}", True
        return f"{minus}{abs(v):.3f}", True
    return str(v), False


def prepare_table(name: str, df) -> dict:
    """A step's table ready to print: caption, readable headers, formatted cells.

    A square matrix whose first column names its rows (factor correlations, HTMT) prints as in
    APA: numbered columns and the lower triangle only.
    """
    cols = [str(c) for c in df.columns]
    first = cols[0] if cols else ""
    labels = [str(v) for v in df[first]] if cols else []
    matrix = len(cols) > 2 and first in ("factor", "scale", "item") and labels == cols[1:]
    if matrix:
        headers = [HEADERS.get(first, first)] + [str(j + 1) for j in range(len(labels))]
        rows = []
        for i, r in enumerate(df.itertuples(index=False)):
            cells = [(f"{i + 1}. {labels[i]}", False)]
            for j, v in enumerate(list(r)[1:]):
                cells.append(_cell(v, "") if j < i else (("—", False) if j == i else ("", False)))
            rows.append(cells)
    else:
        headers = [HEADERS.get(c, c.replace("_", " ")) for c in cols]
        rows = [[_cell(v, c) for v, c in zip(r, cols)] for r in df.itertuples(index=False)]
    return {"caption": CAPTIONS.get(name, name.replace("_", " ").capitalize()), "headers": headers, "rows": rows, "matrix": matrix,
            "short": len(rows) <= 25}


def render_report(result, *, generated: str | None = None) -> str:
    """The report of a :class:`~qimscale.study.validate.StudyResult` as one HTML string."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from qimscale.study.criteria import REFERENCES

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["cls"] = lambda v: str(v).replace(" ", "-")
    env.filters["b64"] = lambda b: base64.b64encode(b).decode("ascii")
    env.filters["title_case"] = lambda s: str(s).replace("_", " ").capitalize()
    env.filters["table"] = lambda t, name="": prepare_table(name, t)
    cited = set()
    for v in result.verdicts:
        for key in REFERENCES:
            if key.split(" ")[0] in v.source:
                cited.add(key)
    for key in REFERENCES:
        if key in result.methods or key.split(" ")[0] in result.methods:
            cited.add(key)
    refs = [REFERENCES[k] for k in sorted(cited)]
    stamp = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return env.get_template("report.html.j2").render(meta=result.meta, verdicts=result.verdicts,
                                                      steps=result.steps, methods=result.methods,
                                                      references=refs, generated=stamp)
