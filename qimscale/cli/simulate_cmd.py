"""``qimscale simulate`` and ``qimscale demo``: simulated studies from the population model."""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json

_FORMATS = ["csv", "redcap", "qualtrics", "limesurvey", "kobo", "spss"]


@click.command("simulate", short_help="Simulate a study from the population model, as a platform export.")
@click.option("--n", "n", type=click.IntRange(min=2), default=900, show_default=True,
              help="Number of respondents.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed: the same seed gives the same file on every machine.")
@click.option("--model", type=click.Path(dir_okay=False), metavar="FILE",
              help="Population model YAML (default: the bundled analysis/population.yaml).")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="csv", show_default=True,
              help="Write the data as this platform exports it (csv = one column of codes per field).")
@click.option("--form", default="self", show_default=True, help="Instrument form whose fields to write.")
@click.option("--instrument", metavar="SPEC", help="Instrument YAML (default: the bundled QIM instrument).")
@click.option("--out", type=click.Path(dir_okay=False), required=True, metavar="FILE",
              help="Output file (.sav for --format spss, else .csv).")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as one JSON object.")
def simulate(n, seed, model, fmt, form, instrument, out, as_json):
    """Simulate respondents to the instrument from a population model and write them as a
    survey platform would export them.

    \b
    The model (correlated competency factors, ordinal items with thresholds,
    traditional vs clinical mean differences, countries with an optional
    non-invariant item, organisations, a QI-performance outcome with the
    interpersonal x expertise interaction, N/A answers, blanks and careless
    responders) is documented in analysis/population.yaml.

    \b
    Example:
      qimscale simulate --n 600 --seed 7 --format qualtrics --out sim.csv
      qimscale score sim.csv --out scores.csv
    """
    from qimscale.instrument import load_instrument
    from qimscale.io.platform_data import write_platform
    from qimscale.study.population import simulate_study

    inst = load_instrument(instrument)
    data, info = simulate_study(n, seed, instrument=inst, model=model)
    path = write_platform(inst, data, fmt, out, form=form)
    summary = {"path": str(path), "format": fmt, "n": int(len(data)), "seed": seed, "model": info["model"],
               "groups": {str(k): int(v) for k, v in zip(*_counts(info["groups"]))},
               "countries": {str(k): int(v) for k, v in zip(*_counts(data["country"].to_numpy()))}
               if "country" in data else {},
               "n_careless": int(info["careless"].sum())}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"wrote {path}: {summary['n']} simulated respondents ({fmt}, seed {seed}, {info['model']})")


def _counts(values):
    import numpy as np

    return np.unique(values.astype(str), return_counts=True)


@click.command("demo", short_help="Simulate, score and validate a whole 3-country study end to end.")
@click.option("--n", "n", type=click.IntRange(min=50), default=900, show_default=True,
              help="Number of simulated respondents.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--out", type=click.Path(file_okay=False), default="qimscale-out", show_default=True,
              metavar="DIR", help="Output folder.")
@click.option("--quiet", is_flag=True, help="Do not print the steps on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON object.")
def demo(n, seed, out, quiet, as_json):
    """Run a whole simulated 3-country validation study: simulate, export, score, validate.

    \b
    Simulates N QI managers in 3 countries and 45 organisations (36 % traditional,
    one non-invariant item in the UK), writes the exports each team would download
    (REDCap for NZ and AU, Qualtrics for the UK) into DIR/exports/, scores them as
    real exports are scored, writes the scores and the scoring log to DIR, and runs
    the validation study (invariance across country and QIM type) into
    DIR/report.html, DIR/results.json, DIR/tables/ and DIR/figures/.

    \b
    Example:
      qimscale demo --out qimscale-out
    """
    from qimscale.study.demo import run_demo

    def progress(step):
        if not (quiet or as_json):
            click.echo(f"[demo] {step}", err=True)

    written = run_demo(out, n=n, seed=seed, progress=progress)
    if as_json:
        emit_json(written)
    else:
        click.echo(f"wrote {written['report']} (open it in a browser), {written['results']}, "
                   f"{written['scores']} ({written['n']} respondents) and the exports in {out}/exports/")
