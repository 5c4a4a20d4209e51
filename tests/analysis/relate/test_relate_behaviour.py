"""``relate`` library behaviour beyond the R numbers: the result protocol, options that do not go
together, categories, the Johnson–Neyman regions and the mixed-model edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale._core.result import check_protocol
from qimscale.analysis.relate import latent_paths, merge_org_outcomes, relate, scale_correlations
from qimscale.errors import DataError, ModelError

SIM = pd.read_csv(Path(__file__).parents[2] / "reference" / "data" / "relate_sim.csv")


@pytest.mark.parametrize("kwargs", [
    {},
    {"robust": "HC3", "blocks": [["leadership"]]},
    {"interaction": "expertise:interpersonal", "center": True},
    {"cluster": "org"},
    {"cluster": "org", "random_slope": "expertise"},
    {"mediator": "engagement", "n_boot": 200, "seed": 1},
])
def test_results_follow_the_protocol(kwargs):
    res = relate(SIM, "qi_performance", ["expertise", "interpersonal"], **kwargs)
    check_protocol(res)
    assert res.summary().startswith(res.title)
    assert "listwise deletion" in " ".join(res.warnings)


def test_correlation_and_latent_results_follow_the_protocol():
    check_protocol(scale_correlations(SIM, ["expertise", "leadership", "qi_performance"]))
    data = pd.read_csv(Path(__file__).parents[2] / "reference" / "data" / "relate_latent.csv")
    check_protocol(latent_paths("F =~ ip1 + ip2 + ip3\nqi_performance ~ F", data))


@pytest.mark.parametrize("kwargs,match", [
    ({"mediator": "engagement", "cluster": "org"}, "multilevel mediation"),
    ({"mediator": "engagement", "interaction": "expertise:interpersonal"}, "moderated mediation"),
    ({"cluster": "org", "blocks": [["leadership"]]}, "hierarchical steps"),
    ({"random_slope": "expertise"}, "needs the cluster column"),
    ({"cluster": "org", "random_slope": "tenure"}, "must also be a predictor"),
    ({"blocks": [["expertise"]]}, "more than one step"),
    ({"cluster": "org", "robust": "HC3"}, "drop --robust"),
])
def test_options_that_do_not_go_together(kwargs, match):
    with pytest.raises(ModelError, match=match):
        relate(SIM, "qi_performance", ["expertise", "interpersonal"], **kwargs)


def test_mediation_needs_numeric_predictors():
    with pytest.raises(DataError, match="column 'qim_type'.*must be numeric"):
        relate(SIM, "qi_performance", ["qim_type"], mediator="engagement", n_boot=200)


def test_declared_category_holding_numbers_gets_patsy_level_names():
    df = SIM.assign(site=(SIM["respondent"] % 3 + 1).astype(float))
    res = relate(df, "qi_performance", ["expertise", "site"], categorical=["site"])
    assert "site[T.2]" in res.coefficients["term"].tolist()
    res = relate(df, "qi_performance", ["expertise", "site"])
    assert "site" in res.coefficients["term"].tolist()


def test_categorical_moderator_reports_coefficients_only():
    res = relate(SIM, "qi_performance", ["expertise"], interaction="expertise:qim_type")
    assert "expertise:qim_type[T.traditional]" in res.coefficients["term"].tolist()
    assert res.simple_slopes is None and "is a category" in " ".join(res.warnings)


def test_johnson_neyman_regions():
    rng = np.random.default_rng(2)
    n = 400
    df = pd.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n)})
    df["y"] = 0.8 * df["x"] + rng.normal(size=n)          # strong slope, no moderation
    jn = relate(df, "y", ["x", "w"], interaction="x:w").johnson_neyman
    assert jn["significant"] in ("everywhere", "outside", "inside")
    lo, hi = (jn["bounds"] or [-np.inf, np.inf])
    if jn["significant"] == "outside":   # the observed range then lies between the bounds
        assert lo < df["w"].min() or hi > df["w"].max()
    df["y"] = 0.5 * df["x"] * df["w"] + rng.normal(size=n)  # slope changes sign with w
    res = relate(df, "y", ["x", "w"], interaction="x:w")
    jn = res.johnson_neyman
    assert jn["significant"] == "outside" and jn["bounds"][0] < 0 < jn["bounds"][1]
    s = res.simple_slopes.set_index("at")
    assert s.loc["-1 SD", "slope"] < 0 < s.loc["+1 SD", "slope"]


def test_random_intercept_boundary_is_stated():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=300), "g": np.repeat(np.arange(30), 10)})
    df["y"] = df["x"] + rng.normal(size=300)
    res = relate(df, "y", ["x"], cluster="g")
    if res.random_effects["group_var"] == 0:
        assert res.convergence["boundary"] and "boundary" in " ".join(res.warnings)
    assert res.convergence["converged"]


def test_few_singleton_clusters_are_a_warning_not_an_error():
    df = SIM.copy()
    df.loc[:2, "org"] = ["solo1", "solo2", "solo3"]
    res = relate(df, "qi_performance", ["expertise"], cluster="org")
    assert any("single analysed row" in w for w in res.warnings)


def test_merge_keys_match_as_text():
    d = pd.DataFrame({"org": [1.0, 2.0, np.nan], "x": [1, 2, 3]})
    o = pd.DataFrame({"org": ["1", "2"], "audit": [0.1, 0.2]})
    merged, info = merge_org_outcomes(d, o, "org")
    assert merged["audit"].tolist()[:2] == [0.1, 0.2]
    assert info["unmatched_data_keys"] == [{"key": None, "rows": 1}]


def test_merge_refuses_a_clashing_column():
    d = pd.DataFrame({"org": ["a"], "audit": [1]})
    with pytest.raises(DataError, match="also a column"):
        merge_org_outcomes(d, pd.DataFrame({"org": ["a"], "audit": [2]}), "org")


def test_input_frame_is_not_modified():
    before = SIM.copy()
    relate(SIM, "qi_performance", ["expertise", "interpersonal", "qim_type"], interaction="expertise:interpersonal",
           center=True)
    pd.testing.assert_frame_equal(SIM, before)


def test_singular_random_slope_is_a_stated_boundary_fit():
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(40), 15)
    x = rng.normal(size=600)
    df = pd.DataFrame({"x": x, "g": g, "y": x + rng.normal(0, 0.5, 40)[g] + rng.normal(size=600)})
    res = relate(df, "y", ["x"], cluster="g", random_slope="x")
    # lme4 on the same data: intercept SD 0.527859, slope SD 0.021488, correlation -1 (singular)
    assert res.random_effects["group_var"] == pytest.approx(0.527859 ** 2, rel=1e-3)
    assert res.convergence["converged"] and res.convergence["boundary"]
    assert any("isSingular" in w for w in res.warnings)
