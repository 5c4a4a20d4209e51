"""Dot plot of Table 2: the share of clinical and traditional QIMs who mentioned each code.

Rendering only (every number comes from a :class:`~qimscale.analysis.themes.ThemesResult`);
suppressed codes are drawn as the text ``suppressed (n < k)`` without dots.
"""

from __future__ import annotations

from pathlib import Path

from qimscale.errors import QimscaleError
from qimscale.report.figures import FIGURE_FORMATS, _save_atomic

__all__ = ["theme_dot_plot"]


def theme_dot_plot(result, path=None, *, title: str | None = None):
    """Draw one row per code with the proportion of each group that mentioned it.

    Parameters
    ----------
    result : ThemesResult
        What :func:`qimscale.analysis.themes.theme_differences` returned.
    path : str or path-like, optional
        Write the figure here (``.png``, ``.svg`` or ``.pdf``), atomically.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fmt = None
    if path is not None:
        fmt = FIGURE_FORMATS.get(Path(path).suffix.lower())
        if fmt is None:
            raise QimscaleError(f"cannot write the figure '{path}': use a .png, .svg or .pdf file name")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from qimscale.analysis.disclosure import suppressed_text

    t = result.codes
    k = len(t)
    fig = Figure(figsize=(8.5, 0.28 * k + 1.8), layout="constrained")
    ax = fig.subplots()
    ypos = list(range(k))[::-1]
    sup = t.suppressed.to_numpy(dtype=bool)
    for (_, r), y, s in zip(t.iterrows(), ypos, sup):
        if s:
            ax.text(0.5, y, suppressed_text(result.min_cell), ha="center", va="center", fontsize=7, color="0.4")
            continue
        pc, pt = r.clinical_prop, r.traditional_prop
        if pc == pc and pt == pt:
            ax.plot([pc, pt], [y, y], color="0.8", lw=1, zorder=1)
    ok = ~sup
    ys = [y for y, o in zip(ypos, ok) if o]
    ax.scatter(t.clinical_prop[ok], ys, color="#1f77b4", s=18, zorder=2,
               label=f"clinical (n = {int(t.clinical_n.iloc[0])})")
    ax.scatter(t.traditional_prop[ok], ys, color="#d62728", marker="s", s=16, zorder=2,
               label=f"traditional (n = {int(t.traditional_n.iloc[0])})")
    ax.set_yticks(ypos)
    ax.set_yticklabels([str(lab) for lab in t.label], fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("Share of interviewees who mentioned the code")
    ax.grid(axis="x", color="0.92", lw=.8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title or "Akmal et al. (2022), Table 2", x=0.02, ha="left", fontsize=11, fontweight="bold")
    ax.set_title("Counts of interviewees who mentioned a theme (qualitative sample), not scores",
                 loc="left", fontsize=8, color="0.35")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    if path is not None:
        _save_atomic(fig, Path(path), fmt)
    return fig
