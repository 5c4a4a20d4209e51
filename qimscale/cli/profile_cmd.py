"""``qimscale profile``: a one-page competency profile per respondent."""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, progress_bar, progress_enabled, progress_option, source_name


@click.command("profile", short_help="One-page competency profile per respondent (HTML or PDF).")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--id", "respondent", metavar="RESPONDENT", help="Id of the respondent to profile (default: none; give this or --all).")
@click.option("--all", "all_", is_flag=True, help="Profile every respondent with an id: one file each in --out DIR.")
@click.option("--id-col", metavar="COL",
              help="Column holding the respondent ids (default: the instrument's 'qim_id' field; keep it when "
                   "scoring with 'qimscale score --keep-identifiers').")
@click.option("--norms", type=click.Path(dir_okay=False), metavar="CSV",
              help="Compare with norms (CSV: scale, mean, sd[, reliability], as 'qimscale score --norms' reads) "
                   "instead of the sample (default: compare with the sample).")
@click.option("--group", metavar="COL",
              help="Compare each respondent with the respondents of their own group in COL, e.g. country "
                   "(default: with the whole sample).")
@click.option("--min-cell", type=click.IntRange(min=1), default=5, show_default=True,
              help="Suppress a profile whose comparison group has fewer respondents than this.")
@click.option("--low-percentile", type=click.FloatRange(0, 100, min_open=True, max_open=True), default=25.0,
              show_default=True, help="Sub-scales below this percentile get development suggestions.")
@click.option("--instrument", metavar="SPEC", help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--out", required=True, type=click.Path(), metavar="FILE.html|FILE.pdf|DIR",
              help="The HTML or PDF file (with --id; the format follows the name) or the folder (with --all).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default=None,
              help="Page format: html, or pdf (one A4 page, without the id inside). Default: from the --out file "
                   "name; html for --all.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a summary as one JSON object (no ids but the one asked for with --id).")
@progress_option
def profile(data, respondent, all_, id_col, norms, group, min_cell, low_percentile, instrument, out, fmt, as_json,
            no_progress):
    """Write a one-page competency profile of a respondent (DATA: the output of 'qimscale score').

    \b
    Each sub-scale and domain score is shown with its 95% band of
    measurement error (SEM = SD x sqrt(1 - reliability); reliability is
    Cronbach's alpha of the scale in the sample, or the norms' value),
    its percentile in the sample (or in the respondent's --group, or
    against --norms) and, for sub-scales below --low-percentile,
    development suggestions drawn from the implications for practice of
    Akmal et al. (2022), each with its source.

    \b
    Confidentiality: a profile is suppressed (exit 1, nothing written) when
    its comparison group has fewer than --min-cell respondents; with --all,
    such respondents are skipped and counted. Ids appear only in the file
    names asked for and in each respondent's own HTML page (a PDF page has no id),
    never in messages.

    \b
    Examples:
      qimscale score sim.csv --keep-identifiers --out scores.csv
      qimscale profile scores.csv --id QIM017 --out QIM017.html
      qimscale profile scores.csv --all --group country --out profiles/
      qimscale profile scores.csv --all --format pdf --out profiles/
    """
    from qimscale.report.profile_outputs import check_out
    from qimscale.study.profile import run_profiles

    if bool(respondent) == bool(all_):
        raise click.UsageError("give exactly one of --id RESPONDENT or --all")
    if fmt and respondent and not out.lower().endswith(".pdf" if fmt == "pdf" else (".html", ".htm")):
        raise click.UsageError(f"--format {fmt} does not match --out {out}; the file name must end in .{fmt}")
    if norms and group:
        raise click.UsageError("--group compares within a group of the sample and --norms against norms; give one")
    source = source_name(data)
    protect = [p for p in (data, norms) if p]
    report = Reporter(source)
    check_out(out, folder=bool(all_), protect=protect)  # about --out, not DATA: its error names --out only
    with report.call():
        with progress_bar("profiles", bool(all_) and progress_enabled(as_json, no_progress)) as progress:
            run = run_profiles(data, out=out, respondent=respondent, id_col=id_col, instrument=instrument,
                               norms=norms, group=group, min_cell=min_cell, low_percentile=low_percentile,
                               source=source, progress=progress, fmt=fmt)
    report.warn(run.warnings)
    if as_json:
        emit_json(run.summary)
        return
    ref = run.summary["reference"]
    if respondent:
        low = run.summary["profile"]["low_scales"]
        click.echo(f"wrote {run.summary['written'][0]} (compared with {ref['comparison']}; "
                   f"{len(low)} sub-scale(s) below the {low_percentile:g}th percentile)")
    else:
        click.echo(f"wrote {run.summary['n_profiles']} profile(s) into {out}"
                   + (f"; {run.summary['n_suppressed']} suppressed" if run.summary["n_suppressed"] else ""))
