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
