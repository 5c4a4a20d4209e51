"""``qimscale items``: item descriptives, the first table of a validation paper.

Thin click command: select the items, make one library call
(:func:`qimscale.analysis.items.item_descriptives`) and render its result.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json, format_option, item_options, json_option, load_items


@click.command("items", short_help="Item descriptives: frequencies, % N/A, % missing, floor/ceiling, skew.")
@click.argument("data", type=click.Path(allow_dash=True))
@item_options
@click.option("--group", default=None, metavar="COL",
              help="Repeat the table for each value of this column (default: none, all rows together).")
@click.option("--na-code", type=float, default=None,
              help="The 'not applicable' answer code, counted as N/A (default: the instrument's, 9 in the QIM "
                   "instrument, for its items; none for other --items).")
@click.option("--skew-type", type=click.IntRange(1, 3), default=3, show_default=True,
              help="Skew and kurtosis as psych::describe(type=...): 3 is psych's b1/b2, 2 SAS/SPSS's G1/G2, "
                   "1 the moment g1/g2.")
@format_option
@json_option
def items(data, items, scales, min_, max_, instrument, group, na_code, skew_type, fmt, as_json):
    """Per item (and per --group): answers, % N/A, % missing, response frequencies, floor and ceiling,
    mean, SD, median, skew and kurtosis.

    Without --items/--scale the items of the instrument's competency scales
    found in DATA are described (--kind/--domain choose others), answers as
    given (not reverse-keyed; the log says which items are reverse-keyed).
    N/A answers (the instrument's code 9) are counted apart from blanks; in a
    file written by 'qimscale score' they are already blank and count as
    missing. Floor/ceiling: % of answers at the lowest/highest possible
    code, more than 15 % marked (Terwee et al. 2007). Mean, SD, skew and
    kurtosis match psych::describe(x, type=3) (psych::describeBy per group).

    \b
    Examples:
      qimscale items export.csv --group country
      qimscale items export.csv --kind all --json
      qimscale items data.csv --items q1,q2,q3 --min 1 --max 5 --na-code 9
    """
    from qimscale.analysis.items import item_descriptives

    df, specs, report = load_items(data, fmt, items, scales, min_, max_, instrument, check_ranges=False,
                                     keyed=False)
    cols = list(dict.fromkeys(i for s in specs for i in s.items))
    ranges = {i: (s.min, s.max) for s in specs for i in s.items if s.min is not None and s.max is not None}
    na = dict.fromkeys(cols, na_code)
    if na_code is None and (instrument or not (items or scales)):
        from qimscale.instrument import load_instrument

        inst = load_instrument(instrument)
        known = {it.id for it in inst.items}
        na = {i: (inst.na_code(i) if i in known else None) for i in cols}
    if group is not None and group not in df.columns:
        from qimscale.errors import DataError

        raise DataError(f"{report.source}: the group column '{group}' is not in the file")
    with report.call():
        res = item_descriptives(df, cols, group=group, na_codes=na, ranges=ranges, skew_type=skew_type)
    report.warn(res.warnings)
    if as_json:
        out = res.to_dict()
        out["reverse_keyed"] = sorted({i for s in specs for i in s.reverse})
        emit_json(out)
        return
    click.echo(res.summary())
