"""``qimscale reliability``, ``qimscale omega`` and ``qimscale corr``.

Thin click commands: parse the options, resolve the items, make one library
call (:mod:`qimscale.analysis.reliability`, :mod:`qimscale.analysis.omega`,
:mod:`qimscale.analysis.correlation`) and render its result.

"""

from __future__ import annotations

import click

from qimscale.cli._common import (
    Reporter,
    ScaleSpec,
    _range,
    emit_json,
    format_option,
    item_options,
    json_option,
    load_items,
    progress_bar,
    progress_enabled,
    progress_option,
    read_table,
    source_name,
    split_list,
)

# --------------------------------------------------------------------------- reliability commands

def _merge(specs, extra_reverse=()):
    """All items of the selected scales as one set (for ω and correlations)."""
    items, reverse = [], []
    for s in specs:
        items += [i for i in s.items if i not in items]
        reverse += [i for i in s.reverse if i not in reverse]
    reverse += [i for i in (extra_reverse or []) if i not in reverse]
    lo = next((s.min for s in specs if s.min is not None), None)
    hi = next((s.max for s in specs if s.max is not None), None)
    return ScaleSpec(specs[0].name if len(specs) == 1 else "items", items, reverse, lo, hi)


def _common_options(func):
    func = json_option(func)
    func = format_option(func)
    func = click.option("--missing", type=click.Choice(["pairwise", "listwise"]), default="pairwise",
                        show_default=True, help="Pairwise-complete covariances (psych's default) or "
                                                "complete rows only.")(func)
    return func


@click.command("reliability", short_help="Alpha, item analysis and omega total per scale.")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--ci", type=click.Choice(["feldt", "bootstrap", "bca", "percentile"]), default="feldt",
              show_default=True, help="Interval for alpha: Feldt, or bootstrap (BCa; 'percentile' for the "
                                      "plain percentile interval).")
@click.option("--n-boot", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Bootstrap replicates (with --ci bootstrap/bca/percentile).")
@click.option("--seed", type=int, default=None,
              help="Seed for the bootstrap (default: none, so intervals vary from run to run).")
@click.option("--conf-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals.")
@click.option("--split-half", "split", is_flag=True, default=False, show_default=True,
              help="Also report split-half coefficients and lambda 4.")
@click.option("--icc", "icc_cols", metavar="t1,t2,...", default=None,
              help="Test-retest / inter-rater ICCs instead of alpha: the columns holding each occasion "
                   "(wide data, one row per subject). Default: not used.")
@click.option("--icc-long", metavar="SUBJECT,OCCASION,VALUE", default=None,
              help="Test-retest ICCs from long data: the subject, occasion (or rater) and score columns. "
                   "Default: not used.")
@progress_option
def reliability(data, items, scales, min_, max_, instrument, as_json, fmt, missing, ci, n_boot, seed,
                conf_level, split, icc_cols, icc_long, no_progress):
    """Cronbach's alpha, with psych's item analysis, and omega total for each scale in DATA.

    DATA is a file in any readable format, or '-' for CSV on standard input.
    Without --items or --scale, every scale of the bundled QIM instrument
    whose items are all in DATA is analysed, with the instrument's reverse
    keys. Numbers match psych::alpha(x, keys, check.keys=FALSE) and
    psych::omega(x, nfactors=1)$omega.tot. With --icc or --icc-long the
    command prints the six Shrout-Fleiss ICCs with F tests and confidence
    intervals instead (psych::ICC(x, lmer=FALSE)); --json then prints
    {"n_subjects", "n_raters", "icc": [...]}.

    \b
    Examples:
      qimscale reliability responses.csv --json
      qimscale reliability responses.csv --scale lead=l1,l2,-l3 --min 1 --max 5 --ci bootstrap --seed 1
    """
    if icc_cols or icc_long:
        if items or scales:
            raise click.UsageError("--icc/--icc-long name their own columns; leave out --items/--scale")
        _icc(data, fmt, icc_cols, icc_long, conf_level, as_json)
        return
    from qimscale.analysis.reliability import scale_reliability

    df, specs, report = load_items(data, fmt, items, scales, min_, max_, instrument)
    ranges = {s.name: _range(s, s.reverse) for s in specs}
    with report.call(), progress_bar("bootstrap", ci != "feldt" and progress_enabled(as_json, no_progress)) as tick:
        result = scale_reliability(
            df, {s.name: s.items for s in specs}, reverse={s.name: s.reverse for s in specs},
            ranges={k: v for k, v in ranges.items() if v is not None}, missing=missing,
            ci="bca" if ci == "bootstrap" else ci, n_boot=n_boot, seed=seed, conf_level=conf_level,
            split_half=split, progress=tick,
        )
    for sc in result["scales"]:
        report.warn(sc["warnings"])
    if as_json:
        emit_json(result)
        return
    f3 = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for sc in result["scales"]:
        lo, hi = sc["alpha_ci"]
        click.echo(f"{sc['scale']}: n={sc['n']} k={sc['k']} alpha={f3(sc['alpha'])} "
                   f"[{f3(lo)}, {f3(hi)}] ({sc['ci_method']}) std_alpha={f3(sc['std_alpha'])} "
                   f"G6={f3(sc['g6'])} average_r={f3(sc['average_r'])} omega_total={f3(sc['omega_total'])}")
        if "split_half" in sc:
            sh = sc["split_half"]
            click.echo(f"  split-half: lambda4={f3(sh['lambda4'])} mean={f3(sh['mean_split'])} "
                       f"odd-even Spearman-Brown={f3(sh['odd_even_sb'])}")
        click.echo(f"  {'item':20s} {'r_drop':>8s} {'alpha_if_deleted':>17s}")
        for it in sc["items"]:
            click.echo(f"  {it['item']:20s} {f3(it['r_drop']):>8s} {f3(it['alpha_if_deleted']):>17s}")


def _icc(data, fmt, icc_cols, icc_long, conf_level, as_json):
    """The --icc/--icc-long branch: one call of :func:`qimscale.analysis.icc.icc` (wide or long data)."""
    from qimscale.analysis.icc import icc

    if icc_cols and icc_long:
        raise click.UsageError("give either --icc (wide data) or --icc-long (long data), not both")
    if icc_long:
        parts = split_list(icc_long) or []
        if len(parts) != 3:
            raise click.BadParameter("expected SUBJECT,OCCASION,VALUE", param_hint="--icc-long")
        columns = dict(subject=parts[0], rater=parts[1], value=parts[2])
    else:
        columns = dict(columns=split_list(icc_cols) or [])
    df = read_table(data, fmt)
    report = Reporter(source_name(data))
    with report.call():
        res = icc(df, conf_level=conf_level, **columns)
    report.warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())


@click.command("omega", short_help="Omega hierarchical and total (Schmid-Leiman).")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--reverse", metavar="a,b", default=None,
              help="Comma-separated items to reverse-key (needs --min/--max or an instrument). "
                   "Default: none beyond the instrument's or --scale's reverse keys.")
@click.option("--n-factors", type=click.IntRange(min=1), default=3, show_default=True,
              help="Number of group factors.")
@click.option("--poly", is_flag=True, default=False, show_default=True,
              help="Ordinal omega on the polychoric correlation matrix.")
def omega(data, items, scales, min_, max_, instrument, as_json, fmt, missing, reverse, n_factors, poly):
    """Omega hierarchical and omega total (Schmid-Leiman) of the selected items in DATA.

    All selected scales are analysed together as one item set; without
    --items or --scale that is every complete scale of the bundled QIM
    instrument, with its reverse keys. Numbers match psych::omega(x, nfactors,
    fm="minres", rotate="oblimin") (poly=TRUE with --poly).

    \b
    Example:
      qimscale omega responses.csv --items q1,q2,q3,q4,q5,q6,q7,q8,q9 --n-factors 3 --json
    """
    from qimscale.analysis.omega import omega as omega_fn

    df, specs, report = load_items(data, fmt, items, scales, min_, max_, instrument)
    spec = _merge(specs, split_list(reverse))
    key_range = _range(spec, spec.reverse)
    with report.call():
        res = omega_fn(df, spec.items, keys=spec.reverse, key_range=key_range, n_factors=n_factors,
                       poly=poly, missing=missing)
    report.warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.summary())


@click.command("corr", short_help="Pearson, Spearman or polychoric correlations.")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@_common_options
@click.option("--method", type=click.Choice(["pearson", "spearman", "polychoric"]), default="pearson",
              show_default=True, help="Correlation coefficient.")
def corr(data, items, scales, min_, max_, instrument, as_json, fmt, missing, method):
    """Correlation matrix of the selected items in DATA (pairwise-complete rows by default).

    All selected scales are correlated together; reverse-keyed items are
    recoded first. Pearson and Spearman match R's cor(x, use="pairwise");
    polychoric matches psych::polychoric(x), and its thresholds are printed
    too (the "thresholds" key of --json).

    \b
    Example:
      qimscale corr responses.csv --items q1,q2,q3 --method polychoric --json
    """
    from qimscale.analysis.correlation import correlation

    df, specs, report = load_items(data, fmt, items, scales, min_, max_, instrument)
    spec = _merge(specs)
    key_range = _range(spec, spec.reverse)
    with report.call():
        res = correlation(df, spec.items, method=method, keys=spec.reverse, key_range=key_range,
                          missing=missing)
    report.warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(res.to_frame().to_string(float_format=lambda v: f"{v:.3f}"))
    if res.thresholds:
        click.echo("\nThresholds:")
        for item, tau in res.thresholds.items():
            click.echo(f"  {item:20s} " + " ".join(f"{t:7.3f}" for t in tau))
