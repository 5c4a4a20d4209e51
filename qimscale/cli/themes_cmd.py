"""``qimscale themes``: the paper's Table 2 counts, clinical vs traditional QIMs.

Thin click command: read the codes file (the bundled
``akmal2022-table2-codes.yaml`` by default), make one library call
(:func:`qimscale.analysis.themes.theme_differences`) and render it.
"""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, json_option
from qimscale.cli.relate_cmd import min_cell_option, render

CODES_FILE = "akmal2022-table2-codes.yaml"


def read_codes(path=None) -> dict:
    """The Table 2 codes file as a dict (``codes``, ``n_clinical``, ``n_traditional``)."""
    from pathlib import Path

    import yaml

    from qimscale.errors import DataError
    from qimscale.instrument.loader import bundled_dir

    p = Path(path) if path else bundled_dir() / CODES_FILE
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"{p}: cannot read the codes file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:  # one line: where, not the parser's multi-line report
        mark = getattr(exc, "problem_mark", None)
        raise DataError(f"{p}{f', line {mark.line + 1}' if mark else ''}: the codes file is not valid YAML "
                        f"({getattr(exc, 'problem', None) or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise DataError(f"{p}: the codes file is not UTF-8 text") from None
    for key in ("codes", "n_clinical", "n_traditional"):
        if not isinstance(doc, dict) or key not in doc:
            raise DataError(f"{p}: the codes file has no '{key}' entry; see {CODES_FILE} for the layout")
    return doc


@click.command("themes", short_help="Table 2 codes: share of clinical vs traditional QIMs who mentioned each.")
@click.option("--codes", "codes_file", type=click.Path(dir_okay=False),
              help=f"Codes file (default: the bundled {CODES_FILE}, Akmal et al. 2022, Table 2).")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write a dot plot (.png, .svg or .pdf; default: no plot).")
@click.option("--conf-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the risk-difference intervals.")
@min_cell_option
@json_option
def themes(codes_file, plot, conf_level, min_cell, as_json):
    """Per code of the paper's Table 2: the share of the 36 clinical and the 20
    traditional QIMs who mentioned it, the risk difference (clinical minus
    traditional) with Newcombe's hybrid-score CI, Fisher's exact test and the
    Benjamini-Hochberg adjusted p across the codes.

    These are counts of interviewees who mentioned a theme in a qualitative
    interview study, not scores: they describe who raised a code, not how much
    of a competency either group has, and the sample was not drawn to estimate
    population rates. Read the tests as descriptive.

    Counts of 1 to --min-cell - 1 interviewees are suppressed with their row.
    --json prints {"codes": [{"theme", "subtheme", "code", "clinical_x",
    "clinical_n", "traditional_y", "traditional_n", "risk_difference",
    "rd_ci": [lo, hi], "fisher_p", "p_adj", "suppressed"}], "nature", ...}.
    Numbers match R's fisher.test and p.adjust(method = "BH").

    \b
    Examples:
      qimscale themes
      qimscale themes --plot table2.png --json
    """
    from qimscale.analysis.themes import QUALITATIVE_NOTE, theme_differences

    report = Reporter(codes_file)
    with report.call():
        doc = read_codes(codes_file)
        result = theme_differences(doc["codes"], int(doc["n_clinical"]), int(doc["n_traditional"]),
                                   min_cell=min_cell, conf_level=conf_level)
        if plot:
            from qimscale.report.themes_figure import theme_dot_plot

            theme_dot_plot(result, plot)
    if as_json:
        click.echo(f"Note: {QUALITATIVE_NOTE}", err=True)
    render(result, as_json, report)
    if plot and not as_json:
        click.echo(f"wrote {plot}")
