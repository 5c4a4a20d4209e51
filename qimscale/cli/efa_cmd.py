"""``qimscale factorability``, ``qimscale nfactors`` and ``qimscale efa``.

Thin click commands: parse the options, select the items, make one library
call (:mod:`qimscale.analysis.factorability`, :mod:`qimscale.analysis.nfactors`,
:mod:`qimscale.analysis.efa`) and render its result. When no items are given
the items of every scale of the bundled instrument present in the data are
analysed together.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json, item_options
from qimscale.cli._common import format_option, json_option, load_items
from qimscale.cli._common import progress_bar, progress_enabled, progress_option

_ROTATIONS = ["none", "varimax", "quartimax", "promax", "oblimin", "quartimin", "geomin", "bifactor",
              "biquartimin"]


def _items_frame(data, fmt, items, scales, min_, max_, instrument):
    """Read DATA and return ``(items, report)``: the selected items as one frame, all scales
    flattened, reverse-keyed items recoded as ``min + max - x``, and the command's Reporter."""
    import pandas as pd

    df, specs, report = load_items(data, fmt, items, scales, min_, max_, instrument)
    parts, seen = [], set()
    for spec in specs:
        sub = spec.recoded(df)
        keep = [c for c in sub.columns if c not in seen]
        seen.update(keep)
        parts.append(sub[keep])
    return pd.concat(parts, axis=1), report


def _common(func):
    return json_option(format_option(func))


_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _cor_options(func):
    func = click.option("--cor", type=click.Choice(["pearson", "polychoric"]), default="pearson",
                        show_default=True, help="Correlations to analyse (pairwise deletion).")(func)
    func = click.option("--n-iter", type=click.IntRange(min=1), default=20, show_default=True,
                        help="Parallel-analysis replications (psych's n.iter).")(func)
    func = click.option("--seed", type=int, default=None,
                        help="Seed for reproducible parallel analysis (default: none, so the simulated "
                             "eigenvalues vary from run to run).")(func)
    return func


@click.command("factorability", short_help="KMO and Bartlett's test of sphericity.")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common
@click.option("--cor", type=click.Choice(["pearson", "polychoric"]), default="pearson", show_default=True,
              help="Correlations to analyse (pairwise deletion); polychoric for ordinal items, as psych::KMO("
                   "polychoric(x)$rho).")
def factorability(data, items, scales, min_, max_, instrument, as_json, fmt, cor):
    """KMO (overall and per item) and Bartlett's test of sphericity for the items in DATA.

    All selected items are analysed together; without --items or --scale they
    are the items of every complete scale of the bundled QIM instrument,
    reverse-keyed items recoded. Numbers match psych::KMO(r) and
    psych::cortest.bartlett(r, n) with pairwise correlations.

    \b
    Example:
      qimscale factorability responses.csv --items q1,q2,q3,q4,q5,q6 --json
    """
    from qimscale.analysis.factorability import factorability as run

    df, report = _items_frame(data, fmt, items, scales, min_, max_, instrument)
    with report.call():
        out = run(df, cor=cor).to_dict()
    if as_json:
        emit_json(out)
        return
    click.echo(f"KMO = {out['kmo']:.3f}")
    for item, v in out["kmo_items"].items():
        click.echo(f"  {item:20s} {v:.3f}")
    from qimscale._core.formatting import p_text

    click.echo(f"Bartlett: chisq = {out['bartlett_chisq']:.2f}, df = {out['bartlett_df']:g}, "
               f"{p_text(out['bartlett_p'])} (n = {out['n_obs']})")


@click.command("nfactors", short_help="Parallel analysis, MAP and eigenvalues.")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common
@_cor_options
@click.option("--quant", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Quantile of the simulated eigenvalues to beat.")
@click.option("--method", type=click.Choice(["minres", "ml", "pa"]), default="minres", show_default=True,
              help="Extraction for the factor eigenvalues.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE",
              help="Also write a scree plot (observed vs parallel-analysis eigenvalues) to FILE; "
                   ".png, .svg or .pdf by suffix (default: no plot).")
@progress_option
def nfactors(data, items, scales, min_, max_, instrument, as_json, fmt, cor, n_iter, seed, quant, method, plot,
             no_progress):
    """How many factors? Parallel analysis, Velicer's MAP and the scree eigenvalues of DATA.

    All selected items are analysed together (by default the items of every
    complete scale of the bundled QIM instrument). Numbers follow
    psych::fa.parallel(x, n.iter, cor) and psych::vss(x)$map; give --seed for
    a reproducible parallel analysis.

    \b
    Examples:
      qimscale nfactors responses.csv --items q1,q2,q3,q4,q5,q6 --n-iter 50 --seed 1 --json
      qimscale nfactors responses.csv --n-iter 100 --seed 1 --plot scree.png
    """
    from qimscale.analysis.nfactors import number_of_factors

    if plot is not None and not str(plot).lower().endswith(_FIGURE_SUFFIXES):
        raise click.BadParameter(f"the plot file must end in {', '.join(_FIGURE_SUFFIXES)}; got {plot!r}",
                                 param_hint="--plot")
    if plot is not None:
        import os

        folder = os.path.dirname(os.path.abspath(plot))
        if not os.path.isdir(folder):  # fail before a long parallel analysis, not after it
            raise click.BadParameter(f"folder {folder!r} does not exist", param_hint="--plot")
    df, report = _items_frame(data, fmt, items, scales, min_, max_, instrument)
    with report.call(), progress_bar("parallel analysis", progress_enabled(as_json, no_progress)) as tick:
        res = number_of_factors(df, n_iter=n_iter, cor=cor, method=method, quant=quant, random_state=seed,
                                progress=tick)
    if plot is not None:
        from qimscale.report.figures import scree_plot

        scree_plot(res, plot)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())


def _n_factors(value):
    if value == "parallel":
        return value
    try:
        k = int(value)
    except ValueError:
        k = 0
    if k < 1:
        raise click.BadParameter(f"expected a positive integer or 'parallel'; got {value!r}",
                                 param_hint="--n-factors")
    return k


@click.command("efa", short_help="Exploratory factor analysis (psych::fa).")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common
@_cor_options
@click.option("--n-factors", default="parallel", show_default=True, metavar="K|parallel",
              help="Number of factors, or 'parallel' for the number parallel analysis suggests.")
@click.option("--method", type=click.Choice(["minres", "ml", "pa"]), default="minres", show_default=True,
              help="Extraction (psych's fm).")
@click.option("--rotation", type=click.Choice(_ROTATIONS), default="oblimin", show_default=True,
              help="Rotation (psych's rotate; geomin is geominQ).")
@click.option("--n-starts", type=click.IntRange(min=0), default=0, show_default=True,
              help="Extra random starts for the GPA rotations (the best criterion is kept).")
@progress_option
def efa(data, items, scales, min_, max_, instrument, as_json, fmt, cor, n_iter, seed, n_factors, method,
        rotation, n_starts, no_progress):
    """Exploratory factor analysis of the items in DATA.

    All selected items are analysed together (by default the items of every
    complete scale of the bundled QIM instrument, reverse-keyed items
    recoded). Numbers match psych::fa(x, nfactors, fm=method,
    rotate=rotation, cor=...) with pairwise correlations; --n-factors
    parallel takes the number of factors from parallel analysis (--n-iter,
    --seed).

    \b
    Example:
      qimscale efa responses.csv --items q1,q2,q3,q4,q5,q6 --n-factors 2 --rotation promax --json
    """
    from qimscale.analysis.efa import EFA

    k = _n_factors(n_factors)
    df, report = _items_frame(data, fmt, items, scales, min_, max_, instrument)
    est = EFA(k, method=method, rotation=rotation, cor=cor, n_iter=n_iter, random_state=seed,
              n_starts=n_starts)
    show = k == "parallel" and progress_enabled(as_json, no_progress)
    with report.call(), progress_bar("parallel analysis", show) as tick:
        res = est.fit(df, progress=tick).results_
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())
