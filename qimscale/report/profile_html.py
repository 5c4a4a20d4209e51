"""The one-page HTML competency profile of one respondent.

Rendered with Jinja2 with autoescaping on (ids, labels, group names and suggestion
texts are escaped); the figure is embedded as base64 PNG, so the page loads nothing
from anywhere and prints on one A4 page (print style sheet).
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import math
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _pct(v) -> str:
    """A percentile, whole numbers (``–`` when missing)."""
    return f"{v:.0f}" if _finite(v) else "–"


def _fixed(v, digits: int = 3) -> str:
    """A score or SEM with a fixed number of decimals (``–`` when missing)."""
    return f"{v:.{digits}f}" if _finite(v) else "–"


def _exact(v) -> str:
    """The full-precision value for a ``data-value`` attribute (``repr`` of the float; empty when missing)."""
    return repr(float(v)) if _finite(v) else ""


@functools.lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fixed
    env.filters["exact"] = _exact
    env.filters["pct"] = _pct
    env.filters["b64"] = lambda b: base64.b64encode(b).decode("ascii")
    return env


def render_profile(profile, *, meta: dict, comparison: str, figure_png: bytes, suggestions: list,
                   domains: list, respondent=None, generated: str | None = None) -> str:
    """The profile page as one HTML string.

    Parameters
    ----------
    profile : ProfileResult
    meta : dict
        ``instrument``, ``instrument_version``, ``qimscale_version``, ``source`` (the citation).
    comparison : str
        What the scores are compared with, in words (``"the sample (N = 300)"``).
    figure_png : bytes
        :func:`~qimscale.report.profile_figures.profile_chart` of the profile.
    suggestions : list of dict
        From :func:`qimscale.study.profile.suggestions_for`: ``{"scales", "audience", "suggestion",
        "passage", "cite"}``, each suggestion once with the low sub-scales it serves.
    domains : list of dict
        ``{"id", "label"}`` in display order; scales are grouped under their domain.
    respondent : str, optional
        The respondent id shown in the heading (escaped); ``None`` shows none.
    """
    t = page_texts(profile, domains, generated)
    return _env().get_template("profile.html.j2").render(
        meta=meta, respondent=respondent, comparison=comparison, figure=figure_png, domains=t["groups"],
        suggestions=suggestions, warnings=profile.warnings, low_percentile=profile.low_percentile,
        reference_mean=t["reference_mean"], sd_text=t["sd_text"], percentile_text=t["percentile_text"],
        source=meta.get("source", ""), generated=t["generated"])


def page_texts(profile, domains: list, generated: str | None = None) -> dict:
    """What the HTML and the PDF page share: the score rows grouped by domain (``groups``: ``label``,
    ``row`` (the domain score or ``None``), ``scales``), the name of the reference mean, the SD and
    percentile explanations and the time stamp."""
    by_id = {r["scale"]: r for r in profile.records}
    groups = []
    for d in domains:
        scales = [r for r in by_id.values() if r["level"] == "scale" and r["domain"] == d["id"]]
        if not scales:
            continue
        groups.append({"label": d["label"], "row": by_id.get(d.get("score_id") or "\0"), "scales": scales})
    norms = profile.comparison == "norms"
    if norms:
        pct = "Percentiles are 100 Φ((score − mean) / sd) against the norms."
    else:
        pct = (f"Percentiles are mid-rank percentiles among the {profile.n_reference} respondents of the comparison "
               "group with a score (the respondent included).")
    return {"groups": groups, "reference_mean": "norm mean" if norms else "comparison-group mean",
            "sd_text": "the norms' sd" if norms else "the standard deviation of the score in the sample",
            "percentile_text": pct,
            "generated": generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
