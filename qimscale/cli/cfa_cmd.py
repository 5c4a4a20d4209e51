"""``qimscale cfa`` and ``qimscale invariance``.

Thin click commands: parse the options, make one library call
(:class:`qimscale.analysis.cfa.CFA` / :func:`qimscale.analysis.cfa.measurement_invariance`)
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


def _estimator(estimator, ordered, collapse=(), missing="listwise"):
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


def _model_text(ctx, param, model):
    """``--model``: the text of the file it names (UTF-8, with or without a byte-order mark, as editors
    on Windows save it), else the syntax itself."""
    import os

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
        click.option("--model", "model", required=True, metavar="FILE_OR_TEXT", callback=_model_text,
                     help="lavaan model syntax, or a file holding it (required)."),
        click.option("--estimator", type=click.Choice(["ML", "MLR", "WLSMV"], case_sensitive=False),
                     default=None,
                     help="Estimator (MLR: robust SEs and scaled test; WLSMV: ordinal items). "
                          "Default: ML, or WLSMV with --ordered."),
        click.option("--ordered", default=None,
                     help="Ordinal items for WLSMV: 'all' or a comma-separated list (default: none, "
                          "all items continuous)."),
        click.option("--missing", type=click.Choice(["listwise", "fiml", "pairwise"]), default="listwise",
                     show_default=True,
                     help="Missing-data handling: listwise deletion, FIML (ML/MLR), or pairwise "
                          "(WLSMV, as lavaan's missing='pairwise')."),
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
def cfa(data, model, estimator, ordered, missing, collapse, partial, std_lv, fmt, as_json, no_progress, group,
        equal, n_boot, seed):
    """Confirmatory factor analysis / SEM of DATA with a model in lavaan syntax.

    DATA is a file in any readable format, or '-' for CSV on standard input.
    --model is the model text (for example "F1 =~ x1 + x2 + x3") or a file
    holding it. Estimates, fit measures (lavaan's fitMeasures() names with
    '.' replaced by '_') and composite reliability match lavaan::cfa(model,
    data, estimator=..., missing=..., group=..., group.equal=...) and
    semTools::compRelSEM.

    \b
    Examples:
      qimscale cfa hs.csv --model "visual =~ x1 + x2 + x3" --estimator MLR --json
      qimscale cfa survey.csv --model model.lav --estimator WLSMV --ordered all --group site
    """
    from qimscale.analysis.cfa import CFA

    estimator, merge = _estimator(estimator, ordered, collapse, missing)
    equal, partial = _group_options(group, equal, partial)
    df, report = _read(data, fmt, group, model)
    with report.call():
        if merge:
            from qimscale.analysis.cfa.wlsmv import collapse_categories

            df = collapse_categories(df, merge)
            report.warn([f"categories merged as asked: {merge}"])
        res = CFA(model, estimator=estimator, missing=missing, group=group, group_equal=equal,
                  group_partial=partial, std_lv=std_lv, ordered=_ordered(ordered, df)).fit(df)
        out = res.to_dict()
        if merge:
            out["collapsed"] = {item: {str(k): v for k, v in m.items()} for item, m in merge.items()}
        boot = None
        if n_boot:
            with progress_bar("bootstrap", progress_enabled(as_json, no_progress)) as tick:
                boot = res.bootstrap(n_boot, seed=seed, progress=tick)
    report.warn(res.warnings_)
    if boot is not None:
        out["bootstrap"] = boot.to_dict(orient="records")
    if as_json:
        emit_json(out)
        return
    click.echo(res.summary())
    if boot is not None:
        click.echo(f"\nBootstrap percentile CIs ({n_boot} replicates):")
        click.echo(boot.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    by_group = out.get("reliability_by_group") or ({None: out["reliability"]} if out["reliability"] else {})
    for label, rel in by_group.items():
        click.echo("\nReliability (compRelSEM omega, AVE)" + (f", group {label}:" if label is not None else ":"))
        for f, v in rel.items():
            click.echo(f"  {f:20s} omega = {v['omega']:.3f}  AVE = {v['ave']:.3f}")


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
    file) with more and more parameters equal across the --group column, as
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
    df, report = _read(data, fmt, group, model, min_groups=2)
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
    click.echo(_invariance_text(res, criteria))


def _p_text(p) -> str:
    """A p-value for the terminal: ``< .001`` below .001, blank when there is none.

    >>> _p_text(1e-9), _p_text(0.04271), _p_text(float("nan"))
    ('< .001', '0.0427', '')
    """
    if p is None or p != p:
        return ""
    return "< .001" if p < 0.001 else f"{p:.4f}"


def _invariance_text(res, criteria) -> str:
    """The terminal report: the indices the decision uses, each index's flag, the verdict, score tests."""
    used = {"robust": "robust", "scaled": "scaled", "standard": ""}[res.indices_used]
    sfx = f"_{used}" if used else ""
    cols = {"level": "level", "chisq_used": f"chisq{sfx}", "df": "df", "cfi_used": f"cfi{sfx}",
            "rmsea_used": f"rmsea{sfx}", "srmr": "srmr", "delta_cfi": "dCFI", "delta_rmsea": "dRMSEA",
            "delta_srmr": "dSRMR", "chisq_diff_p": "p_diff"}
    tab = res.levels[[c for c in cols if c in res.levels.columns]].rename(columns=cols)
    tab["p_diff"] = [_p_text(p) for p in res.levels["chisq_diff_p"]]
    names = {"flag_cfi": "CFI", "flag_rmsea": "RMSEA", "flag_srmr": "SRMR", "flag_chisq": "chisq"}
    tab["flagged_by"] = [",".join(n for k, n in names.items() if r.get(k)) or "-"
                         for r in res.levels.to_dict(orient="records")]
    tab["held"] = res.levels["held"].map({True: "yes", False: "no"})
    lines = [f"Measurement invariance ({res.estimator}; {used or 'standard'} indices drive the decision)",
             tab.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")]
    lines.append("flagged_by: dCFI <= -.010, dRMSEA >= .015, dSRMR >= .030 (metric) / .010 (Chen 2007; "
                 "Cheung & Rensvold 2002), chisq difference p < .05")
    for r in res.levels.to_dict(orient="records"):
        if r.get("rules_disagree"):
            lines.append(f"  {r['level']}: the rules disagree; failing under {', '.join(r['rules_failing'])}")
    lines.append(f"\nHighest level held ({criteria}): {res.highest_level_held}")
    lines.append(f"Verdict: {res.verdict}")
    for note in res.notes:
        lines.append(f"Note: {note}")
    if len(res.latent_means):
        lines.append("\nLatent mean differences (vs the first group):")
        lines.append(res.latent_means.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    sc = res.score_tests
    if sc is not None and len(sc.univariate):
        lev = res.release_tests["level"].iloc[0]
        naive = "; unscaled, as lavaan's" if res.indices_used != "standard" else ""
        lines.append(f"\nScore tests for freeing a constraint of the '{lev}' model (lavTestScore{naive}; total "
                     f"X2 = {sc.total['x2']:.2f}, df = {sc.total['df']}); candidates for --partial:")
        uni = sc.univariate.head(8).copy()
        uni["cumulative_x2"] = sc.cumulative.x2.head(8).to_numpy() if len(sc.cumulative) else float("nan")
        uni["pvalue"] = [_p_text(p) for p in uni["pvalue"]]
        lines.append(uni.drop(columns=["epc"]).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    ps = res.partial_search
    if ps:
        freed = ", ".join(f"{f['parameter']} (X2 = {f['x2']:.2f})" for f in ps["freed"]) or "nothing"
        lines.append(f"\nPartial {ps['level']} search: freed {freed}; "
                     + ("the level holds" if ps["held"] else f"stopped: {ps['stopped']}"))
    return "\n".join(lines)
