"""``qimscale instrument``: validate, export and translate the instrument.

Thin click layer over :mod:`qimscale.instrument`; every command makes one library
call. Files are written atomically (temporary file + ``os.replace``), so a failed
run leaves nothing behind.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json

FORMAT_CHOICES = ["redcap", "xlsform", "qualtrics", "limesurvey", "markdown", "html", "codebook", "lavaan", "ratings",
                  "all"]


@click.group("instrument", short_help="Validate, export and translate the instrument.")
def instrument() -> None:
    """Validate, export and translate the QIM competency instrument.

    \b
    Examples:
      qimscale instrument validate instrument/qim-competency.yaml
      qimscale instrument export --format redcap --form self --out qim_redcap.csv
      qimscale instrument export --format all --out qimscale-out
      qimscale instrument translate --template --lang mi --out mi.xlsx
      qimscale instrument translate --merge mi.xlsx --instrument my.yaml
      qimscale instrument info --json
    """


@instrument.command("validate")
@click.argument("file", required=False, metavar="[FILE]")
@click.option("--allow-warnings", is_flag=True, default=False,
              help="Exit 0 when only warnings are found (default: warnings fail too).")
@click.option("--json", "as_json", is_flag=True, default=False,
              help="Print one JSON object with the problems on stdout (default: one line per problem).")
def validate_cmd(file: str | None, allow_warnings: bool, as_json: bool) -> None:
    """Check an instrument FILE (default: the bundled instrument).

    Reports duplicate ids, items pointing at unknown scales, empty texts, names a
    survey platform rejects, scales with fewer than 3 items and missing
    translations. Exits 1 if any problem is found (warnings too, unless
    --allow-warnings).

    \b
    Examples:
      qimscale instrument validate
      qimscale instrument validate my-instrument.yaml --allow-warnings --json
    """
    from qimscale.errors import InstrumentError
    from qimscale.instrument import load_instrument, validate_instrument

    inst = load_instrument(file, check=False)
    problems = validate_instrument(inst)
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    if as_json:
        emit_json({"file": inst.path, "version": inst.version, "valid": n_err == 0,
                   "n_errors": n_err, "n_warnings": n_warn, "problems": [p.to_dict() for p in problems]})
    else:
        for p in problems:
            where = f"{p.where}: " if p.where else ""
            click.echo(f"{p.severity:<7} {where}{p.message}")
        if not problems:
            click.echo(f"{inst.path}: OK (version {inst.version}, {len(inst.items)} items, "
                       f"{len(inst.scales)} scales, languages: {', '.join(inst.language_codes)})")
    if n_err or (n_warn and not allow_warnings):
        first = "; ".join(f"{p.where}: {p.message}" if p.where else p.message for p in problems[:2])
        raise InstrumentError(f"{inst.path}: {n_err} error(s), {n_warn} warning(s): {first}"
                              + (" ..." if len(problems) > 2 else ""))


@instrument.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMAT_CHOICES),
              help="Output format; 'all' writes every format into the --out folder.")
@click.option("--form", type=click.Choice(["self", "observer"]), default=None,
              help="Questionnaire form (default: self; with --format all: every form the instrument has).")
@click.option("--lang", default=None, help="Language code (default: the instrument's default language).")
@click.option("--out", required=True, type=click.Path(dir_okay=True),
              help="Output file ('-' for standard output with text formats); a folder with --format all.")
@click.option("--instrument", "spec", default=None, metavar="SPEC",
              help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--json", "as_json", is_flag=True, default=False,
              help="Print the files written as one JSON object (default: one path per line).")
def export_cmd(fmt: str, form: str | None, lang: str | None, out: str, spec: str | None, as_json: bool) -> None:
    """Export the instrument for a survey platform, on paper, or as a codebook.

    Writes one file in the --format below (or, with --format all, every
    format into the --out folder); files are written atomically, so a failed
    run leaves nothing behind.

    \b
    redcap      REDCap data dictionary (CSV; one matrix group per scale)
    xlsform     ODK/Kobo XLSForm (XLSX; every language included)
    qualtrics   Qualtrics Advanced-Format TXT (one matrix per scale)
    limesurvey  LimeSurvey TSV survey structure (Array questions)
    markdown    paper form, Markdown
    html        paper form, self-contained printable HTML
    codebook    CSV: item, scale, domain, reverse, min, max, text, platform names
    lavaan      the measurement model in lavaan syntax (.lav): one factor per
                competency sub-scale, then the second-order model (domains
                over sub-scales) as commented lines; reverse-keyed items listed
    ratings     content-validity template (XLSX or .csv): item, scale, text, e1..e6

    \b
    Examples:
      qimscale instrument export --format redcap --form self --out qim_redcap.csv
      qimscale instrument export --format codebook --out -
      qimscale instrument export --format lavaan --out qim.lav
    """
    from qimscale.instrument import load_instrument
    from qimscale.instrument import exporters as ex

    inst = load_instrument(spec)
    if fmt == "all":
        forms = (form,) if form else tuple(f.id for f in inst.forms)  # every form the instrument declares
        written = [str(p) for p in ex.export_all(inst, out, forms=forms, lang=lang)]
    elif out == "-":
        if as_json:
            raise click.UsageError("--json prints the files written; with --out - the export itself is printed")
        data = ex.export(inst, fmt, form=form or "self", lang=lang)
        if isinstance(data, bytes):
            raise click.UsageError(f"--format {fmt} writes a binary file; give a file name for --out")
        click.echo(data, nl=False)
        return
    else:
        written = [str(ex.write_export(inst, fmt, out, form=form or "self", lang=lang))]
    if as_json:
        emit_json({"format": fmt, "form": form, "lang": lang or inst.default_language,
                   "instrument": inst.path, "version": inst.version, "written": written})
    else:
        for p in written:
            click.echo(p)


@instrument.command("translate")
@click.option("--template", "template", is_flag=True, default=False,
              help="Write a translation worksheet for --lang (give this or --merge).")
@click.option("--merge", "merge", type=click.Path(dir_okay=False), default=None,
              help="Merge a filled worksheet into the instrument (give this or --template; default: none).")
@click.option("--lang", default=None,
              help="Target language code (ISO 639, e.g. mi); required with --template; with --merge "
                   "optional (default: the worksheet's language; checked against it when given).")
@click.option("--name", default=None,
              help="Language name (e.g. 'Te reo Maori'); with --template (default: the declared name, "
                   "else the code).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Worksheet to write (--template) or instrument file to write (--merge; default: in place).")
@click.option("--instrument", "spec", default=None, metavar="SPEC",
              help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--json", "as_json", is_flag=True, default=False,
              help="Print a JSON summary (default: one line of text).")
def translate_cmd(template: bool, merge: str | None, lang: str | None, name: str | None, out: str | None,
                  spec: str | None, as_json: bool) -> None:
    """Translation workflow: write a worksheet, then merge the reviewed translation.

    The worksheet has one row per text (key, context, source, target,
    back_translation, status). Status must be forward, back-translated or
    reviewed for every translated row. Merging declares the language in the
    instrument and records each text's status; exports then accept --lang.

    \b
    Examples:
      qimscale instrument translate --template --lang mi --out mi.xlsx
      qimscale instrument translate --merge mi.xlsx --instrument my.yaml
    """
    from qimscale.instrument import translation

    if template == bool(merge):
        raise click.UsageError("give exactly one of --template or --merge SHEET")
    if template:
        if not lang:
            raise click.UsageError("--template needs --lang")
        if not out:
            raise click.UsageError("--template needs --out (an .xlsx file)")
        path = translation.write_template(spec, lang, out, name=name)
        result = {"template": str(path), "lang": lang}
    else:
        result = translation.merge_translation(spec, merge, out=out, lang=lang)
    if as_json:
        emit_json(result)
    elif template:
        click.echo(result["template"])
    else:
        click.echo(f"{result['file']}: merged {result['merged']} text(s) in '{result['lang']}'"
                   f" ({result['missing']} left untranslated)")


@instrument.command("info")
@click.option("--instrument", "spec", default=None, metavar="SPEC",
              help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--json", "as_json", is_flag=True, default=False,
              help="Print one JSON object (default: a table of scales).")
def info_cmd(spec: str | None, as_json: bool) -> None:
    """Show the instrument's version, scales, items and languages.

    \b
    Example:
      qimscale instrument info --json
    """
    from qimscale.instrument import load_instrument

    inst = load_instrument(spec)
    summary = inst.summary()
    if as_json:
        emit_json(summary)
        return
    click.echo(f"{inst.label} ({inst.id} {inst.version}); languages: {', '.join(summary['languages'])}")
    for sc in summary["scales"]:
        flag = " (exploratory)" if sc["exploratory"] else ""
        click.echo(f"  {sc['domain']:<14} {sc['id']:<20} {sc['kind']:<11} {len(sc['items'])} items{flag}")
    click.echo(f"  {summary['n_items']} items, reverse-keyed: {', '.join(summary['reverse'])}")
