"""WLSMV stage 2 (DWLS, robust SEs, scaled-shifted test, fit indices) against lavaan 0.6.x."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA, sem
from qimscale.analysis.cfa.wlsmv import category_counts, fit_wlsmv
from qimscale.errors import DataError, ModelError

from test_wlsmv_stage1 import data, ref  # noqa: F401  (shared fixtures)
FIT_KEYS = ["chisq", "df", "chisq_scaled", "df_scaled", "chisq_scaling_factor", "baseline_chisq",
            "baseline_df", "baseline_chisq_scaled", "baseline_chisq_scaling_factor", "cfi", "tli",
            "rmsea", "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled",
            "rmsea_ci_upper_scaled", "srmr", "npar"]


@pytest.fixture(scope="module")
def single(ref, data):
    return fit_wlsmv(data, ref["model"], ordered="all")


@pytest.fixture(scope="module")
def constrained(ref, data):
    return fit_wlsmv(data, ref["model"], ordered="all", group="group",
                     group_equal=["thresholds", "loadings"])


def check_fit(res, ref_fit, rtol=1e-5):
    fm = res.fit_measures()
    for k in FIT_KEYS:
        assert fm[k] == pytest.approx(ref_fit[k.replace("_", ".")], rel=rtol, abs=1e-7), k


def merged(res, ref_est):
    rp = pd.DataFrame(ref_est)
    if "group" not in rp:
        rp["group"] = 1
    pe = res.parameter_estimates()
    m = rp.merge(pe, on=["lhs", "op", "rhs", "group"], suffixes=("_r", "_p"))
    assert len(m) == len(pe)
    return m


def test_single_group_fit_measures(single, ref):
    check_fit(single, ref["single"]["fit"])
    t = ref["single"]["test"]
    assert single.test["trace_ugamma"] == pytest.approx(t["trace_ugamma"], rel=1e-6)
    assert single.test["trace_ugamma2"] == pytest.approx(t["trace_ugamma2"], rel=1e-6)
    assert single.fit["chisq_shift_parameter"] == pytest.approx(t["shift"], rel=1e-6)


def test_single_group_estimates_se_std(single, ref):
    m = merged(single, ref["single"]["estimates"])
    np.testing.assert_allclose(m.est_p, m.est_r, atol=2e-5)
    np.testing.assert_allclose(m.se_p, m.se_r, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(m.std_all, m["std.all"], atol=2e-5)
    th = m[m.op == "|"]
    assert len(th) == 72


def test_categorical_omega_matches_comprelsem(single, ref):
    rel = single.reliability()
    for f, v in ref["single"]["omega"].items():
        assert rel.loc[f, "omega"] == pytest.approx(v, abs=2e-6)


def test_multigroup_unconstrained(ref, data):
    res = fit_wlsmv(data, ref["model"], ordered="all", group="group")
    check_fit(res, ref["invariance"]["group_plain"]["fit"])
    np.testing.assert_allclose(1 / np.diag(res.stats[1].gamma),
                               list(ref["invariance"]["group_plain"]["wls_v_diag"].values())[1], rtol=1e-5)


def test_group_equal_thresholds_loadings(constrained, ref):
    check_fit(constrained, ref["invariance"]["group_equal_th_load"]["fit"])
    m = merged(constrained, ref["invariance"]["group_equal_th_load"]["estimates"])
    np.testing.assert_allclose(m.est_p, m.est_r, atol=2e-5)
    np.testing.assert_allclose(m.se_p, m.se_r, rtol=1e-4, atol=1e-7)
    sel = m.op.isin(["=~", "|"])
    np.testing.assert_allclose(m.std_all[sel], m["std.all"][sel], atol=2e-5)


def test_cfa_api_dispatch_and_to_dict(single, ref, data):
    res = CFA(ref["model"], estimator="WLSMV", ordered="all").fit(data)
    assert res.fit_measures()["chisq_scaled"] == pytest.approx(single.fit["chisq_scaled"], rel=1e-10)
    out = res.to_dict()
    assert out["estimator"] == "WLSMV"
    assert set(out["reliability"]["f1"]) == {"omega", "ave"}
    json.dumps(out, allow_nan=True)
    assert {"lhs", "op", "rhs", "group", "est", "se", "z", "pvalue", "std_all"} <= set(out["estimates"][0])


def test_ordered_subset_leaves_the_others_continuous(ref, data):
    # as lavaan: variables not listed in ordered are numeric (tests/analysis/cfa/wlsmv/test_wlsmv_mixed.py)
    res = fit_wlsmv(data, ref["model"], ordered=["y1", "y2"])
    assert "y3" in res.model.continuous and "y1" not in res.model.continuous


def test_unknown_ordered_item(ref, data):
    with pytest.raises(ModelError, match="not observed variables"):
        fit_wlsmv(data, ref["model"], ordered=["y1", "zz"])


def test_observed_covariate_regressions_not_supported(data):
    # latent regressions are fitted (test_wlsmv_sem.py), and so are regressions on numeric covariates
    # (conditional.x, test_wlsmv_conditional_x.py); a covariate declared ordered is a clean error
    with pytest.raises(ModelError, match="declared ordered"):
        sem("f =~ y1 + y2 + y3\ng =~ y4 + y5\ng ~ y6", data, ordered=[f"y{i}" for i in range(1, 7)],
            estimator="WLSMV")
    with pytest.raises(ModelError, match=r"covariates \['y6'\].*sem\("):  # fit_wlsmv points to sem()
        fit_wlsmv(data, "f =~ y1 + y2 + y3\ng =~ y4 + y5\ng ~ y6", ordered="all")


def test_collapse_is_recorded(ref, data):
    res = fit_wlsmv(data, "f1 =~ y1 + y2 + y3 + y4", ordered="all", collapse={"y4": {5: 4}})
    assert res.fit["collapsed"] == {"y4": {5: 4}}
    assert res.model.nth == [4, 4, 4, 3]


def test_empty_category_in_group(ref, data):
    d = data[~((data.group == "C") & (data.y2 == 1)) & ~((data.group == "A") & (data.y3 == 5))]
    # every empty category is listed at once, with the fix
    with pytest.raises(DataError, match=r"item 'y3' in group 'A': category 5 is empty; "
                                        r"item 'y2' in group 'C': category 1 is empty.*collapse"):
        fit_wlsmv(d, "f1 =~ y1 + y2 + y3", ordered="all", group="group")
    counts = category_counts(d, ["y2", "y3"], "group")
    assert counts["is_empty"].sum() == 2 and set(counts.columns) >= {"item", "group", "category", "count"}
    d = data[~((data.group == "C") & (data.y2 == 1))]
    res = fit_wlsmv(d, "f1 =~ y1 + y2 + y3 + y4", ordered="all", group="group",
                    collapse={"y2": {1: 2}})
    assert math.isfinite(res.fit["chisq_scaled"])


def test_missing_rows_recorded(ref, data):
    d = data.astype({"y1": float})
    d.loc[[0, 5, 9], "y1"] = np.nan
    res = fit_wlsmv(d, "f1 =~ y1 + y2 + y3 + y4", ordered="all")
    assert res.fit["n_dropped"] == 3 and res.fit["ntotal"] == len(data) - 3
    assert any("3 row(s)" in w for w in res.warnings_)


def test_std_lv_is_an_equivalent_model(single, ref, data):
    res = fit_wlsmv(data, ref["model"], ordered="all", std_lv=True)
    assert res.fit["chisq_scaled"] == pytest.approx(single.fit["chisq_scaled"], rel=1e-7)
    a = res.parameter_estimates().query("op == '=~'").std_all.to_numpy()
    b = single.parameter_estimates().query("op == '=~'").std_all.to_numpy()
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_categorical_omega_per_group(constrained):
    ref = json.loads((Path(__file__).parents[3] / "reference" / "wlsmv_omega_groups.json").read_text())
    for g, row in enumerate(ref["omega"].values()):
        assert constrained.group_labels[g] == row["group"]
        rel = constrained.reliability(group=g)
        for f in ("f1", "f2", "f3"):
            assert rel.loc[f, "omega"] == pytest.approx(row[f], abs=2e-6), (g, f)


def test_cli_json_multigroup(tmp_path):
    from click.testing import CliRunner

    from qimscale.cli import main

    model = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"
    args = ["cfa", str(Path(__file__).parents[3] / "reference" / "data" / "wlsmv_ordinal.csv"),
            "--model", model, "--estimator", "WLSMV", "--ordered", "all", "--group", "group",
            "--equal", "thresholds,loadings", "--json"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    res = json.loads(out.stdout)
    assert res["estimator"] == "WLSMV" and res["fit"]["df"] > 0
    assert set(res["reliability"]["f1"]) == {"omega", "ave"}
    assert set(res["reliability_by_group"]) == {"A", "B", "C"}


def test_heywood_case_is_reported():
    rng = np.random.default_rng(3)
    f = rng.normal(size=400)
    y = {"a": f + rng.normal(scale=0.05, size=400), "b": 0.5 * f + rng.normal(size=400),
         "c": 0.5 * f + rng.normal(size=400)}
    y["e"] = y["a"] + rng.normal(scale=0.02, size=400)
    d = pd.DataFrame({k: np.digitize(v, [-1, 0, 1]) + 1 for k, v in y.items()})
    with pytest.warns(UserWarning, match="is \\(nearly\\) 1.0"):  # a and e: bounded at .999 as in lavaan
        res = fit_wlsmv(d, "F =~ a + b + c + e")
    assert any("Heywood" in w and "'e'" in w for w in res.warnings_)


def test_wlsmv_without_ordered_is_an_error(ref, data):
    with pytest.raises(ModelError, match="ordered='all'"):
        CFA(ref["model"], estimator="WLSMV").fit(data)


def test_cross_loading_and_residual_covariance():
    ref = json.loads((Path(__file__).parents[3] / "reference" / "wlsmv_respecified.json").read_text())
    d = pd.read_csv(Path(__file__).parents[3] / "reference" / "data" / "wlsmv_ordinal.csv")
    res = fit_wlsmv(d, ref["model"], ordered="all")
    for k, v in ref["fit"].items():
        assert res.fit[k.replace(".", "_")] == pytest.approx(v, rel=1e-5, abs=1e-7), k
    m = merged(res, ref["estimates"])
    np.testing.assert_allclose(m.est_p, m.est_r, atol=2e-5)
    np.testing.assert_allclose(m.se_p, m.se_r, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(m.std_all, m["std.all"], atol=2e-5)


def test_labels_constrain_and_defined_parameters(data):
    res = fit_wlsmv(data, "f =~ y1 + a*y2 + a*y3 + y4", ordered="all")
    pe = res.parameter_estimates().query("op == '=~'").set_index("rhs")
    assert pe.loc["y2", "est"] == pe.loc["y3", "est"] and res.fit["df"] == 3
    # := under WLSMV (checked against lavaan in tests/analysis/cfa/wlsmv/test_wlsmv_sem.py)
    res = fit_wlsmv(data, "f =~ y1 + a*y2 + a*y3 + y4\nd := a*2", ordered="all")
    pe = res.parameter_estimates()
    a = pe.query("op == '=~' and rhs == 'y2'").est.item()
    d = pe.query("op == ':='")
    assert d.est.item() == pytest.approx(2 * a) and d.se.item() > 0
