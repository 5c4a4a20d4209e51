"""``qimscale relate``: competencies → QI performance (regression, moderation, mediation, multilevel,
correlations, latent paths).

Thin click command: parse the options, pick the bundled instrument's score columns when none are
named (:func:`qimscale.scoring.relate_vars.default_relate_variables`), make one library call
(:func:`qimscale.analysis.relate.relate`, :func:`~qimscale.analysis.relate.scale_correlations` with
``--correlations``, or :func:`~qimscale.analysis.relate.latent_paths` with ``--latent``) and render it.
"""

from __future__ import annotations

import click

from qimscale.cli._common import Reporter, emit_json, format_option, json_option, read_table, source_name, split_list
from qimscale.cli._common import progress_bar, progress_enabled, progress_option


def _interaction(ctx, param, value):
    if value is None:
        return None
    parts = [p.strip() for p in value.split(":")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise click.BadParameter(f"write FOCAL:MODERATOR with two different columns, e.g. "
                                 f"expertise:interpersonal; got {value!r}")
    return f"{parts[0]}:{parts[1]}"


def _defaults(df, outcome, predictors, blocks, instrument, report, picked):
    """Fill in the outcome and predictors from the instrument's score columns, saying what was picked."""
    if outcome and (predictors or blocks):
        return outcome, predictors
    from qimscale.errors import DataError
    from qimscale.scoring.relate_vars import default_relate_variables

    found = default_relate_variables(df.columns, instrument)
    inst = "the bundled QIM instrument" if instrument is None else f"instrument {instrument}"
    if not predictors and not blocks:
        if not found["predictors"]:
            raise DataError(f"{report.source}: no --predictors given and the data hold none of the competency "
                            f"domain scores of {inst} (run 'qimscale score' first, or name the columns with "
                            "--predictors)")
        predictors = [p for p in found["predictors"] if p != outcome]
        picked["predictors"] = predictors
        report.note(f"predictors not given: using the competency domain scores of {inst} found in DATA: "
                    + ", ".join(predictors))
    if not outcome:
        if not found["outcome"]:
            raise DataError(f"{report.source}: no --outcome given and the data hold no outcome scale of {inst}; "
                            "name it with --outcome")
        outcome = found["outcome"]
        picked["outcome"] = outcome
        report.note(f"outcome not given: using the outcome scale of {inst}: {outcome}")
    return outcome, predictors


class _Report(Reporter):
    def note(self, message):
        """One ``Note:`` line, printed once the library call succeeds (a failing run prints its Error only)."""
        super().note([message])


@click.command("relate", short_help="Relate competencies to QI performance (regression, moderation, "
                                    "mediation, multilevel).")
@click.argument("data", type=click.Path(allow_dash=True))
@click.option("--outcome", default=None,
              help="Outcome column (default: the instrument's outcome scale found in DATA, qi_performance).")
@click.option("--predictors", default=None,
              help="Comma-separated predictor columns; text columns are categories (default: the instrument's "
                   "competency domain scores found in DATA).")
@click.option("--covariates", default=None,
              help="Comma-separated covariates, entered first; with --correlations, partialled out of the "
                   "partial correlations (default: none).")
@click.option("--block", "blocks", multiple=True, metavar="a,b",
              help="A step of a hierarchical regression (repeatable, in order; covariates and --predictors come "
                   "first): R², ΔR² and its F test per step (default: no steps).")
@click.option("--interaction", default=None, callback=_interaction, metavar="FOCAL:MODERATOR",
              help="Moderation: adds FOCAL:MODERATOR with simple slopes of FOCAL at the moderator's −1 SD, mean, "
                   "+1 SD and the Johnson–Neyman interval (default: none).")
@click.option("--center", is_flag=True, help="Mean-centre the interaction's numeric variables (default: off).")
@click.option("--robust", type=click.Choice(["HC3"], case_sensitive=False), default=None,
              help="Heteroscedasticity-consistent standard errors (default: classical OLS).")
@click.option("--mediator", default=None,
              help="Mediation: each predictor → MEDIATOR → outcome, bootstrapped indirect effects (default: none).")
@click.option("--n-boot", type=click.IntRange(min=100), default=5000, show_default=True,
              help="Bootstrap replicates for --mediator.")
@click.option("--seed", type=int, default=None,
              help="Random seed for the bootstrap (default: none, so intervals vary slightly between runs).")
@click.option("--cluster", default=None,
              help="Cluster column (organisation, team): random-intercept model by REML, ICC(1), ICC(2) "
                   "(default: none, OLS).")
@click.option("--random-slope", default=None, help="A predictor whose slope varies across clusters (needs --cluster; default: none).")
@click.option("--categorical", default=None,
              help="Comma-separated columns holding numbers to treat as categories (default: none).")
@click.option("--org-outcomes", type=click.Path(dir_okay=False), default=None,
              help="File of organisation-level indicators merged into DATA by --org-key before fitting; unmatched "
                   "keys are listed (default: none).")
@click.option("--org-key", default=None, help="Key column shared by DATA and --org-outcomes (default: none).")
@click.option("--correlations", is_flag=True,
              help="Instead of a model: Pearson (Fisher-z CI), Spearman and partial correlations among --vars "
                   "(default: every scale score of the instrument found in DATA).")
@click.option("--vars", "vars_", default=None, help="Comma-separated columns for --correlations (default: the instrument's scale scores).")
@click.option("--latent", is_flag=True,
              help="Instead of scale scores: fit --model (lavaan syntax, factors → outcome) through the SEM "
                   "engine and report standardised paths.")
@click.option("--model", default=None, metavar="FILE_OR_TEXT", help="lavaan model for --latent (file or text; default: none).")
@click.option("--estimator", type=click.Choice(["ML", "MLR", "WLSMV"], case_sensitive=False), default="ML",
              show_default=True, help="Estimator for --latent (WLSMV structural paths are not available yet).")
@click.option("--ordered", default=None, help="Ordinal items for --latent (not available yet; see --estimator; default: none).")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of every interval.")
@click.option("--instrument", default=None, metavar="SPEC",
              help="Instrument whose score columns are the defaults (default: the bundled QIM instrument).")
@format_option
@json_option
@progress_option
def relate(data, outcome, predictors, covariates, blocks, interaction, center, robust, mediator, n_boot, seed,
           cluster, random_slope, categorical, org_outcomes, org_key, correlations, vars_, latent, model, estimator,
           ordered, level, instrument, fmt, as_json, no_progress):
    """Relate competencies to an outcome (QI performance) in DATA.

    DATA is any readable file (for example the output of 'qimscale score'), or
    '-' for CSV on standard input. Without --predictors and --outcome, the
    competency domain scores of the instrument (expertise, leadership,
    interpersonal) predict its outcome scale (qi_performance); a Note says so.
    Rows missing any model variable are deleted listwise and counted in a
    Warning. Terms use patsy names (Intercept, qim_type[T.traditional], a:b).

    \b
    Models (one per run):
      OLS (default)     lm; --robust HC3 as sandwich::vcovHC(type="HC3"); --block steps as anova()
      --interaction     simple slopes and Johnson-Neyman interval (closed form)
      --mediator        indirect effect a*b (lavaan ':='), percentile and BCa bootstrap CIs (boot)
      --cluster         random intercept by REML (lme4::lmer), --random-slope for one slope
      --correlations    cor.test Pearson/Spearman, partial correlations
      --latent          lavaan::sem structural paths (ML/MLR)

    \b
    Examples:
      qimscale relate scores.csv
      qimscale relate scores.csv --outcome qi_performance --predictors expertise,leadership,interpersonal \\
          --covariates tenure --robust HC3 --json
      qimscale relate scores.csv --interaction leadership:interpersonal --center
      qimscale relate scores.csv --cluster org --org-outcomes audits.csv --org-key org --outcome audit_score
    """
    modes = [m for m, on in (("--correlations", correlations), ("--latent", latent)) if on]
    if len(modes) > 1:
        raise click.UsageError("give either --correlations or --latent, not both")
    if model and not latent:
        raise click.UsageError("--model is for --latent")
    if modes and org_outcomes:
        raise click.UsageError(f"--org-outcomes works with the regression models, not with {modes[0]}")
    if center and not interaction:
        raise click.UsageError("--center mean-centres the variables of --interaction; give --interaction FOCAL:MODERATOR")
    if bool(org_outcomes) != bool(org_key):
        raise click.UsageError("--org-outcomes and --org-key go together")
    source = source_name(data)
    df = read_table(data, fmt)
    report = _Report(source)
    picked: dict = {}
    if latent:
        if not model:
            raise click.UsageError("--latent needs --model (lavaan syntax or a file)")
        from qimscale.analysis.relate import latent_paths
        from qimscale.cli.cfa_cmd import _model_text

        with report.call():
            res = latent_paths(_model_text(None, None, model), df, estimator=estimator,
                               ordered=split_list(ordered), level=level)
    elif correlations:
        from qimscale.analysis.relate import scale_correlations
        from qimscale.errors import DataError

        variables = split_list(vars_)
        if not variables:
            from qimscale.scoring.relate_vars import default_relate_variables

            variables = default_relate_variables(df.columns, instrument)["scores"]
            if len(variables) < 2:
                raise DataError(f"{source}: no --vars given and the data hold fewer than two scale scores of the "
                                "instrument; name the columns with --vars")
            picked["vars"] = variables
            report.note("--vars not given: correlating the instrument's scale scores found in DATA: "
                        + ", ".join(variables))
        with report.call():
            res = scale_correlations(df, variables, controls=split_list(covariates) or (), level=level,
                                     source=source)
    else:
        from qimscale.analysis.relate import relate as fit_relate

        blocks = [split_list(b) for b in blocks]
        outcome, preds = _defaults(df, outcome, split_list(predictors) or [], blocks, instrument, report, picked)
        org = read_table(org_outcomes) if org_outcomes else None
        with report.call(), progress_bar("bootstrap", progress_enabled(as_json, no_progress)) as tick:
            res = fit_relate(df, outcome, preds, covariates=split_list(covariates) or [], blocks=blocks,
                             interaction=interaction, center=center, robust=robust, mediator=mediator,
                             n_boot=n_boot, seed=seed, cluster=cluster, random_slope=random_slope,
                             categorical=split_list(categorical) or (), org_outcomes=org, org_key=org_key,
                             level=level, source=source, org_source=source_name(org_outcomes or ""),
                             progress=tick)
    report.warn(res.warnings)
    if as_json:
        out = res.to_dict()
        if picked:
            out["defaults"] = picked
        emit_json(out)
        return
    click.echo(res.summary())
