"""The figure of an individual competency profile (rendering only: every number comes from the profile).

matplotlib is imported inside the functions with the Agg backend (no display needed).
The layout (labels, axes, legend) is built and drawn once by :class:`ProfileChart`;
each respondent's figure restores that drawing and draws only the dots, bands and
ticks on it (matplotlib's blitting), so ``qimscale profile --all`` costs a fraction
of a full figure per respondent.
"""

from __future__ import annotations

import io
import math

#: colours (ColorBrewer RdBu ends, colour-blind safe) and a neutral grey
LOW_COLOUR = "#ca0020"
OK_COLOUR = "#0571b0"
BAND_COLOUR = "#bdbdbd"
NAN2 = [math.nan, math.nan]
DPI = 110


def _plain(text: str) -> str:
    """Text shown literally by matplotlib (a ``$`` would start mathtext)."""
    return str(text).replace("$", r"\$")


def chart_axes(ax, n: int, *, lo: float, hi: float, reference: str, size: float = 8.0, band: float = 6.0,
               tick: float = 1.0) -> None:
    """Axis limits, ticks, label, grid and legend of a profile chart of ``n`` sub-scales (shared by the
    PNG of the HTML page and the PDF page); ``size`` is the label font size, ``band`` and ``tick`` the
    line widths of the SEM band and the reference-mean tick."""
    ax.set_xlim(lo - 0.1, hi + 0.1)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xticks(list(range(int(math.ceil(lo)), int(math.floor(hi)) + 1)))
    ax.set_xlabel("Score (mean of the items, on the response scale)", fontsize=size)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [ax.plot([], [], color=BAND_COLOUR, linewidth=band, label="95% SEM band")[0],
               ax.plot([], [], color="black", linewidth=tick, label=reference)[0],
               ax.plot([], [], "o", color=OK_COLOUR, label="score")[0],
               ax.plot([], [], "o", color=LOW_COLOUR, label="low score")[0]]
    ax.legend(handles=handles, fontsize=size - 1, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4,
              frameon=False)


class ProfileChart:
    """Horizontal dot-and-band chart of sub-scale scores, laid out once for a list of labels.

    One line per sub-scale (top to bottom in the order given): the score as a dot, its
    95 % SEM band as a grey bar and the reference mean as a small vertical tick.
    Sub-scales flagged low are drawn in red. Scores and bands come from the profile
    rows unchanged; only the drawing is clipped to the response range.

    Parameters
    ----------
    labels : list of str
        Sub-scale labels in display order.
    lo, hi : float
        The response range (axis limits).
    reference : str
        Legend text of the reference mean (e.g. ``"comparison-group mean"``).
    """

    def __init__(self, labels, *, lo: float, hi: float, reference: str):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self._plt = plt
        self.lo, self.hi, n = lo, hi, len(labels)
        height = 0.34 * n + 1.1
        self.fig, ax = plt.subplots(figsize=(7.0, height), dpi=DPI)
        self.ax = ax
        self.fig.subplots_adjust(left=0.30, right=0.98, bottom=0.75 / height, top=1 - 0.4 / height)
        ys = [n - 1 - k for k in range(n)]
        self.bands = [ax.plot(NAN2, [y, y], color=BAND_COLOUR, linewidth=6, solid_capstyle="butt", zorder=1)[0]
                      for y in ys]
        self.ticks = [ax.plot(NAN2, [y - 0.3, y + 0.3], color="black", linewidth=1, zorder=2)[0] for y in ys]
        self.dots = [ax.plot([math.nan], [y], "o", markersize=7, zorder=3)[0] for y in ys]
        ax.set_yticks(ys)
        ax.set_yticklabels([_plain(t) for t in labels], fontsize=8)
        chart_axes(ax, n, lo=lo, hi=hi, reference=reference)
        self.dynamic = self.bands + self.ticks + self.dots
        for a in self.dynamic:
            a.set_animated(True)          # left out of the full draw; drawn per respondent
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)

    def render(self, rows) -> bytes:
        """PNG of the profile ``rows`` (dicts: the ``scale``-level records of a ProfileResult, in label order)."""
        for k, r in enumerate(rows):
            ok = math.isfinite(r["band_lower"]) and math.isfinite(r["band_upper"])
            self.bands[k].set_xdata([max(r["band_lower"], self.lo), min(r["band_upper"], self.hi)] if ok else NAN2)
            self.ticks[k].set_xdata([r["reference_mean"]] * 2 if math.isfinite(r["reference_mean"]) else NAN2)
            self.dots[k].set_xdata([r["score"]])
            self.dots[k].set_color(LOW_COLOUR if r["low"] else OK_COLOUR)
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for a in self.dynamic:
            self.ax.draw_artist(a)
        from PIL import Image

        buf = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buf, format="png", dpi=(DPI, DPI))
        return buf.getvalue()

    def close(self) -> None:
        self._plt.close(self.fig)


def profile_chart(rows, *, lo: float, hi: float, reference: str) -> bytes:
    """PNG bytes of one profile's chart (see :class:`ProfileChart`)."""
    chart = ProfileChart([r["label"] for r in rows], lo=lo, hi=hi, reference=reference)
    try:
        return chart.render(rows)
    finally:
        chart.close()
