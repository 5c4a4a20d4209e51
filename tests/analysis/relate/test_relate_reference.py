"""``relate`` against R (tests/reference/relate_r.R → relate_r.json, data/relate_sim.csv).

Simulated data with missing values in the outcome, a predictor, the category and a covariate;
a three-level category; 40 clusters of 2-20 respondents. Tolerances: closed forms 1e-8, p-values
1e-6 relative, mixed-model fixed effects 1e-4, variance components 1e-3 relative, bootstrap
intervals within Monte Carlo error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.relate import relate, scale_correlations

HERE = Path(__file__).parents[2] / "reference"
REF = json.loads((HERE / "relate_r.json").read_text())
DATA = pd.read_csv(HERE / "data" / "relate_sim.csv")
PREDICTORS = ["expertise", "leadership", "interpersonal", "qim_type", "tenure"]


def patsy_name(r_term: str) -> str:
    """R's coefficient names in patsy spelling: ``(Intercept)`` → ``Intercept``, ``qim_typemixed`` →
    ``qim_type[T.mixed]``."""
    if r_term == "(Intercept)":
        return "Intercept"
    m = re.fullmatch(r"qim_type(\w+)", r_term)
    return f"qim_type[T.{m.group(1)}]" if m else r_term


def by_term(rows) -> pd.DataFrame:
    t = pd.DataFrame(rows)
    t["term"] = t["term"].map(patsy_name)
    return t.set_index("term")


def check_table(ours: pd.DataFrame, ref_rows, cols=("estimate", "se", "statistic", "ci_lower", "ci_upper"),
                rtol=1e-8, p_rtol=1e-6):
    ref = by_term(ref_rows)
    ours = ours.set_index("term").loc[ref.index]
    for c in cols:
        np.testing.assert_allclose(ours[c].to_numpy(), ref[c].to_numpy(), rtol=rtol, atol=1e-12, err_msg=c)
    if "p" in ref.columns:
        np.testing.assert_allclose(ours["p"].to_numpy(), ref["p"].to_numpy(), rtol=p_rtol, err_msg="p")


@pytest.mark.parametrize("robust,key", [(None, "classical"), ("HC3", "hc3")])
def test_ols_matches_lm_and_sandwich_hc3(robust, key):
    res = relate(DATA, "qi_performance", PREDICTORS, robust=robust)
    ref = REF["ols"]
    assert res.n == ref["n"] and res.deletion["n_dropped"] == ref["n_dropped"]
    check_table(res.coefficients, ref[key])
    assert res.r2 == pytest.approx(ref["r2"], rel=1e-10)
    assert res.adj_r2 == pytest.approx(ref["adj_r2"], rel=1e-10)
    if robust is None:
        assert res.f_statistic == pytest.approx(ref["f"], rel=1e-10)
        assert res.sigma == pytest.approx(ref["sigma"], rel=1e-10)


def test_standardised_coefficients_match_design_column_sds():
    res = relate(DATA, "qi_performance", PREDICTORS).coefficients.set_index("term")
    for name, v in REF["ols"]["std_beta"].items():
        assert res.loc[patsy_name(name), "std_estimate"] == pytest.approx(v, rel=1e-10)


def test_hierarchical_steps_match_anova_f_change():
    res = relate(DATA, "qi_performance", [], covariates=["tenure"],
                 blocks=[["qim_type"], ["expertise", "leadership"], ["interpersonal"]])
    ref = REF["blocks"]
    s = res.steps
    np.testing.assert_allclose(s["r2"], ref["r2"], rtol=1e-10)
    np.testing.assert_allclose(s["delta_r2"], ref["delta_r2"], rtol=1e-9)
    np.testing.assert_allclose(s["f_change"], ref["f"], rtol=1e-9)
    np.testing.assert_array_equal(s["df1"], ref["df1"])
    np.testing.assert_array_equal(s["df2"], ref["df2"])
    np.testing.assert_allclose(s["p"], ref["p"], rtol=1e-6)


@pytest.mark.parametrize("robust,key", [(None, "classical"), ("HC3", "hc3")])
def test_moderation_simple_slopes_and_johnson_neyman(robust, key):
    res = relate(DATA, "qi_performance", ["expertise", "interpersonal", "tenure"],
                 interaction="expertise:interpersonal", center=True, robust=robust)
    ref = REF["moderation"]
    assert res.n == ref["n"]
    if robust is None:
        check_table(res.coefficients, ref["coefficients"])
    r = ref[key]
    s = res.simple_slopes
    np.testing.assert_allclose(s["moderator_value"], r["w"], rtol=1e-9, atol=1e-12)
    for ours, theirs in [("slope", "slope"), ("se", "se"), ("statistic", "t"), ("ci_lower", "ci_lower"),
                         ("ci_upper", "ci_upper")]:
        np.testing.assert_allclose(s[ours], r[theirs], rtol=1e-8, err_msg=ours)
    np.testing.assert_allclose(s["p"], r["p"], rtol=1e-6)
    jn = res.johnson_neyman
    if r["jn"][0] is None:
        assert jn["bounds"] is None
    else:
        np.testing.assert_allclose(jn["bounds"], r["jn"], rtol=1e-8)
        assert jn["significant"] == ("outside" if r["jn_a"] > 0 else "inside")
        assert jn["bounds_raw"][0] == pytest.approx(jn["bounds"][0] + res.centered["interpersonal"])


def test_random_intercept_matches_lmer_reml():
    res = relate(DATA, "qi_performance", ["expertise", "leadership", "qim_type"], cluster="org")
    ref = REF["mixed"]
    assert res.model == "mixed" and res.n == ref["n"] and res.n_groups == ref["n_groups"]
    check_table(res.coefficients, ref["fixed"], cols=("estimate", "se"), rtol=1e-4)
    assert res.random_effects["group_var"] == pytest.approx(ref["group_var"], rel=1e-3)
    assert res.random_effects["residual_var"] == pytest.approx(ref["residual_var"], rel=1e-3)
    assert res.convergence["converged"] and not res.convergence["boundary"]
    assert res.convergence["reml_criterion"] == pytest.approx(ref["reml_criterion"], rel=1e-8)
    assert res.icc["icc1"] == pytest.approx(ref["icc1"], rel=1e-3)
    assert res.icc["icc2"] == pytest.approx(ref["icc2"], rel=1e-10)
    assert res.icc["icc1_anova"] == pytest.approx(ref["icc1_anova"], rel=1e-10)
    assert res.icc["msb"] == pytest.approx(ref["msb"], rel=1e-10)


def test_random_slope_matches_lmer_reml():
    res = relate(DATA, "qi_performance", ["expertise", "leadership"], cluster="org", random_slope="expertise")
    ref = REF["mixed"]
    check_table(res.coefficients, ref["slope_fixed"], cols=("estimate", "se"), rtol=1e-4)
    re_, vc = res.random_effects, ref["slope_vc"]
    assert re_["group_var"] == pytest.approx(vc["intercept_var"], rel=1e-3)
    assert re_["slope_var"] == pytest.approx(vc["slope_var"], rel=1e-3)
    assert re_["intercept_slope_cov"] == pytest.approx(vc["cov"], rel=1e-3)
    assert re_["residual_var"] == pytest.approx(vc["residual_var"], rel=1e-3)
    assert res.convergence["converged"]
    assert res.convergence["reml_criterion"] == pytest.approx(ref["slope_reml_criterion"], rel=1e-8)


def test_random_slope_agrees_with_statsmodels_mixedlm():
    import warnings

    import statsmodels.api as sm

    res = relate(DATA, "qi_performance", ["expertise", "leadership"], cluster="org", random_slope="expertise")
    cc = DATA.dropna(subset=["qi_performance", "expertise", "leadership"])
    x = sm.add_constant(cc[["expertise", "leadership"]].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = sm.MixedLM(cc["qi_performance"].to_numpy(), x, cc["org"].to_numpy(),
                            exog_re=np.column_stack([np.ones(len(cc)), cc["expertise"]])).fit(reml=True)
    np.testing.assert_allclose(res.coefficients["estimate"], sm_fit.fe_params, rtol=1e-4)
    assert res.convergence["reml_criterion"] <= -2 * sm_fit.llf + 1e-6


def test_mediation_point_estimates_match_lavaan_and_bootstrap_in_distribution():
    ref = REF["mediation"]
    res = relate(DATA, "qi_performance", ["expertise"], covariates=["tenure"], mediator="engagement",
                 n_boot=4000, seed=11)
    e = res.effects.iloc[0]
    assert res.n == ref["n"]
    assert e["indirect"] == pytest.approx(ref["indirect"], rel=1e-6)
    assert e["a"] == pytest.approx(ref["a"], rel=1e-6)
    assert e["b"] == pytest.approx(ref["b"], rel=1e-6)
    assert e["direct"] == pytest.approx(ref["c"], rel=1e-6)
    assert e["total"] == pytest.approx(ref["total"], rel=1e-6)
    ind = res.indirect.iloc[0]
    # Monte Carlo error of a 2.5% quantile from 4000 replicates is about 0.1 bootstrap SDs per run;
    # two independent runs differ by about 0.15 SD: allow 0.5 SD
    tol = 0.5 * ref["boot_sd"]
    assert ind["boot_se"] == pytest.approx(ref["boot_sd"], rel=0.1)
    assert abs(ind["ci_lower"] - ref["perc"][0]) < tol and abs(ind["ci_upper"] - ref["perc"][1]) < tol
    assert abs(ind["bca_lower"] - ref["bca"][0]) < tol and abs(ind["bca_upper"] - ref["bca"][1]) < tol


def test_mediation_bootstrap_is_seeded():
    kw = dict(covariates=["tenure"], mediator="engagement", n_boot=500, seed=3)
    a = relate(DATA, "qi_performance", ["expertise"], **kw).indirect
    b = relate(DATA, "qi_performance", ["expertise"], **kw).indirect
    pd.testing.assert_frame_equal(a, b)


def test_correlations_match_cor_test_and_partial_closed_form():
    vars_ = ["expertise", "leadership", "interpersonal", "qi_performance"]
    res = scale_correlations(DATA, vars_)
    t = res.table.set_index(["var1", "var2", "method"])
    for pair in REF["correlations"]["pairs"]:
        p = t.loc[(pair["var1"], pair["var2"], "pearson")]
        assert p["n"] == pair["n"]
        assert p["r"] == pytest.approx(pair["pearson"], rel=1e-10)
        assert p["p"] == pytest.approx(pair["pearson_p"], rel=1e-6)
        assert [p["ci_lower"], p["ci_upper"]] == pytest.approx(pair["pearson_ci"], rel=1e-10)
        s = t.loc[(pair["var1"], pair["var2"], "spearman")]
        assert s["r"] == pytest.approx(pair["spearman"], rel=1e-10)
        assert s["p"] == pytest.approx(pair["spearman_p"], rel=1e-6)
    pc = np.array(REF["correlations"]["partial"])
    assert res.n_partial == REF["correlations"]["partial_n"]
    for i in range(4):
        for j in range(i + 1, 4):
            assert t.loc[(vars_[i], vars_[j], "partial"), "r"] == pytest.approx(pc[i][j], rel=1e-9)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_latent_paths_match_lavaan_sem(estimator):
    from qimscale.analysis.relate import latent_paths

    ref = REF["latent"]
    data = pd.read_csv(HERE / "data" / "relate_latent.csv")
    res = latent_paths(ref["model"], data, estimator=estimator)
    paths = res.paths.set_index("rhs")
    for r in ref[estimator]["paths"]:
        p = paths.loc[r["rhs"]]
        assert p["est"] == pytest.approx(r["est"], rel=1e-4)
        assert p["se"] == pytest.approx(r["se"], rel=1e-4)
        assert p["std_all"] == pytest.approx(r["std.all"], rel=1e-4)
    assert res.r2["qi_performance"] == pytest.approx(ref[estimator]["r2"], rel=1e-4)
    assert res.n == len(data)


def test_random_intercept_agrees_with_statsmodels_mixedlm():
    import warnings

    import statsmodels.api as sm

    res = relate(DATA, "qi_performance", ["expertise", "leadership"], cluster="org")
    cc = DATA.dropna(subset=["qi_performance", "expertise", "leadership"])
    x = sm.add_constant(cc[["expertise", "leadership"]].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm_fit = sm.MixedLM(cc["qi_performance"].to_numpy(), x, cc["org"].to_numpy()).fit(reml=True, method="bfgs")
    np.testing.assert_allclose(res.coefficients["estimate"], sm_fit.fe_params, rtol=1e-5)
    assert res.random_effects["group_var"] == pytest.approx(float(np.asarray(sm_fit.cov_re)[0, 0]), rel=1e-3)
    assert res.random_effects["residual_var"] == pytest.approx(sm_fit.scale, rel=1e-4)
