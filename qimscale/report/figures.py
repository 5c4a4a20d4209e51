"""Figures of analysis results (rendering only: every number comes from the result).

matplotlib is imported inside the functions, with the non-interactive Agg
backend, so importing this module (or running ``qimscale --help``) stays
cheap and no display is needed.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path

from qimscale.errors import QimscaleError

__all__ = ["scree_plot", "FIGURE_FORMATS"]

#: File suffixes the figure writers accept, and the matplotlib format of each.
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

_SERIES = ("pc_values", "fa_values", "pc_sim_quantile", "fa_sim_quantile", "pc_sim", "fa_sim",
           "pc_resampled_quantile", "fa_resampled_quantile")


def _parallel_fields(result) -> dict:
    """The parallel-analysis part of an nfactors result as a plain dict.

    Accepts :class:`~qimscale.analysis.nfactors.NFactorsResult`,
    :class:`~qimscale.analysis.nfactors.ParallelResult` or the ``to_dict()``
    of either (as printed by ``qimscale nfactors --json``).
    """
    if hasattr(result, "parallel") and hasattr(result.parallel, "to_dict"):
        result = result.parallel
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    if not isinstance(result, dict):
        raise QimscaleError(f"scree_plot needs an nfactors / parallel-analysis result; got {type(result).__name__}")
    if "parallel_detail" in result:
        result = result["parallel_detail"]
    missing = [k for k in ("pc_values", "n_factors") if k not in result]
    if missing:
        raise QimscaleError(f"scree_plot: the result lacks {', '.join(missing)}; pass the object (or its "
                            "to_dict()) returned by number_of_factors or parallel_analysis")
    return result


def _finite(values) -> list | None:
    """Values as floats (None -> NaN), or None when nothing is finite."""
    if values is None:
        return None
    out = [math.nan if v is None else float(v) for v in values]
    return out if any(math.isfinite(v) for v in out) else None


def scree_plot(result, path=None, *, title: str | None = None):
    """Draw a scree plot of observed eigenvalues against parallel-analysis references.

    Observed eigenvalues (components: of R; factors: of the reduced matrix of
    a one-factor fit, whichever were computed) are drawn as solid lines, the
    ``quant`` quantiles of the eigenvalues of simulated (dashed) and
    resampled (dotted) data as reference lines, with the suggested numbers of
    factors and components marked and the eigenvalue-1 line for orientation,
    as ``psych::fa.parallel`` draws it.

    Parameters
    ----------
    result : NFactorsResult, ParallelResult or dict
        What :func:`qimscale.analysis.nfactors.number_of_factors` or
        :func:`~qimscale.analysis.nfactors.parallel_analysis` returned, or its
        ``to_dict()``. Nothing is recomputed.
    path : str or path-like, optional
        Write the figure here; the format follows the suffix (``.png``,
        ``.svg`` or ``.pdf``). The file is written to a temporary name in
        the same folder and then renamed, so a failed write never leaves a
        truncated file.
    title : str, optional
        Figure title (default: "Scree plot with parallel analysis").

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    QimscaleError
        ``result`` is not an nfactors result, or ``path`` has an unknown suffix.
    """
    pa = _parallel_fields(result)
    fmt = None
    if path is not None:
        fmt = FIGURE_FORMATS.get(Path(path).suffix.lower())
        if fmt is None:
            raise QimscaleError(f"cannot write a figure to '{path}': the name must end in "
                                f"{', '.join(FIGURE_FORMATS)}")

    from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg, without touching pyplot's state
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    s = {k: _finite(pa.get(k)) for k in _SERIES}
    for kind in ("pc", "fa"):  # only the eigenvalues the analysis was asked to compare
        if pa.get("fa") in ("pc", "fa") and pa["fa"] != kind:
            for k in _SERIES:
                if k.startswith(kind):
                    s[k] = None
    if pa.get("fa") == "fa" and not s["fa_resampled_quantile"]:
        # psych: factors only, simulated only -> the mean simulated eigenvalue is the threshold
        s["fa_sim_quantile"], fa_sim_label = s["fa_sim"], "simulated data, mean (FA)"
    else:
        fa_sim_label = None
    p = len(pa["pc_values"])
    x = list(range(1, p + 1))
    quant = pa.get("quant")
    qlabel = f"{100 * quant:g}th percentile" if isinstance(quant, (int, float)) else "reference"

    fig = Figure(figsize=(7.0, 5.2), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    pc_col, fa_col = "#1f5fa8", "#c2571a"
    if s["pc_values"]:
        ax.plot(x, s["pc_values"], "-o", color=pc_col, lw=1.8, ms=5, label="observed, components (PC)")
    if s["fa_values"]:
        ax.plot(x, s["fa_values"], "-^", color=fa_col, lw=1.8, ms=5, label="observed, factors (FA)")
    for kind, col in (("pc", pc_col), ("fa", fa_col)):
        if not s[f"{kind}_values"]:
            continue
        if s[f"{kind}_sim_quantile"]:
            ax.plot(x, s[f"{kind}_sim_quantile"], "--", color=col, lw=1.2, alpha=.8,
                    label=(kind == "fa" and fa_sim_label) or f"simulated data, {qlabel} ({kind.upper()})")
        if s[f"{kind}_resampled_quantile"]:
            ax.plot(x, s[f"{kind}_resampled_quantile"], ":", color=col, lw=1.4, alpha=.8,
                    label=f"resampled data, {qlabel} ({kind.upper()})")
    ax.axhline(1.0, color="0.6", lw=.8, zorder=0)

    marks = []
    for key, kind, col, word in (("n_factors", "fa", fa_col, "factor"), ("n_components", "pc", pc_col,
                                                                        "component")):
        k = pa.get(key)
        vals = s[f"{kind}_values"]
        if k is None or not vals:
            continue
        marks.append(f"{k} {word}{'' if k == 1 else 's'}")
        if 1 <= k <= p:
            ax.plot([k], [vals[k - 1]], "o", ms=13, mfc="none", mec=col, mew=1.6, zorder=5)
            ax.annotate(f"{k} {word}{'' if k == 1 else 's'}", (k, vals[k - 1]), xytext=(12, 8),
                        textcoords="offset points", color=col, fontsize=9, fontweight="bold",
                        bbox={"fc": "white", "ec": "none", "alpha": .85, "pad": 1.5}, zorder=6)

    ax.set_xlabel("Factor / component number")
    ax.set_ylabel("Eigenvalue")
    if p <= 20:
        ax.set_xticks(x)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0.5, p + 0.5)
    ax.grid(axis="y", color="0.92", lw=.8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title or "Scree plot with parallel analysis", x=0.02, ha="left", fontsize=12, fontweight="bold")
    details = [f"suggested: {', '.join(marks)}" if marks else None,
               f"n = {pa['n_obs']}" if pa.get("n_obs") is not None else None,
               f"{pa['n_iter']} iterations" if pa.get("n_iter") is not None else None,
               f"{pa['cor']} correlations" if pa.get("cor") else None]
    ax.set_title("; ".join(d for d in details if d), loc="left", fontsize=9, color="0.35")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)

    if path is not None:
        _save_atomic(fig, Path(path), fmt)
    return fig


def _save_atomic(fig, path: Path, fmt: str) -> None:
    """Write ``fig`` to ``path`` via a temporary file in the same folder and :func:`os.replace`."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise QimscaleError(f"cannot write the figure '{path}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt)
        mask = os.umask(0)  # mkstemp makes the file private; give it the usual permissions
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # full disk, a folder in the way, ...
            raise QimscaleError(f"cannot write the figure '{path}': {exc.strerror or exc}") from None
        raise
