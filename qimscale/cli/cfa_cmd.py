"""``qimscale cfa`` and ``qimscale invariance``.

Thin click commands: parse the options, make one library call
(:func:`qimscale.analysis.cfa.run_cfa` / :func:`qimscale.analysis.cfa.measurement_invariance`)
and render its result. ``--json`` prints exactly what the library returns.
"""

from __future__ import annotations

import click

from qimscale.cli._common import emit_json, split_list
from qimscale.cli._common import Reporter, format_option, json_option, read_table, source_name
from qimscale.cli._common import progress_bar, progress_enabled, progress_option


def _ordered(value, df):
    if value is None:
        return None
    if value.strip().lower() == "all":
        return "all"
    return split_list(value)


def _estimator(estimator, ordered, collapse=(), missing=None):
    """The estimator, ``--missing`` and the ``--collapse`` merges, checked together.

    ML by default, WLSMV with --ordered (as lavaan). Usage errors (exit 2):
    ML or MLR with ordinal items, WLSMV without them, FIML with WLSMV,
    pairwise deletion with ML/MLR, category merges without WLSMV.
    """
    if estimator is None:
        est = "WLSMV" if ordered else "ML"
    else:
        est = estimator.upper()
        if ordered and est != "WLSMV":
            raise click.BadParameter(f"--ordered items need --estimator WLSMV (or no --estimator); "
                                     f"got {estimator}", param_hint="--estimator")
        if est == "WLSMV" and not ordered:
            raise click.BadParameter("WLSMV is for ordinal items: name them with --ordered (all, or a,b,c)",
                                     param_hint="--estimator")
    if missing == "fiml" and est == "WLSMV":
        raise click.BadParameter("FIML is for ML/MLR; with ordinal items (WLSMV) use listwise or pairwise",
                                 param_hint="--missing")
    if missing == "pairwise" and est != "WLSMV":
        raise click.BadParameter(f"pairwise deletion is for ordinal items (WLSMV); with {est} use listwise or "
                                 "fiml", param_hint="--missing")
    merge = _collapse(collapse)
    if merge and est != "WLSMV":
        raise click.BadParameter("merging categories is for ordinal items (WLSMV)", param_hint="--collapse")
    return est, merge


def _read(data, fmt, group=None, model="", min_groups=1):
    """DATA as a DataFrame and the command's warning reporter (which names the file).

    Whole-number group codes stored as floats (a column with a blank cell, any .dta)
    or as nullable integers (Parquet from 'qimscale score') become text without '.0',
    so group 1 is labelled "1" (as lavaan does) whatever the file stores, and a blank
    code is NaN, never pandas' NA. A group column that the model uses is left as it is
    (the fit rejects it). Fewer than ``min_groups`` groups is a data error.
    """
    import re

    df = read_table(data, fmt)
    col = df[group] if group is not None and group in df.columns else None
    in_model = col is not None and re.search(rf"(?<![\w.]){re.escape(group)}(?![\w.])", model)
    if col is not None and not in_model and (col.dtype.kind == "f" or (col.dtype.kind in "iu" and col.isna().any())):
        col = col.astype("float64")  # pandas' NA (nullable integers) becomes NaN
        if (col.dropna() % 1 == 0).all():
            df[group] = col.map(lambda v: str(int(v)), na_action="ignore")
    if col is not None and col.nunique() < min_groups:
        from qimscale.errors import DataError

        values = col.dropna().unique()
        raise DataError(f"{source_name(data)}: the group column '{group}' "
                        + (f"holds one value ({values[0]}); comparing groups needs at least {min_groups} groups"
                           if len(values) else "is empty; fill it in or leave out --group"))
    return df, Reporter(source_name(data))


def _default_missing(missing, estimator, report=None):
    """``--missing`` when not given: pairwise with WLSMV (as Mplus; stated in a note); listwise with ML/MLR
    (lavaan's default; the fit's warning gives the share of rows dropped and the alternatives). FIML is
    not the ML default because it is much slower on the instrument's 45-item model."""

    if missing is not None:
        return missing
    if estimator == "WLSMV":
        if report is not None:
            report.note(["missing = pairwise (the default with WLSMV, as in Mplus: each threshold and polychoric "
                         "correlation uses every row answering its items); --missing listwise keeps complete "
                         "rows only"])
        return "pairwise"
    return "listwise"


_MODEL_CHOICE = "qimscale.model_choice"


def _remember(ctx, param, value):
    """Keep --instrument/--kind/--domain/--order for :func:`_default_model` (they matter without --model)."""
    ctx.meta.setdefault(_MODEL_CHOICE, {})[param.name] = (list(value) or None) if param.name == "domain" else value
    return value


def _default_model(model, df, report):
    """``(model, data)``: the --model given, else the instrument's model (reverse keys applied to the data)."""
    choice = click.get_current_context().meta.get(_MODEL_CHOICE, {})
    if model is not None:
        if choice.get("kind") or choice.get("domain") or choice.get("order") not in (None, 1):
            raise click.UsageError("--kind/--domain/--order build the model from the instrument; leave them out "
                                   "with --model")
        return model, df
    from qimscale.scoring.scales import model_from_instrument

    with report.call():
        model, df, notes = model_from_instrument(df, instrument=choice.get("instrument"), kind=choice.get("kind"),
                                                 domain=choice.get("domain"), order=choice.get("order") or 1)
    report.note(notes)
    return model, df


def _model_text(ctx, param, model):
    """``--model``: the text of the file it names (UTF-8, with or without a byte-order mark, as editors
    on Windows save it), else the syntax itself."""
    import os

    if model is None:
        return None
    path = model.strip()
    if "\n" in model or not os.path.isfile(path):
        return model
    from qimscale.errors import DataError

    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the model file is not UTF-8 text (byte {exc.start + 1} is "
                        f"0x{exc.object[exc.start]:02x}); save it as UTF-8") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the model file ({exc.strerror})") from None


def _collapse(specs):
    """``--collapse ITEM:OLD=NEW[,OLD=NEW]`` (repeatable) as ``{item: {old: new}}``.

    >>> _collapse(("y4:1=2", "y5:5=4,4=3"))
    {'y4': {1.0: 2.0}, 'y5': {5.0: 4.0, 4.0: 3.0}}
    """
    out: dict = {}
    for spec in specs or ():
        item, sep, rest = spec.partition(":")
        pairs = [p.partition("=") for p in (split_list(rest) or [])]
        try:
            mapping = {float(a): float(b) for a, eq, b in pairs if eq}
        except ValueError:
            mapping = {}
        if not sep or not item.strip() or not mapping or len(mapping) != len(pairs):
            raise click.BadParameter(f"expected ITEM:OLD=NEW[,OLD=NEW], e.g. y4:1=2; got {spec!r}",
                                     param_hint="--collapse")
        out.setdefault(item.strip(), {}).update(mapping)
    return out


def _group_options(group, equal, partial):
    """``--equal``/``--partial`` as lists, checked: known constraint types, and only with ``--group``."""
    from qimscale.analysis.cfa.partable import GROUP_EQUAL_TYPES

    equal, partial = split_list(equal) or [], split_list(partial) or []
    bad = [e for e in equal if e not in GROUP_EQUAL_TYPES]
    if bad:
        raise click.BadParameter(f"{', '.join(map(repr, bad))} not among {', '.join(GROUP_EQUAL_TYPES)}",
                                 param_hint="--equal")
    if (equal or partial) and not group:
        raise click.UsageError(f"{'--equal' if equal else '--partial'} constrains parameters across groups; "
                               "give the grouping column with --group")
    return tuple(equal), tuple(partial)


def _shared(func):
    opts = [
        click.argument("data", type=click.Path(allow_dash=True)),
        click.option("--model", "model", default=None, metavar="FILE_OR_TEXT", callback=_model_text,
                     help="lavaan model syntax, or a file holding it (default: the instrument's model, one "
                          "factor per competency sub-scale, reverse-keyed items recoded)."),
        click.option("--instrument", metavar="SPEC", expose_value=False, callback=_remember,
                     help="Instrument whose model to fit when --model is not given (default: the bundled "
                          "QIM instrument)."),
        click.option("--kind", type=click.Choice(["competency", "outcome", "exploratory", "all"]), default=None,
                     expose_value=False, callback=_remember,
                     help="Without --model: which of the instrument's scales to model (default: competency; "
                          "with --domain: every scale of that domain)."),
        click.option("--domain", multiple=True, metavar="ID", expose_value=False, callback=_remember,
                     help="Without --model: only the scales of this domain (repeatable; default: all)."),
        click.option("--order", type=click.Choice(["1", "2"]), default=None, expose_value=False,
                     callback=lambda c, p, v: _remember(c, p, None if v is None else int(v)),
                     help="Without --model: 1 = factors for the sub-scales, 2 = domains over sub-scales "
                          "(default: 1)."),
        click.option("--estimator", type=click.Choice(["ML", "MLR", "WLSMV"], case_sensitive=False),
                     default=None,
                     help="Estimator (MLR: robust SEs and scaled test; WLSMV: ordinal items). "
                          "Default: ML, or WLSMV with --ordered."),
        click.option("--ordered", default=None,
                     help="Ordinal items for WLSMV: 'all' or a comma-separated list; with a list the other "
                          "observed variables are continuous (means, variances, polyserial and Pearson "
                          "correlations, as lavaan); variables that only predict ('F ~ x') are numeric "
                          "covariates, fitted as lavaan's conditional.x (default: none, all items continuous)."),
        click.option("--missing", type=click.Choice(["listwise", "fiml", "pairwise"]), default=None,
                     help="Missing-data handling: listwise deletion, FIML (ML/MLR), or pairwise "
                          "(WLSMV, as lavaan's missing='pairwise'). Default: pairwise with WLSMV (as Mplus); listwise "
                          "with ML/MLR (as lavaan; the rows dropped are counted in a warning)."),
        click.option("--collapse", "collapse", multiple=True, metavar="ITEM:OLD=NEW[,OLD=NEW]",
                     help="Merge categories of an ordinal item explicitly, e.g. 'y4:1=2' puts category 1 "
                          "of y4 into 2 (WLSMV; repeatable; default: none, empty categories are an error)."),
        click.option("--partial", default=None,
                     help="Parameters freed across groups, e.g. 'x3~1,F=~x2' (default: none)."),
        click.option("--std-lv", is_flag=True, default=False, show_default=True,
                     help="Identify factors by unit variances (default: first loading fixed to 1)."),
        format_option,
        json_option,
        progress_option,
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


@click.command("cfa", short_help="Confirmatory factor analysis / SEM (lavaan syntax).")
@_shared
@click.option("--group", default=None,
              help="Grouping column for a multi-group model (default: none, one group).")
@click.option("--equal", default=None,
              help="Equal across groups: loadings,intercepts,thresholds,residuals,lv.variances,means "
                   "(default: none).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=2), default=None,
              help="Bootstrap replicates for percentile CIs of the free and ':=' parameters "
                   "(default: no bootstrap).")
@click.option("--seed", type=int, default=None,
              help="Random seed for --bootstrap (default: none, so the intervals vary from run to run).")
@click.option("--modindices", "mi_min", type=click.FloatRange(min=0), default=None, metavar="MIN",
              help="List the modification indices of at least MIN, largest first (lavaan's "
                   "modindices(fit, minimum.value = MIN); e.g. --modindices 10; default: not listed).")
def cfa(data, model, estimator, ordered, missing, collapse, partial, std_lv, fmt, as_json, no_progress, group,
        equal, n_boot, seed, mi_min):
    """Confirmatory factor analysis / SEM of DATA with a model in lavaan syntax.

    DATA is a file in any readable format, or '-' for CSV on standard input.
    --model is the model text (for example "F1 =~ x1 + x2 + x3") or a file
    holding it; without it, the instrument's model is fitted (one factor per
    competency sub-scale, reverse-keyed items recoded; --kind, --domain and
    --order 2 choose others). Estimates, fit measures (lavaan's fitMeasures()
    names with '.' replaced by '_') and composite reliability match
    lavaan::cfa(model, data, estimator=..., missing=..., group=...,
    group.equal=...) and semTools::compRelSEM.

    \b
    Examples:
      qimscale cfa hs.csv --model "visual =~ x1 + x2 + x3" --estimator MLR --json
      qimscale cfa survey.csv --model model.lav --estimator WLSMV --ordered all --group site
      qimscale cfa scores.csv --ordered all --order 2
      qimscale cfa survey.csv --model model.lav --ordered all --modindices 10
    """
    from qimscale.analysis.cfa import run_cfa

    estimator, merge = _estimator(estimator, ordered, collapse, missing)
    equal, partial = _group_options(group, equal, partial)
    df, report = _read(data, fmt, group, model or "")
    model, df = _default_model(model, df, report)
    missing = _default_missing(missing, estimator, report)
    with report.call(), progress_bar("bootstrap", bool(n_boot) and progress_enabled(as_json, no_progress)) as tick:
        run = run_cfa(df, model, estimator=estimator, ordered=_ordered(ordered, df), missing=missing,
                      collapse=merge, group=group, group_equal=equal, group_partial=partial, std_lv=std_lv,
                      n_boot=n_boot, seed=seed, progress=tick, modindices=mi_min)
        out = run.to_dict()
    report.warn(run.warnings)
    if as_json:
        emit_json(out)
        return
    click.echo(run.summary())


@click.command("invariance", short_help="Measurement invariance across groups.")
@_shared
@click.option("--group", required=True, help="Grouping column (required).")
@click.option("--criteria", type=click.Choice(["chen2007", "chen2007_all", "cheung_rensvold", "chisq"]),
              default="chen2007", show_default=True,
              help="Rule deciding whether a level holds: chen2007 fails a level that any of dCFI <= -.010, "
                   "dRMSEA >= .015, dSRMR >= .030 (metric) / .010 flags (Chen 2007); chen2007_all needs "
                   "dCFI and one of the others; cheung_rensvold: dCFI < -.010 (Cheung & Rensvold 2002); "
                   "chisq: difference test p < .05.")
@click.option("--configural-cfi", type=click.FloatRange(0, 1), default=0.90, show_default=True,
              help="CFI the configural model needs (robust for MLR, scaled for WLSMV).")
@click.option("--configural-rmsea", type=click.FloatRange(0, None), default=0.10, show_default=True,
              help="Largest RMSEA the configural model may have.")
@click.option("--search-partial", is_flag=True, default=False,
              help="Free the constraints of the first failing level one at a time (largest score test "
                   "first) until it holds, and report what was freed (default: off).")
@click.option("--max-free", type=click.IntRange(min=1), default=None,
              help="At most this many parameters freed by --search-partial (default: no limit beyond "
                   "two constrained indicators per factor).")
def invariance(data, model, estimator, ordered, missing, collapse, partial, std_lv, fmt, as_json, no_progress,
               group, criteria, configural_cfi, configural_rmsea, search_partial, max_free):
    """Measurement invariance across the groups of DATA: configural, metric, scalar, strict.

    Fits the sequence of multi-group models of --model (lavaan syntax, or a
    file; default: the instrument's model of its competency sub-scales, as
    for 'qimscale cfa') with more and more parameters equal across the
    --group column, as
    semTools::measurementInvariance / lavaan's group.equal, and reports each
    level's fit, the changes in CFI/RMSEA/SRMR with each index's flag side by
    side, the chi-square difference test and the highest level that holds
    under --criteria. The configural model must fit (--configural-cfi,
    --configural-rmsea) or invariance is not assessable. Score tests
    (lavaan::lavTestScore) for the first failing level show which equality
    constraints to release. Ordinal items (WLSMV) stop at scalar: their
    residual variances are not parameters under the delta parameterization.

    \b
    Example:
      qimscale invariance survey.csv --model model.lav --group country --estimator MLR --search-partial
    """
    from qimscale.analysis.cfa import measurement_invariance

    estimator, merge = _estimator(estimator, ordered, collapse, missing)
    _, partial = _group_options(group, None, partial)
    df, report = _read(data, fmt, group, model or "", min_groups=2)
    model, df = _default_model(model, df, report)
    missing = _default_missing(missing, estimator, report)
    with report.call(), progress_bar("invariance levels", progress_enabled(as_json, no_progress)) as tick:
        res = measurement_invariance(model, df, group=group, estimator=estimator, missing=missing,
                                     std_lv=std_lv, group_partial=partial, criteria=criteria,
                                     ordered=_ordered(ordered, df), collapse=merge or None, progress=tick,
                                     configural_fit={"cfi": configural_cfi, "rmsea": configural_rmsea},
                                     search_partial=search_partial, max_free=max_free)
        out = res.to_dict()
    report.warn_by_part(out["warnings"])
    if as_json:
        emit_json(out)
        return
    click.echo(res.summary())
