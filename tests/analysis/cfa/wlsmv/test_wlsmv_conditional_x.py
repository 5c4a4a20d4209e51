"""WLSMV with observed exogenous covariates against lavaan (tests/reference/wlsmv_conditional_x.R).

lavaan 0.6-14's default for categorical data with covariates is ``conditional.x = TRUE``:
probit regressions and residual polychorics in stage 1, the covariates' moments fixed. Cases:
latent variables on one and two covariates (one binary), a MIMIC direct effect, a latent
mediation with ``:=``, binary items with ``std.lv``, an ordinal outcome on covariates (and on a
factor), a
second-order factor on covariates (a Heywood case: lavaan and qimscale warn), two groups
(configural and with equal loadings/thresholds/regressions), pairwise and listwise missingness
(rows missing a covariate are dropped), and error cases (collinear or constant covariates, an
under-identified model). Tolerances: fit measures 1e-4, scaled statistics 2e-3, estimates and
standardized values 1e-4, SEs 1e-3 relative.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from differential_compare import (ESTIMATE_CHECKS, REF_DIR, assert_estimates, assert_fit_measures, assert_r_squared,
                                  lavaan_estimates, load_reference, merge_estimates)

from qimscale.analysis.cfa import sem
from qimscale.analysis.cfa.ordinal_stage1_x import ordinal_stage1_x
from qimscale.errors import DataError, ModelError

REF, DATA = load_reference("wlsmv_conditional_x")
CASES = {c["name"]: c for c in REF["cases"]}
for _c in CASES.values():  # jsonlite unboxes one warning to a string and names per-group lists by group
    _c["warnings"] = [_c["warnings"]] if isinstance(_c["warnings"], str) else _c["warnings"]
    for _k in ("wls_obs", "r2"):
        if isinstance(_c.get(_k), dict) and _c["group"] is not None:
            _c[_k] = list(_c[_k].values())
#: lavaan warnings that leave its estimates usable (rows dropped for a missing covariate; a Heywood case)
BENIGN = ("exogenous variable(s)", "lv variances are negative")
FITTED = [n for n, c in CASES.items() if "error" not in c and all(any(b in w for b in BENIGN) for w in c["warnings"])]


def _fit(c):
    return sem(c["model"], DATA, ordered="all", estimator="WLSMV", std_lv=c["std_lv"],
               group=c["group"], group_equal=c["group_equal"] or (), missing=c["missing"])


@pytest.fixture(scope="module", params=FITTED)
def case(request):
    c = CASES[request.param]
    return _fit(c), c


def test_sample_statistics(case):
    res, ref = case
    for st, want in zip(res.stats, ref["wls_obs"]):
        np.testing.assert_allclose(st.s, want, atol=1e-6)


def test_fit_measures(case):
    res, ref = case
    assert_fit_measures(res, ref["fit"], ref["name"])


def test_estimates_ses_and_standardized(case):
    res, ref = case
    m = merge_estimates(lavaan_estimates(ref, single_group=res.model.ngroups == 1), res.parameter_estimates())
    assert_estimates(m, ref["name"], ESTIMATE_CHECKS)


def test_r_squared(case):
    res, ref = case
    assert_r_squared(res, ref["r2"], ref["name"])


def test_result_protocol(case):
    res, _ = case
    d = res.to_dict()
    assert d["covariates"] and d["r2"] and "r2" in res.tables()
    assert "WLSMV" in res.summary()


def test_lavaan_warnings_are_mirrored(case):
    res, ref = case
    assert bool(res.warnings) >= bool(ref["warnings"])


def test_pairwise_drops_rows_missing_a_covariate_with_a_warning():
    c = CASES["pairwise_missing"]
    assert any("exogenous" in w for w in c["warnings"])  # lavaan warns and drops them
    res = _fit(c)
    assert res.ntotal_ == c["fit"]["ntotal"]
    assert any("missing covariate" in w for w in res.warnings)


def test_collinear_covariates_are_a_clean_error():
    # lavaan warns ("trouble constructing W matrix; used generalized inverse") and fits with a
    # generalised inverse; qimscale stops and names the covariates
    assert CASES["collinear_covariates"]["warnings"]
    with pytest.raises(DataError, match="collinear"):
        _fit(CASES["collinear_covariates"])


def test_constant_covariate_is_a_clean_error():
    assert "no variance" in CASES["constant_covariate"]["error"]
    with pytest.raises(DataError, match="constant or collinear"):
        _fit(CASES["constant_covariate"])


def test_not_identified_is_a_clean_error():
    c = CASES["not_identified"]
    assert any("could not" in w.lower() for w in c["warnings"])
    with pytest.raises(ModelError, match="not identified"):
        _fit(c)


def test_covariate_declared_ordered_is_refused():
    # (continuous endogenous variables with covariates are fitted: test_wlsmv_mixed_x.py)
    with pytest.raises(ModelError, match="declared ordered"):
        sem("F =~ y1 + y2 + y3\nF ~ xb", DATA, ordered=["y1", "y2", "y3", "xb"], estimator="WLSMV")


def test_text_in_a_covariate_names_row_and_column():
    d = DATA.astype({"x1": object})
    d.loc[4, "x1"] = "n/a"
    with pytest.raises(DataError, match=r"row 6, column 'x1': value 'n/a'"):
        sem("F =~ y1 + y2 + y3\nF ~ x1", d, ordered="all", estimator="WLSMV")


def test_stage1_without_covariate_variation_matches_plain_thresholds():
    # with a covariate unrelated to the items, the probit intercepts are close to the plain thresholds
    codes = DATA[["y2", "y3"]].to_numpy() - 1
    st = ordinal_stage1_x(codes, DATA[["x2"]].to_numpy(float), [5, 5], ["y2", "y3"], ["x2"])
    assert st.s.size == 8 + 2 + 1 and st.gamma.shape == (11, 11)
    assert np.all(np.diff(st.thresholds[0]) > 0)


def test_cli_cfa_ordered_with_covariates_matches_the_library(tmp_path):
    from click.testing import CliRunner

    from qimscale.cli import main

    c = CASES["mimic_dif"]
    model = tmp_path / "m.lav"
    model.write_text(c["model"])
    out = CliRunner().invoke(main, ["cfa", str(REF_DIR / "data" / "wlsmv_conditional_x.csv"), "--model", str(model),
                                    "--ordered", "all", "--missing", "listwise", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert got["covariates"] == ["x1", "xb"]
    assert got["fit"]["chisq_scaled"] == pytest.approx(c["fit"]["chisq.scaled"], rel=2e-3)
    lib = _fit(c).to_dict()
    assert [e["est"] for e in got["estimates"]] == pytest.approx([e["est"] for e in lib["estimates"]], abs=1e-12)


def test_reliability_is_refused_with_covariates():
    # semTools::compRelSEM() stops on a conditional.x fit; qimscale says why instead of guessing
    res = _fit(CASES["latent_on_two"])
    for method in (res.reliability, res.htmt, res.fornell_larcker):
        with pytest.raises(ModelError, match="not available"):
            method()
    assert res.to_dict()["reliability"] is None and "reliability" not in res.tables()


def _two_groups(geq):
    return sem("F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb", DATA, ordered="all", estimator="WLSMV", group="grp",
               group_equal=geq, missing="listwise")


def test_nested_comparison_and_score_tests_match_lavaan():
    # lavTestLRT(configural, equal) and lavTestScore(equal)$uni with covariates
    conf, eq = _two_groups(()), _two_groups(("loadings", "thresholds", "regressions"))
    stat, df = eq.chisq_difference(conf)
    assert df == REF["lrt"]["df_diff"]
    assert stat == pytest.approx(REF["lrt"]["chisq_diff"], rel=2e-3)
    got = eq.release_tests()
    want = pd.DataFrame(REF["score_uni"])
    m = want.merge(got[got.group == 2], on=["lhs", "op", "rhs"], suffixes=("_r", ""))
    assert len(m) == len(want)
    np.testing.assert_allclose(m.x2, m.x2_r, rtol=2e-3, atol=1e-5)


def test_invariance_sequence_with_covariates_is_refused():
    from qimscale.analysis.cfa import measurement_invariance

    with pytest.raises(ModelError, match="covariates"):
        measurement_invariance("F =~ y1 + y2 + y3 + y4\nF ~ x1 + xb", DATA, group="grp", estimator="WLSMV",
                               ordered="all", missing="listwise")


def test_covariate_constant_in_one_group_names_the_group():
    d = DATA.assign(xg=np.where(DATA.grp == "A", 1.0, DATA.x1))
    with pytest.raises(DataError, match="in group 'A'"):
        sem("F =~ y1 + y2 + y3 + y4\nF ~ xg", d, ordered="all", estimator="WLSMV", group="grp", missing="listwise")
