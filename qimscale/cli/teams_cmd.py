"""``qimscale teams``: team sizes, QIM-type diversity and the aggregation statistics.

Thin click command: read DATA, resolve the variables and their items from the
instrument (:func:`qimscale.scoring.relate_vars.scale_item_map`), make one library
call (:func:`qimscale.analysis.teams.team_aggregation`) and render it.
"""

from __future__ import annotations

import click

from qimscale.cli._common import format_option, json_option
from qimscale.cli.relate_cmd import default_variables, id_cols_option, min_cell_option, read_study_data, render


@click.command("teams", short_help="Teams: n, Blau index of QIM type, ICC(1), ICC(2), rwg(j).")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--team", "team", required=True, metavar="COL", help="Team column (for example team_id).")
@click.option("--vars", "vars_", metavar="a,b",
              help="Scores to aggregate (default: every scale score of the instrument found in DATA).")
@click.option("--type-col", "type_col", metavar="COL",
              help="QIM type column for the Blau index (default: qim_type when DATA has it).")
@click.option("--instrument", metavar="SPEC", help="Instrument giving the scales' items and response range "
                                                  "(default: the bundled QIM instrument).")
@min_cell_option
@id_cols_option
@json_option
@format_option
def teams(data, team, vars_, type_col, instrument, min_cell, id_cols, as_json, fmt):
    """Per team: n and the Blau index of QIM type (1 - sum of squared shares;
    0 = one type, .5 = evenly mixed). Per variable: ICC(1) and ICC(2) from the
    one-way ANOVA (Bliese 2000; multilevel::ICC1/ICC2) and rwg(j) per team over
    the scale's items against a uniform null (James, Demaree & Wolf 1984),
    with their median and the number of teams reaching .70.

    Teams with fewer than --min-cell members are suppressed and left out of
    every statistic. A team column that identifies teams (team_id) is shown
    as 'team 1', 'team 2', ... Note that a team's Blau index, with its n,
    tells how many of its members are of each QIM type.

    --json prints {"teams": [{"team", "n", "blau", "rwg_j": {...}}],
    "aggregation": [{"variable", "icc1", "icc2", "rwg_j_median",
    "n_teams_rwg_70", ...}]}.

    \b
    Examples:
      qimscale score raw.csv --keep-identifiers --out scores.csv
      qimscale teams scores.csv --team team_id --json
    """
    from qimscale.analysis.teams import team_aggregation
    from qimscale.scoring.relate_vars import scale_item_map

    df, ids, report = read_study_data(data, fmt, id_cols, instrument)
    with report.call():
        variables, note = default_variables(df.columns, vars_, instrument, df)
        items, options = scale_item_map(df.columns, variables, instrument)
        if type_col is None and "qim_type" in df.columns:
            type_col = "qim_type"
        result = team_aggregation(df, team, variables, items=items, n_options=options, type_col=type_col,
                                  min_cell=min_cell, identifiers=[i for i in ids if i != team],
                                  pseudonymise=team in ids)
    if note:
        result.notes.insert(0, note.replace("compared", "aggregated"))
    render(result, as_json, report)
