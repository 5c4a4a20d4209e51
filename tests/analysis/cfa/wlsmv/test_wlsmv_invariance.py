"""Ordinal invariance (Wu & Estabrook 2016) against semTools::measEq.syntax + lavaan."""

import json

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa.wlsmv import fit_wlsmv
from qimscale.analysis.cfa import measurement_invariance
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance, wu_estabrook_partable
from qimscale.errors import DataError, ModelError

from test_wlsmv_stage1 import REF, data, ref  # noqa: F401  (shared fixtures)


@pytest.fixture(scope="module")
def inv(ref, data):
    return ordinal_invariance(data, ref["model"], "group", criteria="chisq")


@pytest.mark.parametrize("level", ["configural", "thresholds", "metric", "scalar"])
def test_levels_match_measeq(inv, ref, level):
    row = inv.levels.set_index("level").loc[level]
    rf = ref["invariance"]["levels"][level]["fit"]
    assert row["df"] == rf["df"]
    assert row["npar"] == rf["npar"]
    for k in ("chisq", "chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert row[k] == pytest.approx(rf[k.replace("_", ".")], rel=1e-5, abs=1e-7), k


@pytest.mark.parametrize("level", ["thresholds", "scalar"])
def test_level_estimates_match(inv, ref, level):
    rp = pd.DataFrame(ref["invariance"]["levels"][level]["estimates"])
    pe = inv.fits[level].parameter_estimates()
    m = rp.merge(pe, on=["lhs", "op", "rhs", "group"], suffixes=("_r", "_p"))
    assert len(m) == len(pe)
    np.testing.assert_allclose(m.est_p, m.est_r, atol=3e-5)
    np.testing.assert_allclose(m.se_p, m.se_r, rtol=2e-4, atol=1e-7)


def test_difference_tests_match_lavtestlrt(inv, ref):
    lrt = pd.DataFrame(ref["invariance"]["lrt"]).iloc[1:]
    rows = inv.levels.iloc[1:]
    np.testing.assert_array_equal(rows.df_diff.to_numpy(), lrt.df_diff.to_numpy())
    np.testing.assert_allclose(rows.chisq_diff.to_numpy(), lrt.chisq_diff.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(rows.chisq_diff_p.to_numpy(), lrt.p.to_numpy(), rtol=1e-4, atol=1e-20)


def test_highest_level_held_by_chisq(inv):
    # the non-invariant item (y4 in group C) breaks scalar invariance
    assert inv.highest_level_held == "metric"
    assert inv.levels.held.tolist() == [True, True, True, False]


def test_scalar_equals_lavaan_group_equal(inv, ref):
    rf = ref["invariance"]["group_equal_th_load"]["fit"]
    fm = inv.fits["scalar"].fit_measures()
    assert fm["df"] == rf["df"]
    assert fm["chisq_scaled"] == pytest.approx(rf["chisq.scaled"], rel=1e-5)


def test_chen_default_and_to_dict(data):
    model = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"
    res = measurement_invariance(model, data, group="group", estimator="WLSMV", ordered="all")
    out = res.to_dict()
    assert [r["level"] for r in out["levels"]] == ["configural", "thresholds", "metric", "scalar"]
    assert out["estimator"] == "WLSMV" and out["criteria"] == "chen2007"
    for r in out["levels"]:
        assert {"level", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea",
                "chisq_diff_p"} <= set(r)
    lv = res.levels.set_index("level")
    # y4 is non-invariant in group C: the scalar step is rejected by chi-square and CFI
    assert lv.loc["scalar", "chisq_diff_p"] < 1e-6
    assert lv.loc["scalar", "delta_cfi"] < -0.01
    expect = "metric" if lv.loc["scalar", "delta_rmsea"] >= 0.015 else "scalar"
    assert out["highest_level_held"] == expect
    json.dumps(out)


def test_partial_invariance_releases_threshold(data):
    model = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"

    def scalar_df(partial):
        res = ordinal_invariance(data, model, "group", levels=("scalar",), group_partial=partial)
        return res.levels.set_index("level")["df"]["scalar"]

    full = scalar_df(())
    assert scalar_df(["y4 | t1"]) == full - 2
    # releasing every threshold of y4: its scale factor and intercept go back to 1 / 0
    assert scalar_df(["y4 | t1", "y4 | t2", "y4 | t3", "y4 | t4"]) == full - 8 + 2


def test_partable_identification(ref):
    nth = {f"y{i}": 4 for i in range(1, 19)}
    pt = wu_estabrook_partable(ref["model"], "thresholds", nth, 2)
    rows = {(r["lhs"], r["op"], r["rhs"], r["group"]): r for r in pt.rows}
    assert rows[("y1", "~*~", "y1", 1)]["free"] == 0
    assert rows[("y1", "~*~", "y1", 2)]["free"] > 0
    assert rows[("y1", "~1", "", 2)]["free"] > 0
    assert rows[("f1", "~1", "", 2)]["free"] == 0
    assert rows[("y1", "|", "t1", 1)]["free"] == rows[("y1", "|", "t1", 2)]["free"]
    with pytest.raises(ModelError, match="level"):
        wu_estabrook_partable(ref["model"], "strict", nth, 2)


def test_strict_is_rejected_with_a_reason(data):
    with pytest.raises(ModelError, match="strict.*delta"):
        ordinal_invariance(data, "f1 =~ y1 + y2 + y3", "group", levels=("metric", "strict"))


def test_needs_two_groups(ref, data):
    with pytest.raises(DataError, match="two groups"):
        ordinal_invariance(data[data.group == "A"], ref["model"], "group")


def test_chisq_difference_method(ref, data):
    # the WLSMVResult hook used by the generic invariance code
    a = fit_wlsmv(data, "f1 =~ y1 + y2 + y3 + y4", ordered="all", group="group",
                  group_equal=["thresholds"])
    b = fit_wlsmv(data, "f1 =~ y1 + y2 + y3 + y4", ordered="all", group="group",
                  group_equal=["thresholds", "loadings"])
    stat, ddf = b.chisq_difference(a)
    assert ddf == b.fit["df"] - a.fit["df"] and stat > 0


def test_cli_invariance_json():
    from click.testing import CliRunner

    from qimscale.cli import main

    args = ["invariance", str(REF / "data" / "wlsmv_ordinal.csv"), "--model",
            "f1 =~ y1 + y2 + y3 + y4 + y5 + y6", "--group", "group", "--estimator", "WLSMV",
            "--ordered", "all", "--json"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    res = json.loads(out.stdout)
    assert [r["level"] for r in res["levels"]] == ["configural", "thresholds", "metric", "scalar"]
    assert res["highest_level_held"] in ("configural", "thresholds", "metric", "scalar")
    assert res["levels"][0]["chisq_diff_p"] is None  # NaN -> null


def test_difference_test_needs_same_data(data):
    from qimscale.analysis.cfa.wlsmv_invariance import lrt_satorra2000

    a = fit_wlsmv(data, "f1 =~ y1 + y2 + y3 + y4", ordered="all")
    b = fit_wlsmv(data.head(600), "f1 =~ y1 + y2 + y3 + y4", ordered="all")
    with pytest.raises(ModelError, match="same data"):
        lrt_satorra2000(a, b)
