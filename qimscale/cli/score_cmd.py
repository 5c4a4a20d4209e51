"""``qimscale score``: read a survey export, validate it and write scale scores."""

from __future__ import annotations

import click

from qimscale.cli._common import check_stdin_format, emit_json, split_list

_FORMATS = ["csv", "tsv", "xlsx", "sav", "dta", "parquet", "qualtrics", "redcap", "limesurvey", "kobo", "odk",
            "surveymonkey"]


def _checked(value, ok, what):
    """An option value that must be finite and pass ``ok`` (else a usage error, exit 2)."""
    import math

    if value is not None and not (math.isfinite(value) and ok(value)):
        raise click.BadParameter(f"must be {what}; got {value}")
    return value


@click.command("score", short_help="Score a survey export: scale scores, problems and quality flags.")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--instrument", metavar="SPEC", help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--map", "map_file", type=click.Path(), metavar="FILE",
              help="Column-to-item mapping: CSV with columns 'column,item', or YAML {column: item}.")
@click.option("--min-answered", type=float, default=0.75, show_default=True, callback=lambda c, p, v: _checked(
              v, lambda x: 0 < x <= 1, "a fraction in (0, 1]"),
              help="Fraction of a scale's items that must be answered for a score (else missing). 0.75 "
                   "allows one missing answer on a 4-7 item scale; 0.5 is the SF-36 half rule (Ware et al. "
                   "1993); 1 scores complete scales only.")
@click.option("--out", type=click.Path(), metavar="FILE",
              help="Write scores (.csv, .xlsx, .sav, .dta, .parquet), plus <stem>.problems.csv and "
                   "<stem>.log.json beside it.")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), help="Override format auto-detection.")
@click.option("--strict", is_flag=True, help="Exit 1 on any problem instead of setting invalid cells missing.")
@click.option("--keep-identifiers", is_flag=True,
              help="Keep direct identifiers: IP address, e-mail, names, location, recipient fields (dropped by "
                   "default). Study codes the instrument declares (qim_id, org_id, team_id) are always kept.")
@click.option("--exclude-flagged", is_flag=True, help="Remove rows with any data-quality flag.")
@click.option("--quality-flags/--no-quality-flags", default=True, show_default=True,
              help="Add the qc_* data-quality columns.")
@click.option("--sums", is_flag=True, help="Add pro-rated sum scores <scale>_sum.")
@click.option("--norms", type=click.Path(), metavar="CSV", help="Norms (scale,mean,sd) for T-scores and percentiles.")
@click.option("--min-seconds", type=float, callback=lambda c, p, v: _checked(v, lambda x: x >= 0, "a number of seconds >= 0"),
              help="Too-fast threshold in seconds (default 2 s per item).")
@click.option("--dictionary", type=click.Path(), metavar="FILE",
              help="REDCap data dictionary CSV (identifiers, labels), or a Qualtrics .qsf (recode values are "
                   "mapped back to the instrument's codes).")
@click.option("--id", "id_cols", metavar="COLS", help="Respondent-id column(s) for the duplicate check.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def score(data, instrument, map_file, min_answered, out, fmt, strict, keep_identifiers, exclude_flagged,
          quality_flags, sums, norms, min_seconds, dictionary, id_cols, as_json):
    """Score DATA (a survey export) with the instrument's scales.

    \b
    DATA: CSV/TSV (any encoding and delimiter), xlsx, SPSS .sav, Stata .dta,
    Parquet, Kobo JSON, or '-' for CSV on standard input. Qualtrics, REDCap,
    LimeSurvey, Kobo/ODK Central and SurveyMonkey exports are recognised (or name one with --format).

    \b
    Columns map to items by id (and by each platform's naming of the ids,
    or by exact item text); otherwise pass --map. Response labels in any
    language of the instrument are accepted, case- and space-insensitively.
    "Not applicable" (code 9) and SPSS user-missing codes become missing and
    are counted.

    \b
    Every bad cell is listed (row, column, item, value, problem) and set
    missing; rows are spreadsheet rows, header rows counted (the first data
    row of a plain CSV is row 2, of a Qualtrics export row 4). --strict
    stops instead.

    \b
    Scale score = mean of the answered items (reverse-keyed as min+max-x)
    when at least --min-answered of the scale's items are answered
    (default 0.75: at most one missing answer on a 4-7 item scale;
    stricter than the SF-36 half rule, Ware et al. 1993; pro-rating assumes
    the missing items are like the answered ones, Mazza et al. 2015).
    Quality flags (qc_*: longstring, IRV, Mahalanobis D2, even-odd when the
    instrument has enough long scales, completion time, break-offs from the
    platform's completion fields) are added as columns; rows are removed
    only with --exclude-flagged. Direct identifiers (IP address, names,
    e-mail, location, recipient fields) are dropped unless
    --keep-identifiers is given; the instrument's study codes (qim_id,
    org_id, team_id) are kept.

    \b
    --out scores.parquet also writes scores.problems.csv and scores.log.json
    (every rule applied, with counts) beside it, all or nothing.
    """
    from qimscale._core.formatting import show_value
    from qimscale.io.writers import check_output_path
    from qimscale.scoring import score_file

    # every file the run reads (data, --map, --norms, --dictionary) is an input: never overwritten
    inputs = [p for p in (data, map_file, norms, dictionary) if p]
    check_stdin_format(data, fmt)
    if out:
        check_output_path(out, protect=inputs)
    result = score_file(data, instrument=instrument, mapping=map_file, min_answered=min_answered, format=fmt,
                        strict=strict, keep_identifiers=keep_identifiers, exclude_flagged=exclude_flagged,
                        sums=sums, norms=norms, min_seconds=min_seconds, dictionary=dictionary,
                        id_columns=split_list(id_cols), quality=quality_flags)
    written = result.write(out, protect=inputs) if out else {}
    for note in result.log["read"].get("notes", []):
        click.echo(f"Note: {data}: {note}", err=True)
    if result.identifiers_dropped:
        click.echo("Note: dropped direct identifiers: " + ", ".join(result.identifiers_dropped)
                   + " (use --keep-identifiers to keep them)", err=True)
    for key, why in result.log.get("quality", {}).items():
        if key.endswith("_skipped"):  # a flag not computed (even-odd with too few long scales, ...): say so
            click.echo(f"Note: {why}", err=True)
    summary = result.summary()
    if as_json:
        summary["outputs"] = written
        emit_json(summary)
        return
    click.echo(f"{summary['n_rows']} rows read ({summary['source_format']}), {summary['n_scored']} scored")
    for sid, s in summary["scales"].items():
        mean = "-" if s["mean"] is None else f"{s['mean']:.3f}"
        click.echo(f"  {sid:24s} n={s['n_scored']:<7d} mean={mean:>7s} pro-rated={s['n_prorated']}")
    counts = result.log.get("quality", {}).get("counts", {})
    if counts:
        click.echo(f"quality flags: {counts.get('qc_flagged', 0)} row(s) flagged ("
                   + ", ".join(f"{k[3:]}: {v}" for k, v in counts.items() if k != "qc_flagged")
                   + "); rows are removed only with --exclude-flagged")
    if summary["n_problems"]:
        click.echo(f"{summary['n_problems']} problem(s); invalid cells were set missing"
                   + (f"; see {written['problems']}" if written else "; use --out or --json to list them"))
        for p in summary["problems"][:5]:
            value = "" if p["value"] is None else f"{show_value(p['value'])}: "
            click.echo(f"  row {p['row'] if p['row'] is not None else '-'}, {p['column'] or p['item']}: "
                       f"{value}{p['problem']}")
    if written:
        click.echo(f"wrote {written['scores']}, {written['problems']}, {written['log']}")
