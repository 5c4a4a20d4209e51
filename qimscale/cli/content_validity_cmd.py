"""``qimscale content-validity``: I-CVI, S-CVI, modified kappa and Lawshe's CVR from expert ratings."""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, format_option, json_option, read_table, source_name


@click.command("content-validity", short_help="Content validity from expert ratings: I-CVI, S-CVI, kappa*, Lawshe CVR.")
@click.argument("ratings", type=click.Path(allow_dash=True))
@click.option("--scale", "scale", type=click.IntRange(min=2), default=4, show_default=True,
              help="Number of relevance categories; the top two count as relevant (3 and 4 of 4).")
@click.option("--lawshe", is_flag=True,
              help="Ratings are essential (3) / useful (2) / not necessary (1): report Lawshe's CVR with its "
                   "exact critical value instead.")
@format_option
@json_option
def content_validity(ratings, scale, lawshe, fmt, as_json):
    """Content validity of the items from expert ratings (RATINGS: an 'item' column, one column per expert).

    \b
    Relevance design (default): I-CVI (share of experts rating 3 or 4),
    modified kappa* (Polit, Beck & Owen 2007), S-CVI/Ave and S-CVI/UA, with
    Lynn's (1986) criterion: I-CVI 1.00 with 3-5 experts, >= .78 with 6+.
    --lawshe: CVR = (n_e - N/2)/(N/2) against its exact critical value
    (Ayre & Scally 2014).

    \b
    Example:
      qimscale content-validity ratings.csv --json
    """
    from qimscale.analysis.content_validity import content_validity as cv
    from qimscale.analysis.content_validity import lawshe_cvr

    source = source_name(ratings)
    report = Reporter(source)
    with report.call():
        df = read_table(ratings, fmt)
        res = lawshe_cvr(df, source=source) if lawshe else cv(df, scale=scale, source=source)
    report.warn(res.warnings)
    if as_json:
        emit_json(res.to_dict())
        return
    t = res.items
    click.echo(f"Content validity, {res.n_experts} experts ({res.criterion})")
    if res.design == "relevance":
        for r in t.itertuples():
            click.echo(f"  {r.item:24s} I-CVI {r.i_cvi:.2f}  kappa* {r.kappa_star:.2f} ({r.verdict})"
                       + ("  -> revise" if r.revise else ""))
        click.echo(f"S-CVI/Ave {res.s_cvi_ave:.3f} (criterion .90), S-CVI/UA {res.s_cvi_ua:.3f}")
    else:
        for r in t.itertuples():
            crit = "n/a" if r.cvr_critical != r.cvr_critical else f"{r.cvr_critical:.3f}"
            click.echo(f"  {r.item:24s} CVR {r.cvr:+.3f}  critical {crit}  {r.verdict}")
    if res.to_revise:
        click.echo("Items to revise: " + ", ".join(res.to_revise))
