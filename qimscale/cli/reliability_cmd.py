"""``qimscale reliability``, ``qimscale omega`` and ``qimscale corr``.

Thin click commands: parse the options, resolve the items, make one library
call (:mod:`qimscale.analysis.reliability`, :mod:`qimscale.analysis.omega`,
:mod:`qimscale.analysis.correlation`) and render its result.

This module also holds the helpers every data command shares (reading DATA,
checking the items, reporting warnings once); see the section below.
"""

from __future__ import annotations

import contextlib

import click

from qimscale.cli._common import ScaleSpec, emit_json, item_options, resolve_scales, split_list

# --------------------------------------------------------------------------- shared command helpers
# Used by every data command (reliability_cmd, efa_cmd, cfa_cmd). Proposed for
# qimscale.cli._common; they live here until the lead moves them.

FORMATS = ["csv", "tsv", "xlsx", "sav", "dta", "parquet"]


def source_name(data) -> str:
    """How error messages name DATA (``-`` is standard input)."""
    return "standard input" if str(data) == "-" else str(data)


def read_table(data, fmt=None):
    """Read DATA (``-`` is CSV on standard input) with :func:`qimscale.io.read_data`."""
    from qimscale.io import read_data

    return read_data(data, format=fmt)


def check_numeric(df, items, source) -> None:
    """Raise a :class:`~qimscale.errors.DataError` naming the file, row, column and value of the
    first answer that is not a number (checked before any reverse keying)."""
    import pandas as pd

    from qimscale.errors import DataError

    for it in items:
        col = df[it]
        if pd.api.types.is_numeric_dtype(col):  # bool included, as in the library
            continue
        filled = col.notna().to_numpy()
        if not filled.any():
            continue
        # the first answer that is not a number (numbers stored as text are not converted either)
        bad = filled & pd.to_numeric(col, errors="coerce").isna().to_numpy()
        pos = int((bad if bad.any() else filled).argmax())
        raise DataError(f"{source}: column '{it}' is not numeric: data row {pos + 1} holds "
                        f"{col.iloc[pos]!r}{'' if bad.any() else ' (a number stored as text)'}. Recode the "
                        "answers to numbers (for example with 'qimscale score') or leave this column out of "
                        "the item list.")


def check_range(df, spec, source) -> None:
    """Raise a :class:`~qimscale.errors.DataError` listing values outside the scale's known
    response range (they would be reverse-keyed into nonsense)."""
    import numpy as np

    from qimscale.errors import DataError

    if spec.min is None or spec.max is None:
        return
    x = df[spec.items].to_numpy(dtype=float, na_value=np.nan)
    rows, cols = np.nonzero((x < spec.min) | (x > spec.max))
    if rows.size:
        shown = "; ".join(f"column '{spec.items[c]}' data row {r + 1} holds {x[r, c]:g}"
                          for r, c in list(zip(rows, cols))[:5])
        raise DataError(f"{source}: scale '{spec.name}': {rows.size} value(s) lie outside the response range "
                        f"{spec.min:g}-{spec.max:g} ({shown}{' ...' if rows.size > 5 else ''}). Recode "
                        "missing-value codes to empty cells (qimscale score does this) or correct --min/--max.")


class Reporter:
    """Run the library call of a command and report its warnings once each.

    Python warnings raised inside :meth:`call` and the messages a result lists
    (``res.warnings``) are printed as ``Warning: ...`` lines on stderr, each
    distinct message once. A :class:`~qimscale.errors.DataError` leaving
    :meth:`call` gets the data source put in front of its message, so the
    ``Error:`` line names the file.
    """

    def __init__(self, source=None):
        self.source = source
        self._seen: set[str] = set()

    def warn(self, messages) -> None:
        for m in messages:
            text = " ".join(str(m).split())
            if text and text not in self._seen:
                self._seen.add(text)
                click.echo(f"Warning: {text}", err=True)

    def warn_by_part(self, by_part) -> None:
        """Report ``{part: [message, ...]}`` (e.g. per invariance level) with each message once:
        bare when it was already reported or concerns every part, else led by the parts it concerns."""
        parts_of: dict[str, list] = {}
        for part, messages in by_part.items():
            for m in messages:
                parts_of.setdefault(" ".join(str(m).split()), []).append(str(part))
        self.warn(m if m in self._seen or len(parts) == len(by_part) else f"{', '.join(parts)}: {m}"
                  for m, parts in parts_of.items())

    @contextlib.contextmanager
    def call(self):
        import warnings

        from qimscale.errors import DataError

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield self
            except DataError as exc:
                if self.source and exc.args and self.source not in str(exc):
                    exc.args = (f"{self.source}: {exc.args[0]}",) + exc.args[1:]
                raise
        self.warn(w.message for w in caught)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as one JSON object on stdout (warnings go to stderr).")(func)


def format_option(func):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                        help="Read DATA as this format (default: detected from the file name and "
                             "contents; '-' is read as CSV).")(func)


def load_items(data, fmt, items, scales, min_, max_, instrument):
    """Read DATA, resolve the item options into scales and check that every item is numeric
    and inside the scale's known response range.

    Returns ``(df, specs, report)``: the data, the :class:`~qimscale.cli._common.ScaleSpec`
    list and the command's :class:`Reporter` (which has already reported instrument scales
    left out because DATA lacks some of their items).
    """
    if min_ is not None and max_ is not None and min_ >= max_:
        raise click.BadParameter(f"--min ({min_:g}) must be below --max ({max_:g})", param_hint="--min/--max")
    if items and scales:
        raise click.UsageError("give either --items or --scale, not both")
    source = source_name(data)
    df = read_table(data, fmt)
    specs = resolve_scales(df.columns, items=items, scales=scales, min_=min_, max_=max_,
                           instrument=instrument, source=source)
    if instrument and (items or scales):
        _instrument_ranges(specs, instrument)
    for spec in specs:
        twice = sorted({i for i in spec.items if spec.items.count(i) > 1})
        if twice and (items or scales):
            raise click.BadParameter(f"item(s) {', '.join(map(repr, twice))} listed more than once"
                                     + (f" in scale '{spec.name}'" if scales else ""),
                                     param_hint="--scale" if scales else "--items")
    check_numeric(df, list(dict.fromkeys(i for s in specs for i in s.items)), source)
    for spec in specs:
        _range(spec, spec.reverse)
        check_range(df, spec, source)
    report = Reporter(source)
    if not items and not scales:
        report.warn(_incomplete_scales(df.columns, specs, instrument))
    return df, specs, report


def _instrument_ranges(specs, instrument) -> None:
    """``--instrument`` with ``--items``/``--scale``: take the response range the contract says the
    instrument provides (unless --min/--max are given) when all the scale's items share one."""
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    ids = {it.id for it in inst.items}
    for spec in specs:
        ranges = {inst.response_range(i) for i in spec.items if i in ids}
        if len(ranges) == 1:
            lo, hi = ranges.pop()
            spec.min = lo if spec.min is None else spec.min
            spec.max = hi if spec.max is None else spec.max


def _incomplete_scales(columns, specs, instrument):
    """Messages for the instrument's scales left out because only some of their items are in DATA."""
    from qimscale.instrument import load_instrument

    inst = load_instrument(instrument)
    used = {s.name for s in specs}
    for sc in inst.scales:
        its = [it.id for it in inst.scale_items(sc.id)]
        absent = [i for i in its if i not in columns]
        if sc.id not in used and absent and len(absent) < len(its):
            yield (f"scale '{sc.id}' left out: column(s) {', '.join(map(repr, absent))} not found "
                   "(pass --scale to analyse the items that are there)")


# --------------------------------------------------------------------------- reliability commands

def _range(spec, reverse):
    """The response range (checked against the data, used to reverse-key), if known.

    Reverse keying without a known range is an error, as the CLI contract requires.
    """
    if spec.min is not None and spec.max is not None:
        return (spec.min, spec.max)
    if reverse:
        from qimscale.errors import DataError

        raise DataError(f"scale '{spec.name}': reverse-keyed item(s) {', '.join(map(repr, reverse))} need the "
                        "response range; pass --min and --max (or use --instrument)")
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
def reliability(data, items, scales, min_, max_, instrument, as_json, fmt, missing, ci, n_boot, seed,
                conf_level, split, icc_cols, icc_long):
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
    with report.call():
        result = scale_reliability(
            df, {s.name: s.items for s in specs}, reverse={s.name: s.reverse for s in specs},
            ranges={k: v for k, v in ranges.items() if v is not None}, missing=missing,
            ci="bca" if ci == "bootstrap" else ci, n_boot=n_boot, seed=seed, conf_level=conf_level,
            split_half=split,
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
    from qimscale.analysis.icc import icc

    if icc_cols and icc_long:
        raise click.UsageError("give either --icc (wide data) or --icc-long (long data), not both")
    source = source_name(data)
    df = read_table(data, fmt)
    if icc_long:
        parts = split_list(icc_long) or []
        if len(parts) != 3:
            raise click.BadParameter("expected SUBJECT,OCCASION,VALUE", param_hint="--icc-long")
        args, kwargs = (df,), dict(subject=parts[0], rater=parts[1], value=parts[2])
    else:
        cols = split_list(icc_cols) or []
        absent = [c for c in cols if c not in df.columns]
        if absent:
            from qimscale.errors import DataError

            raise DataError(f"{source}: column(s) {', '.join(map(repr, absent))} not found")
        args, kwargs = (df, cols), {}
    report = Reporter(source)
    with report.call():
        res = icc(*args, conf_level=conf_level, **kwargs)
    report.warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(f"n_subjects={res.n_subjects} n_occasions={res.n_raters}")
    click.echo(res.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


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
