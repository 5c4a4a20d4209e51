"""``qimscale validate``: run a whole validation study and write its report."""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, source_name


@click.command("validate", short_help="Run the whole validation study; write report.html and results.json.")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--instrument", metavar="SPEC", help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--group", "groups", multiple=True, metavar="COL",
              help="Column to test measurement invariance across (repeatable), e.g. --group country "
                   "(default: none).")
@click.option("--outcome", metavar="COL", help="Outcome column for the relations step, e.g. qi_performance (default: none).")
@click.option("--cluster", metavar="COL", help="Cluster column, e.g. org_id, for multilevel relations (default: none).")
@click.option("--hypotheses", type=click.Path(dir_okay=False), metavar="FILE",
              help="Pre-stated hypotheses (default: the bundled analysis/hypotheses.yaml).")
@click.option("--split-sample", is_flag=True, help="EFA on a random half of the sample, CFA on the other half.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed for parallel analysis and the split-sample halves.")
@click.option("--min-cell", type=click.IntRange(min=1), default=5, show_default=True,
              help="Suppress groups with fewer respondents than this in every output.")
@click.option("--out", type=click.Path(file_okay=False), required=True, metavar="DIR",
              help="Output folder: report.html, results.json, tables/, figures/.")
@click.option("--quiet", is_flag=True, help="Do not print the steps on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print results.json on stdout as well.")
def validate(data, instrument, groups, outcome, cluster, hypotheses, split_sample, seed, min_cell, out, quiet,
             as_json):
    """Run a whole scale-validation study on DATA and write a self-contained HTML report.

    \b
    DATA is a survey-platform export (it is scored first, as 'qimscale score'
    would) or data already scored by 'qimscale score'. The steps follow the
    COSMIN / Boateng et al. (2018) sequence: screening, item analysis,
    factorability, number of factors, EFA, CFA of the instrument's structure
    (WLSMV for items with up to 7 categories), reliability, convergent and
    discriminant validity, and measurement invariance across each --group.
    Each verdict is shown beside its number, criterion and source; a step that
    cannot run says why and the rest still runs.

    \b
    Example:
      qimscale validate scores.csv --group country --group qim_type --out report/
    """
    from qimscale.study.run import check_out_folder, run_validation

    def progress(title):
        if not (quiet or as_json):
            click.echo(f"[validate] {title}", err=True)

    check_out_folder(out)  # before the study runs; its error is about --out, not DATA
    report = Reporter(source_name(data))
    with report.call():
        result, written = run_validation(data, source=source_name(data), instrument=instrument, groups=groups,
                                         outcome=outcome, cluster=cluster, hypotheses=hypotheses,
                                         split_sample=split_sample, seed=seed, min_cell=min_cell, out=out,
                                         progress=progress)
    # the steps' warnings on stderr, the first of each step in full (all are in results.json and the report)
    report.warn(f"{step.title}: {step.warnings[0]}" + (f" (and {len(step.warnings) - 1} more warning(s) in "
                                                       "results.json and the report)" if len(step.warnings) > 1
                                                       else "") for step in result.steps if step.warnings)
    if as_json:
        emit_json(result.to_dict())
        return
    click.echo(f"wrote {written['report']} and {written['results']} "
               f"({len(written['tables'])} tables, {len(written['figures']) // 2} figures)")
