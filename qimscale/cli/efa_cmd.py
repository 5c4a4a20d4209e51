"""``qimscale factorability``, ``qimscale nfactors`` and ``qimscale efa``.

Thin click commands: parse the options, select the items, make one library
call (:mod:`qimscale.analysis.factorability`, :mod:`qimscale.analysis.nfactors`,
:mod:`qimscale.analysis.efa`) and render its result. When no items are given
the items of every scale of the bundled instrument present in the data are
analysed together.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json, item_options, resolve_scales

_FORMATS = ["csv", "tsv", "xlsx", "sav", "dta", "parquet"]
_ROTATIONS = ["none", "varimax", "quartimax", "promax", "oblimin", "quartimin", "geomin", "bifactor",
              "biquartimin"]


def _items_frame(data, fmt, items, scales, min_, max_, instrument):
    """Read DATA and return the selected items (reverse-keyed ones recoded), all scales flattened."""
    import pandas as pd

    from qimscale.io import read_data

    df = read_data(data, format=fmt)
    specs = resolve_scales(df.columns, items=items, scales=scales, min_=min_, max_=max_,
                           instrument=instrument, source=str(data))
    parts, seen = [], set()
    for spec in specs:
        sub = spec.recoded(df)
        keep = [c for c in sub.columns if c not in seen]
        seen.update(keep)
        parts.append(sub[keep])
    return pd.concat(parts, axis=1)


def _common(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")(func)
    func = click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Override format detection.")(func)
    return func


def _cor_options(func):
    func = click.option("--cor", type=click.Choice(["pearson", "polychoric"]), default="pearson",
                        show_default=True, help="Correlations to analyse (pairwise deletion).")(func)
    func = click.option("--n-iter", type=click.IntRange(min=1), default=20, show_default=True,
                        help="Parallel-analysis replications (psych's n.iter).")(func)
    func = click.option("--seed", type=int, default=None, help="Seed for reproducible parallel analysis.")(func)
    return func


def _show_warnings(caught):
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)


@click.command("factorability")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common
def factorability(data, items, scales, min_, max_, instrument, as_json, fmt):
    """KMO (overall and per item) and Bartlett's test of sphericity for the items in DATA.

    Numbers match psych::KMO(r) and psych::cortest.bartlett(r, n) with
    pairwise correlations.
    """
    from qimscale.analysis.factorability import factorability as run

    res = run(_items_frame(data, fmt, items, scales, min_, max_, instrument))
    out = res.to_dict()
    if as_json:
        emit_json(out)
        return
    click.echo(f"KMO = {out['kmo']:.3f}")
    for item, v in out["kmo_items"].items():
        click.echo(f"  {item:20s} {v:.3f}")
    click.echo(f"Bartlett: chisq = {out['bartlett_chisq']:.2f}, df = {out['bartlett_df']:g}, "
               f"p = {out['bartlett_p']:.3g} (n = {out['n_obs']})")


@click.command("nfactors")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common
@_cor_options
@click.option("--quant", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Quantile of the simulated eigenvalues to beat.")
@click.option("--method", type=click.Choice(["minres", "ml", "pa"]), default="minres", show_default=True,
              help="Extraction for the factor eigenvalues.")
def nfactors(data, items, scales, min_, max_, instrument, as_json, fmt, cor, n_iter, seed, quant, method):
    """How many factors? Parallel analysis, Velicer's MAP and the scree eigenvalues of DATA.

    Numbers follow psych::fa.parallel(x, n.iter, cor) and psych::vss(x)$map.
    """
    from qimscale.analysis.nfactors import number_of_factors

    df = _items_frame(data, fmt, items, scales, min_, max_, instrument)
    res = number_of_factors(df, n_iter=n_iter, cor=cor, method=method, quant=quant, random_state=seed)
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
        raise click.BadParameter(f"expected a positive integer or 'parallel'; got {value!r}",
                                 param_hint="--n-factors") from None
    if k < 1:
        raise click.BadParameter(f"expected a positive integer or 'parallel'; got {value!r}",
                                 param_hint="--n-factors")
    return k


@click.command("efa")
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
def efa(data, items, scales, min_, max_, instrument, as_json, fmt, cor, n_iter, seed, n_factors, method,
        rotation, n_starts):
    """Exploratory factor analysis of the items in DATA.

    Numbers match psych::fa(x, nfactors, fm=method, rotate=rotation, cor=...)
    with pairwise correlations.
    """
    import warnings

    from qimscale.analysis.efa import EFA

    df = _items_frame(data, fmt, items, scales, min_, max_, instrument)
    est = EFA(_n_factors(n_factors), method=method, rotation=rotation, cor=cor, n_iter=n_iter,
              random_state=seed, n_starts=n_starts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(df)
    _show_warnings(caught)
    res = est.results_
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())
