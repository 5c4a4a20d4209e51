"""Figures of a validation study (rendering only: every number comes from a step's result).

Each function returns ``{"png": bytes, "svg": str, "caption": str}`` so the HTML report can
embed the picture and ``validate`` can write it to ``figures/``. matplotlib is imported
inside the functions with the Agg backend (no display needed).
"""

from __future__ import annotations

import io

import numpy as np

# A colour-blind-safe diverging palette (ColorBrewer RdBu, 5 classes) and a neutral grey for N/A.
LIKERT_COLOURS = ["#ca0020", "#f4a582", "#d9d9d9", "#92c5de", "#0571b0"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def render_figure(fig, caption: str) -> dict:
    """The figure as PNG bytes and SVG text, laid out once.

    The layout (the layout engine, then the tight bounding box) is computed by one draw and
    reused for both formats, instead of the two extra draws ``bbox_inches="tight"`` makes per
    format; the SVG keeps its text as text (``svg.fonttype = "none"``: smaller, searchable and
    much faster to write than a path per glyph).
    """
    import matplotlib

    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    plt = _plt()
    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        fig.draw_without_rendering()      # run the layout engine (constrained layout) once
    fig.set_layout_engine(None)           # and keep its positions: no layout pass per format
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    out = {"caption": caption}
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "qimscale"}):
        for fmt in ("png", "svg"):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=110, bbox_inches=bbox,
                        metadata={"Date": None} if fmt == "svg" else None)
            out[fmt] = buf.getvalue() if fmt == "png" else buf.getvalue().decode("utf-8")
    plt.close(fig)
    return out


def likert_bars(items, inst, scales) -> dict:
    """Diverging stacked bars of the response distribution of every item (reverse-keyed items as
    scored), centred on the neutral category."""
    plt = _plt()
    cols = list(items.columns)
    lo, hi = inst.response_range(cols[0])
    codes = list(range(int(lo), int(hi) + 1))
    props = np.array([[float((items[c] == k).sum()) for k in codes] for c in cols])
    props = props / np.maximum(props.sum(axis=1, keepdims=True), 1)
    mid = len(codes) // 2
    left = props[:, :mid].sum(axis=1) + (props[:, mid] / 2 if len(codes) % 2 else 0)
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(cols) + 1.2))
    y = np.arange(len(cols))[::-1]
    start = -left
    palette = LIKERT_COLOURS if len(codes) == 5 else plt.cm.RdBu(np.linspace(0.1, 0.9, len(codes)))
    labels = {o.code: o.label_for(inst.default_language) for o in inst.response_scale(cols[0]).all_options()}
    for j, k in enumerate(codes):
        ax.barh(y, props[:, j], left=start, color=palette[j], edgecolor="white", linewidth=0.3,
                label=labels.get(k, str(k)))
        start = start + props[:, j]
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(cols, fontsize=7)
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    ax.legend(ncol=len(codes), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.04 * 30 / max(len(cols), 1)),
              frameon=False)
    ax.set_title("Response distributions (reverse-keyed items as scored)", fontsize=9)
    fig.tight_layout()
    return render_figure(fig, "Likert response distributions per item, centred on the middle category")


def loadings_heatmap(table, items) -> dict:
    """EFA pattern loadings as a heatmap (items × factors, values printed)."""
    plt = _plt()
    L = table[[c for c in table.columns if c.startswith("F")]].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(0.45 * L.shape[1] + 2.5, 0.2 * L.shape[0] + 1.2))
    im = ax.imshow(L, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(items, fontsize=6)
    ax.set_xticks(range(L.shape[1]))
    ax.set_xticklabels([f"F{j + 1}" for j in range(L.shape[1])], fontsize=7)
    for i in range(L.shape[0]):
        for j in range(L.shape[1]):
            if abs(L[i, j]) >= 0.30:
                ax.text(j, i, f"{L[i, j]:.2f}".replace("0.", "."), ha="center", va="center", fontsize=5,
                        color="white" if abs(L[i, j]) > 0.6 else "black")
    fig.colorbar(im, ax=ax, shrink=0.5)
    ax.set_title("EFA pattern loadings (|λ| ≥ .30 printed)", fontsize=9)
    fig.tight_layout()
    return render_figure(fig, "EFA pattern loadings (oblimin)")


def path_diagram(loadings, phi, domains) -> dict:
    """CFA path diagram: factors (ellipses) grouped by domain, each with its items (boxes) and
    standardized loadings; the factor correlation range of each domain is printed."""
    plt = _plt()
    from matplotlib.patches import Ellipse, FancyBboxPatch

    factors = list(dict.fromkeys(loadings["factor"]))
    per = {f: loadings[loadings["factor"] == f] for f in factors}
    n_items = sum(len(v) for v in per.values())
    fig, ax = plt.subplots(figsize=(10, 0.17 * n_items + 1.5))
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.5, n_items + 0.5)
    ax.axis("off")
    y = n_items
    for f in factors:
        rows = per[f]
        ys = [y - k - 0.5 for k in range(len(rows))]
        fy = float(np.mean(ys))
        ax.add_patch(Ellipse((2.0, fy), 2.6, 0.9, facecolor="#e8eef7", edgecolor="#30507a"))
        ax.text(2.0, fy, f, ha="center", va="center", fontsize=7)
        for (_, r), yy in zip(rows.iterrows(), ys):
            ax.add_patch(FancyBboxPatch((6.8, yy - 0.3), 2.4, 0.6, boxstyle="square,pad=0", facecolor="white",
                                        edgecolor="#555555"))
            ax.text(8.0, yy, str(r["item"]), ha="center", va="center", fontsize=6)
            ax.annotate("", xy=(6.8, yy), xytext=(3.3, fy), arrowprops={"arrowstyle": "->", "lw": 0.5,
                                                                        "color": "#30507a"})
            std = r.get("std_all")
            if std is not None and np.isfinite(std):
                ax.text(6.2, yy, f"{std:.2f}".replace("0.", "."), fontsize=5, ha="right", va="center")
        y -= len(rows)
    lines = []
    for d, fs in domains.items():
        fs = [f for f in fs if f in phi.index]
        if len(fs) > 1:
            sub = phi.loc[fs, fs].to_numpy()
            vals = sub[np.triu_indices(len(fs), 1)]
            lines.append(f"{d}: r = {vals.min():.2f}–{vals.max():.2f}")
    ax.set_title("CFA: standardized loadings; factor correlations within domains " + "; ".join(lines), fontsize=8)
    return render_figure(fig, "Path diagram of the confirmatory factor model")


def invariance_chart(levels, group) -> dict:
    """Δ-fit per invariance level against the cut-offs (ΔCFI −.010, ΔRMSEA .015)."""
    plt = _plt()
    lv = levels[levels["level"] != "configural"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
    for ax, key, cut, lab in [(axes[0], "delta_cfi", -0.010, "ΔCFI (fails below −.010)"),
                              (axes[1], "delta_rmsea", 0.015, "ΔRMSEA (fails at .015 or more)")]:
        vals = lv[key].astype(float).to_numpy()
        ax.bar(range(len(lv)), vals, color=["#0571b0" if (v >= cut if key == "delta_cfi" else v < cut)
                                            else "#ca0020" for v in vals])
        ax.axhline(cut, color="black", linestyle="--", linewidth=0.8)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_xticks(range(len(lv)))
        ax.set_xticklabels(lv["level"], fontsize=7)
        ax.set_title(lab, fontsize=8)
    fig.suptitle(f"Measurement invariance across {group}", fontsize=9)
    fig.tight_layout()
    return render_figure(fig, f"Change in fit at each invariance level across {group}")


def power_curve(result, path=None):
    """Power against N with ±1.96 MC SE bars, the analytic curve (if any) and the goal line.

    With ``path`` the figure is written there (.png or .svg, atomically); returns the rendered dict.
    """
    plt = _plt()
    rows = result.rows
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.errorbar(rows["n"], rows["power"], yerr=1.96 * rows["mc_se"].fillna(0), fmt="o-", color="#0571b0",
                capsize=3, label="simulation (±1.96 MC SE)")
    if result.analytic is not None:
        ax.plot(result.analytic["n"], result.analytic["power"], "--", color="#ca0020", label="closed form")
    ax.axhline(result.power_goal, color="grey", linewidth=0.8, linestyle=":")
    if result.n_required is not None:
        ax.axvline(result.n_required, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("N per group" if result.settings.get("per_group") else "N")
    ax.set_ylabel("power")
    ax.set_title(f"Power: {result.target}", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    out = render_figure(fig, f"Power curve for {result.target}")
    if path is not None:
        from pathlib import Path

        from qimscale.errors import QimscaleError
        from qimscale.io.writers import AtomicOutputs

        p = Path(path)
        fmt = p.suffix.lower().lstrip(".")
        if fmt not in ("png", "svg"):
            raise QimscaleError(f"{p}: the power curve is written as .png or .svg")
        with AtomicOutputs() as outputs:
            tmp, _ = outputs._claim(p)
            if fmt == "png":
                tmp.write_bytes(out["png"])
            else:
                tmp.write_text(out["svg"], encoding="utf-8")
    return out


def coefficient_plot(coefficients, outcome) -> dict:
    """Regression coefficients with their confidence intervals (intercept left out)."""
    plt = _plt()
    t = coefficients[coefficients["term"] != "Intercept"]
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(t) + 1.2))
    y = np.arange(len(t))[::-1]
    ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_lower"], t["ci_upper"] - t["estimate"]], fmt="o",
                color="#0571b0", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(t["term"], fontsize=8)
    ax.set_xlabel(f"effect on {outcome} (95% CI)")
    ax.set_title(f"Predictors of {outcome}", fontsize=9)
    fig.tight_layout()
    return render_figure(fig, f"Coefficients of the model for {outcome} with 95% confidence intervals")
