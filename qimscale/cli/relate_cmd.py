"""``qimscale compare`` and ``qimscale relate``: study analyses of scored data.

The top of this module holds the option helpers every study command shares
(``compare``, ``relate``, ``themes``, ``teams``): reading DATA with identifier
columns removed, the default variables (the bundled instrument's scale scores
found in DATA), the disclosure threshold ``--min-cell`` and rendering a result.
Each command makes one library call (:mod:`qimscale.analysis.compare`, ...).
"""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, format_option, json_option, read_table, source_name, split_list

# --------------------------------------------------------------------------- shared study helpers

def min_cell_option(func):
    """Add ``--min-cell`` (disclosure control; default 5)."""
    return click.option("--min-cell", "min_cell", type=click.IntRange(min=1), default=5, show_default=True,
                        help="Confidentiality: cells (groups, teams, counts) with fewer than this many people "
                             "are suppressed, shown as 'suppressed (n < 5)', and take no part in any other "
                             "statistic, so they cannot be recovered by subtraction. 1 turns this off.")(func)


def id_cols_option(func):
    """Add ``--id-cols`` (further identifier columns to keep out of every output)."""
    return click.option("--id-cols", "id_cols", metavar="a,b",
                        help="Further identifier columns (default: none besides the instrument's identifying fields "
                             "and the survey platforms' name/e-mail/IP columns); they never reach any output.")(func)


def read_study_data(data, fmt, id_cols=None, instrument=None):
    """Read DATA for a study command; returns ``(df, identifiers, report)``.

    Identifier columns stay in ``df`` (a team code may group rows) but are listed
    so that the library refuses to analyse them and never prints their values.
    """
    source = source_name(data)
    df = read_table(data, fmt)
    extra = split_list(id_cols) or []
    absent = [c for c in extra if c not in df.columns]
    if absent:
        raise click.BadParameter(f"column(s) {', '.join(map(repr, absent))} not in DATA", param_hint="--id-cols")
    from qimscale.io.identifiers import study_identifiers

    return df, study_identifiers(df.columns, extra, instrument), Reporter(source)


def default_variables(columns, vars_=None, instrument=None, data=None) -> tuple[list[str], str | None]:
    """``--vars`` as a list, or every scale score of the instrument found in the columns (with a note);
    with ``data``, scale columns without any value are left out and named in the note
    (:func:`qimscale.scoring.relate_vars.default_scale_scores` picks them)."""
    from qimscale.errors import DataError

    if vars_:
        return split_list(vars_), None
    from qimscale.scoring.relate_vars import default_scale_scores

    d = default_scale_scores(columns, instrument, data)
    found, empty, left = d["scores"], d["empty"], d["absent"]
    if not found:
        raise DataError("DATA holds none of the instrument's scale scores (" + ", ".join(d["scales"][:6])
                        + ", ...); score it first with 'qimscale score DATA --out scores.csv', or name the "
                        "columns with --vars")
    note = (f"compared every scale score of the {'bundled' if instrument is None else 'given'} instrument found "
            f"in DATA ({len(found)}): {', '.join(found)}"
            + (f"; not in DATA: {', '.join(left)}" if left else "")
            + (f"; in DATA but empty: {', '.join(empty)}" if empty else "") + ". Use --vars to choose.")
    return found, note


def code_labels_note(column, instrument=None) -> str | None:
    """``qim_type: 1 = Traditional: ..., 2 = Clinical: ...`` when ``column`` is a coded background
    field of the instrument (its labels, cut to 50 characters), so that groups shown by code can be read."""
    from qimscale.instrument import load_instrument

    try:
        inst = load_instrument(instrument)
    except Exception:  # noqa: BLE001 - the command itself reports an unreadable instrument
        return None
    field = next((b for b in inst.background if b.id == column and getattr(b, "choices", None)), None)
    if field is None:
        return None
    parts = []
    for ch in field.choices:
        text = next(iter(ch.labels.values()), "") if isinstance(ch.labels, dict) else str(ch.labels)
        parts.append(f"{ch.code} = {text if len(text) <= 50 else text[:47] + '...'}")
    return f"'{column}' codes: " + "; ".join(parts)


def render(result, as_json: bool, report: Reporter) -> None:
    """Print a study result: warnings once on stderr, then one JSON object or the text summary."""
    report.warn(result.warnings)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.summary())


# --------------------------------------------------------------------------- compare

@click.command("compare", short_help="Compare groups on scale scores (t, ANOVA, rank tests, effect sizes).")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--group", "group", required=True, metavar="COL", help="Grouping column (for example qim_type).")
@click.option("--vars", "vars_", metavar="a,b",
              help="Numeric columns to compare (default: every scale score of the instrument found in DATA, "
                   "i.e. the output of 'qimscale score').")
@click.option("--adjust", type=click.Choice(["holm", "fdr_bh", "bonferroni", "none"]), default="holm",
              show_default=True, help="Adjustment of each test's p across the variables (p_adj), and of "
                                      "Dunn's pairs within a variable.")
@click.option("--conf-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of every interval.")
@click.option("--no-posthoc", "no_posthoc", is_flag=True, help="Skip the pairwise tests (more than 2 groups).")
@click.option("--latent", is_flag=True,
              help="Compare latent factor means (CFA) instead; needs --model and refuses unless scalar "
                   "invariance holds for --group.")
@click.option("--model", "model", metavar="FILE_OR_TEXT", help="lavaan syntax of the measurement model, or a file holding it (--latent; default: none).")
@click.option("--estimator", type=click.Choice(["ML", "MLR", "WLSMV"], case_sensitive=False), default=None,
              help="CFA estimator for --latent (default: ML, or WLSMV with --ordered).")
@click.option("--ordered", metavar="all|a,b", help="Ordinal items for --latent (WLSMV; default: none, items treated as continuous).")
@click.option("--instrument", metavar="SPEC", help="Instrument whose scale scores are the default variables "
                                                  "(default: the bundled QIM instrument).")
@min_cell_option
@id_cols_option
@json_option
@format_option
def compare(data, group, vars_, adjust, conf_level, no_posthoc, latent, model, estimator, ordered, instrument,
            min_cell, id_cols, as_json, fmt):
    """Compare groups of respondents on each variable, with effect sizes and assumption checks.

    Two groups: Welch's t and Student's t (Hedges' g with a noncentral-t CI)
    and the Mann-Whitney test (rank-biserial r with CI). More groups: Welch's
    ANOVA, one-way ANOVA (eta-squared, omega-squared), Kruskal-Wallis
    (epsilon-squared), and Games-Howell, Tukey HSD and Dunn pairs. Every test
    is reported; Shapiro-Wilk per group and Levene / Brown-Forsythe are shown
    beside them and never used to pick one. p_adj adjusts each test across the
    variables. Numbers match R's t.test, wilcox.test(exact=FALSE),
    oneway.test, aov, kruskal.test, TukeyHSD and p.adjust.

    Confidentiality is on: a group with fewer than --min-cell values of a
    variable is suppressed and left out of that variable's statistics;
    identifier columns are never analysed or printed.

    --json prints {"comparisons": [{"variable", "test", "statistic", "df",
    "p", "p_adj", "effect", "effect_size", "effect_ci": [lo, hi], ...}],
    "descriptives", "posthoc", "assumptions", "groups", "notes"}.

    \b
    Examples:
      qimscale compare scores.csv --group qim_type
      qimscale compare scores.csv --group org_type --vars lead_systems,ip_approachability --adjust fdr_bh --json
      qimscale compare items.csv --group qim_type --latent --model model.lav
    """
    df, ids, report = read_study_data(data, fmt, id_cols, instrument)
    if latent:
        if not model:
            raise click.UsageError("--latent needs --model (lavaan syntax of the measurement model)")
        from qimscale.analysis.cfa.fit import read_model_text
        from qimscale.analysis.compare import latent_mean_comparison

        ordered_ = None if not ordered else ("all" if ordered == "all" else split_list(ordered))
        with report.call():
            result = latent_mean_comparison(read_model_text(model), df, group, estimator=estimator,
                                            ordered=ordered_, min_cell=min_cell, identifiers=ids)
        render(result, as_json, report)
        return
    if model:
        raise click.UsageError("--model is used with --latent only")
    from qimscale.analysis.compare import compare_groups

    with report.call():
        variables, note = default_variables(df.columns, vars_, instrument, df)
        result = compare_groups(df, group, variables, adjust=adjust, min_cell=min_cell, conf_level=conf_level,
                                posthoc=not no_posthoc, identifiers=ids)
    codes = code_labels_note(group, instrument)
    for n in (note, codes):
        if n:
            result.notes.insert(0, n)
            if as_json:
                click.echo(f"Note: {n}", err=True)
    render(result, as_json, report)
