"""``relate``: competencies → an outcome by OLS, moderation, mediation or a mixed model; one result type."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qimscale._core.result import Result
from qimscale.errors import DataError, ModelError

from . import mediation as _med
from . import mixed as _mixed
from . import ols as _ols
from .design import Design, merge_org_outcomes, org_merge_warnings, parse_interaction, prepare, term_name

CONTRACT_COLUMNS = ["term", "estimate", "se", "statistic", "p", "ci_lower", "ci_upper"]


@dataclass
class RelateResult(Result):
    """What :func:`relate` returns: the fitted model and everything asked for around it.

    Attributes
    ----------
    model : str
        ``"ols"``, ``"mixed"`` or ``"mediation"``.
    outcome, formula : str
    n : int
        Analysed rows (after listwise deletion; ``deletion`` says how many were dropped and why).
    coefficients : pandas.DataFrame
        ``term`` (patsy names: ``Intercept``, ``qim_type[T.traditional]``, ``a:b``), ``estimate, se,
        statistic, p, ci_lower, ci_upper`` and, for OLS, ``std_estimate``. For mediation: the outcome model.
    se_type : str
        ``"classical"``, ``"HC3"`` or ``"model-based (REML)"``.
    r2, adj_r2, f_statistic, df_model, df_resid, f_p, sigma : float or None
        OLS fit.
    steps : pandas.DataFrame or None
        Hierarchical steps (:func:`~qimscale.analysis.relate.ols.hierarchical_steps`).
    simple_slopes : pandas.DataFrame or None
    johnson_neyman : dict or None
    random_effects : dict or None
        ``group_var, residual_var`` (and ``slope_var``, ``intercept_slope_cov`` with a random slope).
    icc : dict or None
        ``icc1`` (null random-intercept model), ``icc2`` and ``icc1_anova`` (one-way ANOVA), ``msb, msw``.
    n_groups : int or None
    convergence : dict or None
    mediator_model : pandas.DataFrame or None
        Coefficients of ``mediator ~ predictors + covariates``.
    indirect : pandas.DataFrame or None
        ``predictor, estimate, boot_se, ci_lower, ci_upper`` (percentile), ``bca_lower, bca_upper``.
    effects : pandas.DataFrame or None
        ``predictor, a, b, direct, total, indirect`` (mediation).
    bootstrap : dict or None
        ``n_boot, seed, level``.
    deletion : dict
        ``n_total, n_used, n_dropped, missing_by_column, rule``.
    centered : dict
        Columns mean-centred and the means subtracted.
    org_merge : dict or None
        The organisation-level merge (:func:`~qimscale.analysis.relate.design.merge_org_outcomes`).
    warnings : list of str
    """

    model: str
    outcome: str
    formula: str
    n: int
    coefficients: pd.DataFrame
    se_type: str
    deletion: dict
    r2: float | None = None
    adj_r2: float | None = None
    f_statistic: float | None = None
    df_model: float | None = None
    df_resid: float | None = None
    f_p: float | None = None
    sigma: float | None = None
    steps: pd.DataFrame | None = None
    simple_slopes: pd.DataFrame | None = None
    johnson_neyman: dict | None = None
    random_effects: dict | None = None
    icc: dict | None = None
    n_groups: int | None = None
    convergence: dict | None = None
    mediator_model: pd.DataFrame | None = None
    indirect: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    bootstrap: dict | None = None
    centered: dict = field(default_factory=dict)
    org_merge: dict | None = None
    level: float = 0.95
    warnings: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return {"ols": "Linear regression (OLS)", "mixed": "Linear mixed model (REML)",
                "mediation": "Mediation (OLS paths, bootstrapped indirect effect)"}[self.model]

    def to_dict(self) -> dict:
        """The CLI contract's ``relate`` object plus the parts this fit has."""
        out = {"model": self.model, "outcome": self.outcome, "formula": self.formula, "n": self.n,
               "se_type": self.se_type, "level": self.level,
               "coefficients": self.coefficients.to_dict(orient="records"),
               "r2": self.r2, "adj_r2": self.adj_r2, "deletion": self.deletion}
        if self.model != "mixed":
            out.update(f_statistic=self.f_statistic, df_model=self.df_model, df_resid=self.df_resid, f_p=self.f_p,
                       sigma=self.sigma)
        for name in ("steps", "simple_slopes", "mediator_model", "indirect", "effects"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v.to_dict(orient="records")
        for name in ("johnson_neyman", "random_effects", "convergence", "bootstrap", "org_merge"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        if self.icc is not None:
            out["icc1"] = self.icc["icc1"]
            out["icc2"] = self.icc["icc2"]
            out["icc"] = self.icc
            out["n_groups"] = self.n_groups
        if self.centered:
            out["centered"] = self.centered
        out["warnings"] = list(self.warnings)
        return out

    def tables(self) -> dict:
        out = {"coefficients": self.coefficients}
        for name in ("steps", "simple_slopes", "mediator_model", "effects", "indirect"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out

    def summary(self) -> str:
        fmt = {"float_format": lambda v: f"{v:.4f}", "index": False}
        lines = [f"{self.title}: {self.formula}", f"n = {self.n}"
                 + (f" ({self.deletion['n_dropped']} of {self.deletion['n_total']} rows dropped by listwise "
                    "deletion)" if self.deletion["n_dropped"] else ""), f"Standard errors: {self.se_type}"]
        if self.centered:
            lines.append("Mean-centred: " + ", ".join(f"{k} (mean {v:.4g})" for k, v in self.centered.items()))
        title = "Outcome model" if self.model == "mediation" else "Coefficients"
        lines += ["", f"{title}:", self.coefficients.to_string(**fmt)]
        if self.r2 is not None:
            lines.append(f"R² = {self.r2:.4f}, adjusted R² = {self.adj_r2:.4f}, F({self.df_model:g}, "
                         f"{self.df_resid:g}) = {self.f_statistic:.4f}, p = {self.f_p:.4g}")
        if self.steps is not None:
            lines += ["", "Hierarchical steps (ΔR² and its F test against the previous step):",
                      self.steps.to_string(**fmt)]
        if self.simple_slopes is not None:
            lines += ["", f"Simple slopes of '{self.johnson_neyman['focal']}' at values of "
                      f"'{self.johnson_neyman['moderator']}':", self.simple_slopes.to_string(**fmt),
                      "Johnson–Neyman: " + _ols.jn_sentence(self.johnson_neyman)
                      + " (observed range {:.4g} to {:.4g}).".format(
                          *[v + self.centered.get(self.johnson_neyman["moderator"], 0.0)
                            for v in self.johnson_neyman["moderator_range"]])]
        if self.random_effects is not None:
            re = self.random_effects
            lines += ["", f"Random effects ({self.n_groups} clusters): "
                      + ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in re.items())]
            lines.append(f"ICC(1) (null model) = {self.icc['icc1']:.4f}, ICC(2) = {self.icc['icc2']:.4f}")
            c = self.convergence
            lines.append(f"Converged: {'yes' if c['converged'] else 'NO'} ({c['criteria']}; gradient "
                         f"{c['gradient']:.2g}{', boundary fit' if c.get('boundary') else ''})")
        if self.mediator_model is not None:
            lines += ["", "Mediator model:", self.mediator_model.to_string(**fmt), "", "Effects:",
                      self.effects.to_string(**fmt), "",
                      f"Indirect effect(s), {self.bootstrap['n_boot']} bootstrap replicates "
                      f"(seed {self.bootstrap['seed']}), {self.level:.0%} percentile and BCa intervals:",
                      self.indirect.to_string(**fmt)]
        return "\n".join(lines)


def _ols_part(design: Design, robust: str | None, level: float):
    fit = _ols.ols_fit(design.y, design.x, robust=robust)
    coefs = _ols.coefficient_table(fit, design.x, design.y, level)
    k = design.x.shape[1] - 1
    f_stat = float(fit.fvalue) if k > 0 else math.nan
    return fit, coefs, {"r2": float(fit.rsquared), "adj_r2": float(fit.rsquared_adj), "f_statistic": f_stat,
                        "df_model": float(fit.df_model), "df_resid": float(fit.df_resid),
                        "f_p": float(fit.f_pvalue) if k > 0 else math.nan, "sigma": float(np.sqrt(fit.mse_resid))}


def relate(data: pd.DataFrame, outcome: str, predictors, *, covariates=(), blocks=(), interaction: str | None = None,
           center: bool = False, robust: str | None = None, mediator: str | None = None, n_boot: int = 5000,
           seed: int | None = None, cluster: str | None = None, random_slope: str | None = None, categorical=(),
           org_outcomes: pd.DataFrame | None = None, org_key: str | None = None, level: float = 0.95,
           source: str = "data", org_source: str = "organisation file", progress=None) -> RelateResult:
    """Relate predictors (competency scores) to an outcome (QI performance).

    One entry for the regression family; the options pick the model:

    - default: OLS (``robust="HC3"`` for HC3 standard errors), with ``blocks`` a hierarchical
      regression (ΔR² and F change per step) and with ``interaction`` a moderation analysis
      (simple slopes at −1 SD, mean, +1 SD of the moderator and the Johnson–Neyman interval);
    - ``mediator``: X → M → Y for each predictor, indirect effect a·b with percentile and BCa
      bootstrap intervals (``n_boot`` replicates, ``seed``);
    - ``cluster``: a random-intercept model (REML), ``random_slope`` adds one random slope;
      ICC(1) from the null model and ICC(2).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent rows (index = data row number from 0, so messages name spreadsheet rows).
    outcome : str
        Numeric outcome column.
    predictors : sequence of str
        Numeric or categorical columns (text columns are categories; patsy treatment coding with the
        first level, in sorted order, as reference).
    covariates : sequence of str
        Entered with the predictors (first step of a hierarchical regression).
    blocks : sequence of sequence of str
        Further steps of a hierarchical regression, in order.
    interaction : str, optional
        ``"focal:moderator"`` (both numeric for simple slopes).
    center : bool
        Mean-centre the interaction's numeric variables (over the analysed rows).
    robust : {None, "HC3"}
    mediator : str, optional
    n_boot : int
    seed : int, optional
    cluster : str, optional
        Cluster column (organisations, teams).
    random_slope : str, optional
        A numeric predictor whose slope varies across clusters (needs ``cluster``).
    categorical : sequence of str
        Numeric columns to treat as categories.
    org_outcomes : pandas.DataFrame, optional
        Organisation-level indicators merged by ``org_key`` before fitting
        (:func:`~qimscale.analysis.relate.design.merge_org_outcomes`; unmatched keys are listed).
    org_key : str, optional
    level : float
        Confidence level of every interval.
    source, org_source : str
        How messages name the two files.
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.

    Returns
    -------
    RelateResult

    Raises
    ------
    DataError
        Missing or unusable columns (named with file, row, column and value), a constant outcome, a
        category with one level, collinear predictors, all clusters of size 1.
    ModelError
        Options that do not go together; a mixed model without a finite optimum.

    Notes
    -----
    Rows missing any model variable are deleted listwise; how many and for which columns is in
    ``deletion`` and in ``warnings``. OLS matches ``lm``; HC3 matches ``sandwich::vcovHC(type =
    "HC3")`` with t tests on the residual df; steps match ``anova(previous, step)``; the mixed model
    matches ``lme4::lmer(..., REML = TRUE)`` (fixed effects, ``vcov``, ``VarCorr``); the mediation
    point estimates match ``lavaan::sem`` with ``ind := a*b`` and the bootstrap intervals
    ``boot::boot.ci``. See ``tests/reference/relate_r.R``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"lead": rng.normal(size=120), "ip": rng.normal(size=120)})
    >>> df["perf"] = 0.5 * df["lead"] + 0.3 * df["ip"] + rng.normal(size=120)
    >>> res = relate(df, "perf", ["lead", "ip"])
    >>> res.coefficients["term"].tolist()
    ['Intercept', 'lead', 'ip']
    >>> round(res.r2, 3)
    0.259
    """
    warns: list[str] = []
    org_info = None
    if org_outcomes is not None:
        if not org_key:
            raise ModelError("an organisation file needs the key that links it to the respondents (--org-key)")
        data, org_info = merge_org_outcomes(data, org_outcomes, org_key, source=source, org_source=org_source)
        warns += org_merge_warnings(org_info, org_key, source, org_source)
    predictors, covariates = list(predictors or []), list(covariates or [])
    blocks = [list(b) for b in blocks or [] if b]
    _check_options(predictors, covariates, blocks, interaction, mediator, cluster, random_slope)
    if robust and cluster:
        raise ModelError("--robust HC3 is for OLS; with --cluster the standard errors come from the mixed model "
                         "(which already accounts for the clustering): drop --robust")
    preds_all = list(dict.fromkeys(predictors + [v for b in blocks for v in b]))
    if org_info is not None and outcome in org_info["indicators"] and cluster is None:
        warns.append(f"the outcome '{outcome}' is measured per organisation: respondents of one organisation "
                     "share it, so the rows are not independent and OLS standard errors are too small; analyse "
                     "one row per organisation (organisation means of the predictors) for inference")
    roles = {c: "a predictor (--predictors)" for c in predictors}
    roles.update({c: "a covariate (--covariates)" for c in covariates})
    roles.update({c: "a block variable (--block)" for b in blocks for c in b})
    extra = [c for c in (mediator, cluster) if c]
    if mediator:
        roles[mediator] = "the mediator (--mediator)"
    if cluster:
        roles[cluster] = "the cluster column (--cluster)"
    numeric = ([mediator] if mediator else []) + ([random_slope] if random_slope else []) + \
        (preds_all if mediator else [])
    design = prepare(data, outcome, covariates + preds_all, interaction=interaction, center=center, extra=extra,
                     categorical=categorical, numeric=numeric, source=source, roles=roles)
    if design.deletion_message():
        warns.append(design.deletion_message())
    warns += design.notes
    common = dict(outcome=outcome, formula=design.formula(), n=design.n, deletion=design.deletion(),
                  centered=design.centered, org_merge=org_info, level=level)
    if cluster:
        return _fit_mixed(design, cluster, random_slope, interaction, level, source, warns, common)
    if mediator:
        return _fit_mediation(design, data, outcome, mediator, preds_all, covariates, robust, n_boot, seed, level,
                              source, categorical, progress, warns, common)
    fit, coefs, stats_ = _ols_part(design, robust, level)
    res = RelateResult(model="ols", coefficients=coefs, se_type=robust.upper() if robust else "classical",
                       warnings=warns, **stats_, **common)
    if blocks:
        steps = [[term_name(c) for c in step] for step in (covariates, predictors, *blocks) if step]
        if interaction:
            steps.append([design.terms[-1]])
        res.steps = _ols.hierarchical_steps(design, steps)
        if robust:
            res.warnings.append("the ΔR² F tests of the steps are the classical ones (as anova()); HC3 applies to "
                                "the coefficients' standard errors")
    if interaction:
        _add_slopes(res, design, np.asarray(fit.cov_params()), float(fit.df_resid), interaction, level)
    return res


def _check_options(predictors, covariates, blocks, interaction, mediator, cluster, random_slope) -> None:
    if not predictors and not blocks:
        raise ModelError("name the predictors (--predictors a,b or --block a,b)")
    together = [(mediator and cluster, "--mediator with --cluster (multilevel mediation)"),
                (mediator and interaction, "--mediator with --interaction (moderated mediation)"),
                (mediator and blocks, "--mediator with --block"),
                (cluster and blocks, "--block with --cluster (hierarchical steps are for OLS)")]
    for bad, what in together:
        if bad:
            raise ModelError(f"{what} is not supported; run the two analyses separately")
    seen: set = set()
    for step in (covariates, predictors, *blocks):
        twice = [v for v in step if v in seen]
        if twice and blocks:
            raise ModelError(f"'{twice[0]}' enters more than one step; list each variable once (--covariates "
                             "first, then --predictors, then each --block in order)")
        seen.update(step)
    if random_slope and not cluster:
        raise ModelError("--random-slope needs the cluster column (--cluster COL)")
    if random_slope and random_slope not in set(predictors) | {v for b in blocks for v in b} and \
            not (interaction and random_slope in parse_interaction(interaction)):
        raise ModelError(f"the random slope '{random_slope}' must also be a predictor; add it to --predictors")


def _add_slopes(res: RelateResult, design: Design, cov, df, interaction, level) -> None:
    focal, moder = parse_interaction(interaction)
    if focal in design.categorical or moder in design.categorical:
        res.warnings.append(f"simple slopes and the Johnson–Neyman interval need a numeric focal predictor and "
                            f"moderator; '{focal if focal in design.categorical else moder}' is a category, so "
                            "only the interaction coefficients are reported")
        return
    res.simple_slopes, res.johnson_neyman = _ols.simple_slopes(res.coefficients, cov, df, design, interaction, level)


def _fit_mixed(design: Design, cluster, random_slope, interaction, level, source, warns, common) -> RelateResult:
    groups = design.frame[cluster].astype(str).to_numpy()
    warns += _mixed.check_clusters(groups, cluster, source)
    _mixed.check_outcome_varies_within(design.y, groups, design.outcome, cluster, source)
    null = _mixed.random_intercept(design.y, np.ones((design.n, 1)), groups)
    icc = _mixed.icc_anova(design.y, groups)
    icc = {"icc1": null["group_var"] / (null["group_var"] + null["residual_var"]), "icc2": icc["icc2"],
           "icc1_anova": icc["icc1_anova"], "null_group_var": null["group_var"],
           "null_residual_var": null["residual_var"], "msb": icc["msb"], "msw": icc["msw"],
           "mean_cluster_size": icc["mean_cluster_size"]}
    ri = _mixed.random_intercept(design.y, design.x.to_numpy(), groups)
    if random_slope:
        fit = _mixed.random_slope(design.y, design.x, groups, random_slope,
                                  start=ri["group_var"] / ri["residual_var"])
        re = {"group_var": float(fit["cov_re"][0, 0]), "residual_var": fit["residual_var"],
              "slope_var": float(fit["cov_re"][1, 1]), "intercept_slope_cov": float(fit["cov_re"][0, 1]),
              "slope": random_slope}
    else:
        fit = ri
        re = {"group_var": fit["group_var"], "residual_var": fit["residual_var"]}
    conv = dict(fit["convergence"], reml_criterion=fit["reml_criterion"], null_model_converged=
                null["convergence"]["converged"])
    if not conv["converged"]:
        warns.append(f"the mixed model did not meet its convergence criteria ({conv['criteria']}; gradient "
                     f"{conv['gradient']:.3g}); do not trust the estimates")
    if conv.get("boundary") and random_slope:
        warns.append("the random-effects covariance matrix is singular (boundary fit: a variance at zero or an "
                     "intercept-slope correlation of ±1, lme4's isSingular); the data do not support a random "
                     f"slope for '{random_slope}': consider dropping --random-slope")
    elif conv.get("boundary"):
        warns.append("the cluster variance is estimated at zero (boundary fit): the clusters add no variance "
                     "beyond the residual; OLS gives the same fixed effects")
    coefs = _mixed.wald_table(design.x.columns, fit["beta"], fit["cov_beta"], level)
    res = RelateResult(model="mixed", coefficients=coefs, se_type="model-based (REML); Wald z tests",
                       random_effects=re, icc=icc, n_groups=ri["n_groups"], convergence=conv, warnings=warns,
                       **common)
    if interaction:
        _add_slopes(res, design, fit["cov_beta"], math.inf, interaction, level)
    return res


def _fit_mediation(design: Design, data, outcome, mediator, predictors, covariates, robust, n_boot, seed, level,
                   source, categorical, progress, warns, common) -> RelateResult:
    if n_boot < 100:
        raise ModelError(f"--n-boot {n_boot} is too few for bootstrap intervals; use at least 1000 (default 5000)")
    # Y ~ predictors + M + covariates and M ~ predictors + covariates, on the same rows
    m_design = prepare(design.frame, mediator, covariates + predictors, categorical=categorical, source=source)
    y_design = prepare(design.frame, outcome, covariates + predictors + [mediator], categorical=categorical,
                       source=source)
    fit_y, coefs, stats_ = _ols_part(y_design, robust, level)
    fit_m, coefs_m, _ = _ols_part(m_design, robust, level)
    xa, xb = m_design.x.to_numpy(), y_design.x.to_numpy()
    pos_a = [list(m_design.x.columns).index(term_name(p)) for p in predictors]
    pos_b = list(y_design.x.columns).index(term_name(mediator))
    est = _med.indirect_effects(xa, m_design.y, xb, y_design.y, pos_a, pos_b)
    boot = _med.bootstrap_indirect(xa, m_design.y, xb, y_design.y, pos_a, pos_b, n_boot=n_boot, seed=seed,
                                   progress=progress)
    jack = _med.jackknife_indirect(xa, m_design.y, xb, y_design.y, pos_a, pos_b)
    indirect = _med.indirect_table(predictors, est, boot, jack, level)
    b = float(coefs["estimate"].iloc[pos_b])
    effects = pd.DataFrame([{"predictor": p, "a": float(coefs_m["estimate"].iloc[pos_a[k]]), "b": b,
                             "direct": float(coefs.set_index("term").loc[term_name(p), "estimate"]),
                             "indirect": float(est[k])} for k, p in enumerate(predictors)])
    effects["total"] = effects["direct"] + effects["indirect"]
    common = dict(common, formula=f"{m_design.formula()}; {y_design.formula()}")
    if seed is None:
        warns.append("no --seed given: the bootstrap intervals will differ slightly from run to run")
    return RelateResult(model="mediation", coefficients=coefs, se_type=robust.upper() if robust else "classical",
                        mediator_model=coefs_m, indirect=indirect, effects=effects,
                        bootstrap={"n_boot": n_boot, "seed": seed, "level": level, "mediator": mediator,
                                   "resampling": "rows with replacement", "intervals": ["percentile", "bca"]},
                        warnings=warns, **stats_, **common)
