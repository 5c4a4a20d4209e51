"""``qimscale hypotheses``: evaluate the pre-stated hypotheses on scored data."""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, format_option, json_option, read_table, source_name


@click.command("hypotheses", short_help="Test the pre-stated known-groups and criterion hypotheses.")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--file", "hyp_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Hypotheses YAML (default: the bundled analysis/hypotheses.yaml).")
@click.option("--instrument", metavar="SPEC", help="Instrument YAML, used to find group codes from their labels "
                                                  "(default: the bundled QIM instrument).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level after Holm's adjustment across the file's hypotheses.")
@format_option
@json_option
def hypotheses(data, hyp_file, instrument, alpha, fmt, as_json):
    """Evaluate every pre-stated hypothesis on DATA (the output of 'qimscale score').

    \b
    Known groups (scale, 'expect: A > B'): Welch t and Hedges' g with its CI.
    Criterion (predictors of the outcome): OLS with HC3 standard errors on
    standardised scores; every predictor must be positive. Moderation
    (predictors + moderates): the centred product term must be positive.
    Each hypothesis is supported (expected sign and Holm-adjusted p < alpha),
    not_supported, or not_testable with the reason. COSMIN asks for at least
    75 % supported (Terwee et al. 2007).

    \b
    Example:
      qimscale hypotheses scores.csv --json
    """
    from qimscale.instrument import load_instrument
    from qimscale.study.hypotheses import evaluate_hypotheses

    source = source_name(data)
    report = Reporter(source)
    with report.call():
        df = read_table(data, fmt)
        res = evaluate_hypotheses(df, hyp_file, instrument=load_instrument(instrument), alpha=alpha)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(f"Hypotheses from {res.source} (alpha {alpha:g}, Holm-adjusted)")
    for r in res.rows.itertuples():
        if r.status == "not_testable":
            click.echo(f"  {r.id:6s} not testable: {r.reason}")
            continue
        p = "< .001" if r.p_adj < 0.001 else f"{r.p_adj:.3f}"
        click.echo(f"  {r.id:6s} {r.status:14s} {r.effect} = {r.estimate:.2f} [{r.ci_lower:.2f}, {r.ci_upper:.2f}], "
                   f"p_adj {p}")
    share = res.share_supported
    if share is not None:
        click.echo(f"{share:.0%} of the testable hypotheses supported (criterion: at least 75 %, Terwee et al. 2007)")
