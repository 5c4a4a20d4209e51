"""The one-page A4 PDF competency profile of one respondent (matplotlib's PDF backend, no system libraries).

The page carries what the HTML page carries (:mod:`.profile_html`): the comparison, the
sub-scale chart with 95 % SEM bands and the reference mean, the table of scores, bands, SEMs,
reliabilities, reference means and percentiles, the notes (suppression and reliability
warnings), the development suggestions with their sources, and the methods note. It never
carries the respondent id: the id is only in the file name the user asked for, and the PDF's
metadata name qimscale and the instrument only. Text that does not fit on one page is set
smaller (down to 5.5 pt); suggestions that still do not fit are counted in a closing line
that points to the HTML profile.
"""

from __future__ import annotations

import io
import math
import textwrap

from .profile_figures import BAND_COLOUR, LOW_COLOUR, OK_COLOUR, _plain, chart_axes
from .profile_html import _fixed, _pct, page_texts

#: A4 in inches and the margins
PAGE_W, PAGE_H = 8.27, 11.69
MARGIN = 0.55
#: points per inch
PT = 72.0


def _lines(text: str, size: float, width_in: float) -> list:
    """``text`` wrapped for a proportional font of ``size`` points in ``width_in`` inches (about
    0.5 em per character, so lines end a little short rather than run over)."""
    per_line = max(20, int(width_in * PT / (0.5 * size)))
    return textwrap.wrap(" ".join(str(text).split()), per_line) or [""]


class _Page:
    """A text cursor down an A4 figure (inches from the top)."""

    def __init__(self, fig, size: float):
        self.fig, self.y, self.size = fig, MARGIN, size
        self.width = PAGE_W - 2 * MARGIN

    def text(self, s, *, size=None, weight="normal", style="normal", colour="#1a1a1a", x=0.0, gap=0.25):
        size = size or self.size
        for line in _lines(s, size, self.width - x):
            self.fig.text((MARGIN + x) / PAGE_W, 1 - (self.y + size / PT) / PAGE_H, _plain(line), fontsize=size,
                          fontweight=weight, fontstyle=style, color=colour, va="baseline", ha="left")
            self.y += 1.25 * size / PT
        self.y += gap * size / PT

    def height(self, s, *, size=None, x=0.0, gap=0.25) -> float:
        size = size or self.size
        return len(_lines(s, size, self.width - x)) * 1.25 * size / PT + gap * size / PT


def _chart(fig, top: float, rows: list, *, lo: float, hi: float, reference: str) -> float:
    """The dot-and-band chart of the sub-scale ``rows`` below ``top`` (inches); returns its height."""
    n = len(rows)
    h = 0.19 * n + 0.75
    ax = fig.add_axes([(MARGIN + 2.1) / PAGE_W, 1 - (top + h - 0.45) / PAGE_H, (PAGE_W - 2 * MARGIN - 2.2) / PAGE_W,
                       (h - 0.75) / PAGE_H])
    for k, r in enumerate(rows):
        y = n - 1 - k
        if math.isfinite(r["band_lower"]) and math.isfinite(r["band_upper"]):
            ax.plot([max(r["band_lower"], lo), min(r["band_upper"], hi)], [y, y], color=BAND_COLOUR, linewidth=5,
                    solid_capstyle="butt", zorder=1)
        if math.isfinite(r["reference_mean"]):
            ax.plot([r["reference_mean"]] * 2, [y - 0.3, y + 0.3], color="black", linewidth=0.8, zorder=2)
        if math.isfinite(r["score"]):
            ax.plot([r["score"]], [y], "o", markersize=5, color=LOW_COLOUR if r["low"] else OK_COLOUR, zorder=3)
    ax.set_yticks([n - 1 - k for k in range(n)])
    ax.set_yticklabels([_plain(r["label"]) for r in rows], fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    chart_axes(ax, n, lo=lo, hi=hi, reference=reference, size=7.0, band=5.0, tick=0.8)
    return h


#: table columns: header, x offset (inches from the left margin), alignment
_COLUMNS = [("Domain / sub-scale", 0.0, "left"), ("Score", 2.5, "right"), ("95% band", 3.45, "right"),
            ("SEM", 3.85, "right"), ("Reliability", 3.95, "left"), ("Mean", 6.1, "right"),
            ("Percentile", 6.75, "right"), ("", 6.85, "left")]


def _table(page: _Page, groups: list, reference_mean: str, size: float) -> None:
    header = [c[0] for c in _COLUMNS]
    header[5] = reference_mean.capitalize().replace("Comparison-group mean", "Group mean")
    rows = [(header, "bold")]
    for d in groups:
        r = d["row"]
        rows.append(((_cells(r, d["label"], False) if r is not None else [d["label"]] + [""] * 7), "bold"))
        rows.extend((_cells(s, "   " + s["label"], True), "normal") for s in d["scales"])
    step = 1.3 * size / PT
    for k, (cells, weight) in enumerate(rows):
        base = 1 - (page.y + size / PT) / PAGE_H
        for (_, x, ha), text in zip(_COLUMNS, cells):
            colour = LOW_COLOUR if text == "low" else "#1a1a1a"
            page.fig.text((MARGIN + x) / PAGE_W, base, _plain(text), fontsize=size, fontweight=weight, ha=ha,
                          va="baseline", color=colour)
        if k in (0, len(rows) - 1):
            yy = 1 - (page.y + step + 0.02) / PAGE_H
            page.fig.add_artist(_rule(yy))
        page.y += step
    page.y += 0.08


def _rule(y):
    from matplotlib.lines import Line2D

    return Line2D([MARGIN / PAGE_W, 1 - MARGIN / PAGE_W], [y, y], color="black", linewidth=0.6)


def _cells(r, label: str, scale: bool) -> list:
    band = f"{_fixed(r['band_lower'])} – {_fixed(r['band_upper'])}" if math.isfinite(r["band_lower"]) else "–"
    score = _fixed(r["score"]) if math.isfinite(r["score"]) else "not scored"
    rel = f"{_fixed(r['reliability'])} ({r['reliability_source']})"
    return [label, score, band, _fixed(r["sem"]), rel, _fixed(r["reference_mean"]), _pct(r["percentile"]),
            "low" if scale and r["low"] else ""]


def _suggestion_texts(g) -> tuple:
    head = ", ".join(g["scales"]) + "."
    body = (f"For {g['audience']} QI managers: " if g["audience"] != "all" else "") + g["suggestion"]
    return head, body, f"Source: {g['passage']} ({g['cite']})."


def render_profile_pdf(profile, *, meta: dict, comparison: str, suggestions: list, domains: list, lo: float,
                       hi: float, generated: str | None = None) -> bytes:
    """The profile as the bytes of a one-page A4 PDF.

    Parameters
    ----------
    profile : ProfileResult
    meta : dict
        ``instrument``, ``instrument_version``, ``qimscale_version``, ``source`` (the citation).
    comparison : str
        What the scores are compared with, in words.
    suggestions : list of dict
        As for :func:`~.profile_html.render_profile`.
    domains : list of dict
        ``{"id", "label", "score_id"}`` in display order.
    lo, hi : float
        The response range (the chart's axis).
    generated : str, optional
        The time stamp shown (default: now, UTC).

    Returns
    -------
    bytes
        A PDF of exactly one page; the respondent id is nowhere in it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = page_texts(profile, domains, generated)
    scale_rows = [r for d in t["groups"] for r in d["scales"]]
    intro = (f"This profile is for your own development. It compares your answers with {comparison}; a percentile "
             "says what share of that group scored lower than you (ties count half). Every score has a margin of "
             "error: the grey band is the 95% range (score ± 1.96 standard errors of measurement). Sub-scales below "
             f"the {_pct(profile.low_percentile)}th percentile are marked low and come with suggestions drawn from "
             "the study the instrument is based on.")
    methods = ("Scores are the means of the sub-scale's items (reverse-keyed items recoded) as written by "
               f"'qimscale score'. SEM = SD × √(1 − reliability), with SD {t['sd_text']} and reliability as shown "
               f"beside each score. {t['percentile_text']} Suggestions restate the implications for practice of "
               f"{meta.get('source', '')}; the paper is qualitative and does not test training effects.")
    with plt.rc_context({"font.family": "DejaVu Serif", "pdf.compression": 6}):
        for size in (7.5, 7.0, 6.5, 6.0, 5.5):
            fig = plt.figure(figsize=(PAGE_W, PAGE_H))
            page = _Page(fig, size)
            page.text("Competency profile", size=14, weight="bold", gap=0.3)
            page.text(f"{meta['instrument']} (version {meta['instrument_version']}) · compared with {comparison} · "
                      f"qimscale {meta['qimscale_version']} · generated {t['generated']}", colour="#444444")
            page.text(intro)
            page.text("Your scores", size=size + 2.5, weight="bold", gap=0.2)
            page.y += _chart(fig, page.y, scale_rows, lo=lo, hi=hi, reference=t["reference_mean"])
            page.text(f"Figure: sub-scale scores (dots) with 95% SEM bands (grey) and the {t['reference_mean']} "
                      f"(tick); red dots are below the {_pct(profile.low_percentile)}th percentile.", style="italic")
            _table(page, t["groups"], t["reference_mean"], size)
            for w in profile.warnings:
                page.text(f"Note: {w}", colour="#8a4b00")
            page.text("Development suggestions", size=size + 2.5, weight="bold", gap=0.2)
            room = PAGE_H - MARGIN - page.height(methods, gap=0) - 0.15
            left = _suggestions(page, suggestions, profile, room, final=size == 5.5)
            if left is None:
                break
            plt.close(fig)
        page.y = PAGE_H - MARGIN - page.height(methods, gap=0)
        page.text(methods, colour="#333333", gap=0)
        buf = io.BytesIO()
        fig.savefig(buf, format="pdf", metadata={
            "Title": f"Competency profile: {meta['instrument']}", "Author": None, "Subject": None,
            "Keywords": None, "Creator": f"qimscale {meta['qimscale_version']}", "CreationDate": None})
        plt.close(fig)
    return buf.getvalue()


def _suggestions(page: _Page, suggestions: list, profile, room: float, *, final: bool):
    """Write the suggestions while they fit above ``room`` (inches from the top). Returns ``None`` when
    all were written (or when ``final``, after a line counting those left out), else how many are left."""
    if not suggestions:
        page.text(f"No sub-scale is below the {_pct(profile.low_percentile)}th percentile, so no sub-scale is singled "
                  "out for development.")
        return None
    for k, g in enumerate(suggestions):
        head, body, src = _suggestion_texts(g)
        need = page.height(head + " " + body, x=0.15, gap=0) + page.height(src, size=page.size - 1, x=0.15)
        rest = len(suggestions) - k
        tail = page.height("x") if rest > 1 else 0.0
        if page.y + need + tail > room:
            if not final:
                return rest
            page.text(f"{rest} more suggestion(s) do not fit on this page; the HTML profile (--format html) lists "
                      "them all.", style="italic")
            return None
        page.text(f"• {head} {body}", x=0.05, gap=0)
        page.text(src, size=page.size - 1, x=0.15, colour="#444444")
    return None
