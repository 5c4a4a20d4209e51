"""``qimscale reliability``, ``qimscale omega`` and ``qimscale corr``.

Thin click commands: parse the options, resolve the items, make one library
call (:mod:`qimscale.analysis.reliability`, :mod:`qimscale.analysis.omega`,
:mod:`qimscale.analysis.correlation`) and render its result.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json, item_options, resolve_scales, split_list

_FORMATS = ["csv", "tsv", "xlsx", "sav", "dta", "parquet"]


def _load(data, fmt, items, scales, min_, max_, instrument):
    from qimscale.io import read_data

    df = read_data(data, format=fmt)
    specs = resolve_scales(df.columns, items=items, scales=scales, min_=min_, max_=max_,
                           instrument=instrument, source=str(data))
    return df, specs


def _range(spec, reverse):
    """The response range (checked against the data, used to reverse-key), if known.

    Reverse keying without a known range is an error, as the CLI contract requires.
    """
    if spec.min is not None and spec.max is not None:
        return (spec.min, spec.max)
    if reverse:
        from qimscale.errors import DataError

        raise DataError(f"scale '{spec.name}': reverse-keyed item(s) {', '.join(reverse)} need the response "
                        "range; pass --min and --max (or use --instrument)")
    return None


def _merge(specs, extra_reverse=()):
    """All items of the selected scales as one set (for ω and correlations)."""
    items, reverse = [], []
    for s in specs:
        items += [i for i in s.items if i not in items]
        reverse += [i for i in s.reverse if i not in reverse]
    reverse += [i for i in (extra_reverse or []) if i not in reverse]
    lo = next((s.min for s in specs if s.min is not None), None)
    hi = next((s.max for s in specs if s.max is not None), None)
    from qimscale.cli._common import ScaleSpec

    return ScaleSpec(specs[0].name if len(specs) == 1 else "items", items, reverse, lo, hi)


def _warn(messages):
    for m in messages:
        click.echo(f"Warning: {m}", err=True)


def _common_options(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")(func)
    func = click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Override format detection.")(func)
    func = click.option("--missing", type=click.Choice(["pairwise", "listwise"]), default="pairwise",
                        show_default=True, help="Pairwise-complete covariances (psych's default) or "
                                                "complete rows only.")(func)
    return func


@click.command("reliability")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--ci", type=click.Choice(["feldt", "bootstrap", "bca", "percentile"]), default="feldt",
              show_default=True, help="Interval for alpha: Feldt, or bootstrap (BCa; 'percentile' for the "
                                      "plain percentile interval).")
@click.option("--n-boot", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Bootstrap replicates.")
@click.option("--seed", type=int, default=None, help="Seed for the bootstrap (reproducible intervals).")
@click.option("--conf-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True)
@click.option("--split-half", "split", is_flag=True, help="Also report split-half coefficients and λ4.")
@click.option("--icc", "icc_cols", metavar="t1,t2,...",
              help="Test-retest / inter-rater ICCs instead of alpha: the columns holding each occasion "
                   "(wide data, one row per subject).")
@click.option("--icc-long", metavar="SUBJECT,OCCASION,VALUE",
              help="Test-retest ICCs from long data: the subject, occasion (or rater) and score columns.")
def reliability(data, items, scales, min_, max_, instrument, as_json, fmt, missing, ci, n_boot, seed,
                conf_level, split, icc_cols, icc_long):
    """Cronbach's alpha (with psych's item analysis) and ω total for each scale in DATA.

    Numbers match psych::alpha(x, keys, check.keys=FALSE) and
    psych::omega(x, nfactors=1)$omega.tot. With --icc or --icc-long, prints
    the six Shrout-Fleiss ICCs with F tests and confidence intervals instead,
    matching psych::ICC(x, lmer=FALSE); --json then prints
    {"n_subjects", "n_raters", "icc": [{"type", "icc", "f", "df1", "df2", "p", "lower", "upper"}]}.
    """
    if icc_cols or icc_long:
        _icc(data, fmt, icc_cols, icc_long, conf_level, as_json)
        return
    from qimscale.analysis.reliability import scale_reliability

    df, specs = _load(data, fmt, items, scales, min_, max_, instrument)
    ranges = {s.name: _range(s, s.reverse) for s in specs}
    result = scale_reliability(
        df, {s.name: s.items for s in specs}, reverse={s.name: s.reverse for s in specs},
        ranges={k: v for k, v in ranges.items() if v is not None}, missing=missing,
        ci="bca" if ci == "bootstrap" else ci, n_boot=n_boot, seed=seed, conf_level=conf_level,
        split_half=split,
    )
    for sc in result["scales"]:
        _warn(sc["warnings"])
    if as_json:
        emit_json(result)
        return
    for sc in result["scales"]:
        lo, hi = sc["alpha_ci"]
        om = "-" if sc["omega_total"] is None else f"{sc['omega_total']:.3f}"
        click.echo(f"{sc['scale']}: n={sc['n']} k={sc['k']} alpha={sc['alpha']:.3f} "
                   f"[{lo:.3f}, {hi:.3f}] ({sc['ci_method']}) std_alpha={sc['std_alpha']:.3f} "
                   f"G6={sc['g6']:.3f} average_r={sc['average_r']:.3f} omega_total={om}")
        if "split_half" in sc:
            sh = sc["split_half"]
            click.echo(f"  split-half: lambda4={sh['lambda4']:.3f} mean={sh['mean_split']:.3f} "
                       f"odd-even Spearman-Brown={sh['odd_even_sb']:.3f}")
        click.echo(f"  {'item':20s} {'r_drop':>8s} {'alpha_if_deleted':>17s}")
        for it in sc["items"]:
            click.echo(f"  {it['item']:20s} {it['r_drop']:8.3f} {it['alpha_if_deleted']:17.3f}")


def _icc(data, fmt, icc_cols, icc_long, conf_level, as_json):
    from qimscale.analysis.icc import icc
    from qimscale.io import read_data

    if icc_cols and icc_long:
        raise click.UsageError("give either --icc (wide data) or --icc-long (long data), not both")
    df = read_data(data, format=fmt)
    if icc_long:
        parts = split_list(icc_long) or []
        if len(parts) != 3:
            raise click.BadParameter("expected SUBJECT,OCCASION,VALUE", param_hint="--icc-long")
        res = icc(df, subject=parts[0], rater=parts[1], value=parts[2], conf_level=conf_level)
    else:
        cols = split_list(icc_cols) or []
        absent = [c for c in cols if c not in df.columns]
        if absent:
            from qimscale.errors import DataError

            raise DataError(f"{data}: column(s) {', '.join(map(repr, absent))} not found")
        res = icc(df, cols, conf_level=conf_level)
    _warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(f"n_subjects={res.n_subjects} n_occasions={res.n_raters}")
    click.echo(res.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


@click.command("omega")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--reverse", metavar="a,b", help="Comma-separated items to reverse-key (needs --min/--max "
                                               "or an instrument).")
@click.option("--n-factors", type=click.IntRange(min=1), default=3, show_default=True,
              help="Number of group factors.")
@click.option("--poly", is_flag=True, help="Ordinal ω on the polychoric correlation matrix.")
def omega(data, items, scales, min_, max_, instrument, as_json, fmt, missing, reverse, n_factors, poly):
    """ω hierarchical and ω total (Schmid–Leiman) of the selected items in DATA.

    Numbers match psych::omega(x, nfactors, fm="minres", rotate="oblimin")
    (poly=TRUE with --poly). All selected scales are analysed together.
    """
    from qimscale.analysis.omega import omega as omega_fn

    df, specs = _load(data, fmt, items, scales, min_, max_, instrument)
    spec = _merge(specs, split_list(reverse))
    res = omega_fn(df, spec.items, keys=spec.reverse, key_range=_range(spec, spec.reverse),
                   n_factors=n_factors, poly=poly, missing=missing)
    _warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())


@click.command("corr")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--method", type=click.Choice(["pearson", "spearman", "polychoric"]), default="pearson",
              show_default=True)
def corr(data, items, scales, min_, max_, instrument, as_json, fmt, missing, method):
    """Correlation matrix of the selected items in DATA (pairwise-complete rows by default).

    Pearson and Spearman match R's cor(x, use="pairwise"); polychoric
    matches psych::polychoric(x) and also prints the thresholds.
    """
    from qimscale.analysis.correlation import correlation

    df, specs = _load(data, fmt, items, scales, min_, max_, instrument)
    spec = _merge(specs)
    res = correlation(df, spec.items, method=method, keys=spec.reverse,
                      key_range=_range(spec, spec.reverse), missing=missing)
    _warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.to_frame().to_string(float_format=lambda v: f"{v:.3f}"))
