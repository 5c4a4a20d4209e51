"""``qimscale power``: Monte Carlo power for planning a (multi-country) study."""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, progress_bar, progress_enabled

_TARGETS = ["ttest", "moderation", "multilevel", "cfa_fit", "invariance"]


def _finite(value, name):
    """A number option must be a finite number ('nan' and 'inf' parse as floats)."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"must be a finite number; got {value}", param_hint=name)
    return value


def _check_plot_path(plot) -> None:
    """Refuse a --plot the figure cannot be written to before the (long) simulation, not after it."""
    from pathlib import Path

    from qimscale.errors import DataError

    p = Path(plot)
    if p.suffix.lower() not in (".png", ".svg"):
        raise DataError(f"{p}: the power curve is written as .png or .svg")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise DataError(f"{p}: the folder {parent} does not exist")


def _grid(ctx, param, value):
    try:
        ns = sorted({int(v) for v in value.split(",") if v.strip()})
    except ValueError:
        raise click.BadParameter(f"expected whole numbers separated by commas, e.g. 100,200,300; got {value!r}")
    if not ns or ns[0] < 2:
        raise click.BadParameter("sample sizes must be at least 2")
    return ns


@click.command("power", short_help="Monte Carlo power and sample size for the planned study.")
@click.option("--target", type=click.Choice(_TARGETS), required=True,
              help="What to power: ttest (traditional vs clinical, Welch t; N per group), moderation "
                   "(interpersonal x expertise, OLS), multilevel (fixed effect, random intercepts), cfa_fit "
                   "(P(CFI >= .95 and RMSEA <= .06), WLSMV), invariance (one item's shift in one of the "
                   "model's countries; N per country).")
@click.option("--n", "grid", required=True, callback=_grid, metavar="N[,N...]",
              help="Sample sizes (per group for ttest and invariance, total otherwise).")
@click.option("--reps", type=click.IntRange(min=1), default=500, show_default=True, help="Replications per N.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed: the same seed gives identical rows whatever --jobs or --scheduler.")
@click.option("--effect", type=float, callback=lambda c, p, v: _finite(v, "--effect"), help="Override the model's effect: d (ttest), the interaction (moderation), "
                                           "the fixed effect (multilevel), the item shift in SD (invariance) (default: the "
                                           "population model's).")
@click.option("--scale", help="ttest: the scale compared (default: the largest planned difference).")
@click.option("--item", help="invariance: the non-invariant item (default: the model's planted one).")
@click.option("--icc", type=float, callback=lambda c, p, v: _finite(v, "--icc"), help="multilevel: the outcome's ICC (default: the model's).")
@click.option("--rule", type=click.Choice(["chisq", "chen2007", "chen2007_all", "cheung_rensvold"]), default="chisq",
              show_default=True, help="invariance: how non-invariance counts as detected: the scalar χ² "
                                      "difference test, or a fit-index rule (the metric level must hold and the "
                                      "scalar level fail; a configural model that does not fit is not converged).")
@click.option("--indices", type=click.Choice(["robust", "scaled"]), default="robust", show_default=True,
              help="cfa_fit: judge lavaan's robust indices for categorical data or the scaled ones.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="Significance level of the tests.")
@click.option("--power", "goal", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8,
              show_default=True, help="The power to reach (for the smallest adequate N).")
@click.option("--model", type=click.Path(dir_okay=False), metavar="FILE",
              help="Population model YAML (default: the bundled analysis/population.yaml).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Local processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT|local:N",
              help="Run the replications on a Dask cluster (needs 'pip install qimscale[dask]'; "
                   "default: local processes, see --jobs).")
@click.option("--resume", type=click.Path(file_okay=False), metavar="DIR",
              help="Save replications to DIR as they finish and skip those already there (default: "
                   "not saved).")
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE", help="Write the power curve (.png, .svg; default: no figure).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def power(target, grid, reps, seed, effect, scale, item, icc, rule, indices, alpha, goal, model, jobs, scheduler,
          resume, plot, quiet, as_json):
    """Monte Carlo power for a study drawn from the population model.

    \b
    Each replication simulates a study (analysis/population.yaml, with the
    option overrides), analyses it as the real study would, and records
    whether the effect was detected and whether the fit converged. Output:
    power with its Monte Carlo SE per N, the convergence rate, the smallest
    N reaching --power (interpolated, with a range from +/- 1.96 MC SE) and,
    where a closed form exists, the analytic answer beside it.

    \b
    Example:
      qimscale power --target ttest --n 40,60,80,100 --reps 500 --seed 1 --jobs 2
    """
    from qimscale.study.power import run_power_study

    if plot:
        _check_plot_path(plot)
    with Reporter().call(), progress_bar(f"power ({target})", progress_enabled(as_json, quiet)) as tick:
        res = run_power_study(target, grid, reps=reps, seed=seed, model=model, effect=effect, scale=scale,
                              item=item, icc=icc, alpha=alpha, goal=goal, rule=rule, indices=indices, jobs=jobs,
                              scheduler=scheduler, resume=resume, progress=tick)
    if plot:
        from qimscale.report.study_figures import power_curve

        power_curve(res, plot)
    for w in res.warnings:
        click.echo(f"Warning: {w}", err=True)
    if as_json:
        emit_json(res.to_dict())
        return
    unit = "per group" if res.settings.get("per_group") else "total"
    click.echo(f"Power for {target} ({reps} replications per N, seed {seed}; N {unit})")
    an = {int(r["n"]): r["power"] for r in res.analytic.to_dict(orient="records")} if res.analytic is not None else {}
    for r in res.rows.itertuples():
        extra = f"   analytic {an[r.n]:.3f}" if r.n in an else ""
        click.echo(f"  N = {r.n:<6d} power {r.power:.3f} (MC SE {r.mc_se:.3f})  converged {r.converged:.0%}{extra}")
    if res.n_required is not None:
        lo, hi = res.n_required_range
        rng = f" (range {lo:.0f}-{hi:.0f})" if lo is not None and hi is not None else ""
        click.echo(f"Smallest N reaching {goal:g}: {res.n_required:.0f}{rng}")
    info = res.settings.get("analytic") or {}
    if info.get("n_required") is not None:
        lo, hi = (info.get("n_required_range") or [None, None])[:2]
        rng = f" (range {lo}-{hi})" if lo is not None and hi is not None else ""
        click.echo(f"Analytic ({info['method']}): N = {info['n_required']}{rng}")
