"""WLSMV with mixed ordered and continuous observed variables against lavaan 0.6-14.

Reference: ``tests/reference/wlsmv_mixed.R`` (``sem(..., ordered = c(...), estimator = "WLSMV")``
with the other variables numeric), data ``tests/reference/wlsmv_mixed_data.csv``. Tolerances as
issue 12: fit measures 1e-4, scaled statistics 2e-3, estimates 1e-4, SEs 1e-3 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from differential_compare import assert_estimates, merge_estimates

from qimscale.analysis.cfa.ordinal_stage1_mixed import encode_mixed, mixed_stage1
from qimscale.analysis.cfa.wlsmv import fit_wlsmv

REF = Path(__file__).resolve().parents[3] / "reference"
R = json.loads((REF / "wlsmv_mixed.json").read_text())
DATA = pd.read_csv(REF / "wlsmv_mixed_data.csv")

FIT_TOL = 1e-4
SCALED_TOL = 2e-3
EST_TOL = 1e-4
SE_RTOL = 1e-3
SCALED_KEYS = ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "chisq_shift_parameter",
               "baseline_chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled",
               "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled")


def _as_list(x):
    return x if isinstance(x, list) else [x]


def _fit(case):
    group = case["group"] if case["group"] else None
    geq = [g for g in _as_list(case["group_equal"]) if g]
    return fit_wlsmv(DATA, case["model"], ordered=_as_list(case["ordered"]), group=group,
                     group_equal=geq, missing=case["missing"])


_CACHE: dict = {}


def _result(name):
    if name not in _CACHE:
        with _no_raise():
            _CACHE[name] = _fit(R["cases"][name])
    return _CACHE[name]


class _no_raise:
    def __enter__(self):
        import warnings
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *a):
        self._w.__exit__(*a)


CASES = sorted(R["cases"])


@pytest.mark.parametrize("name", CASES)
def test_fit_measures(name):
    ref = R["cases"][name]["fit"]
    fm = _result(name).fit_measures()
    for key, want in ref.items():
        k = key.replace(".", "_")
        got = fm[k]
        if want is None or (isinstance(want, str) and want == "NA"):
            assert math.isnan(got), k
            continue
        tol = SCALED_TOL if k in SCALED_KEYS else FIT_TOL
        assert got == pytest.approx(want, abs=tol, rel=tol), k


@pytest.mark.parametrize("name", CASES)
def test_estimates_and_ses(name):
    ref = pd.DataFrame(R["cases"][name]["estimates"])
    pe = _result(name).parameter_estimates()
    # lavaan may write a covariance the other way round: compared as unordered pairs
    m = merge_estimates(ref, pe[pe["op"] != "~*~"], unordered_covariances=True)
    assert len(m) == len(ref) and m["est"].notna().all()
    assert_estimates(m, name, (("est", "est_r", EST_TOL, EST_TOL), ("std_all", "std.all", EST_TOL, EST_TOL)))
    assert_estimates(m[m["se_r"] > 0], name, (("se", "se_r", SE_RTOL, 0.0),))


@pytest.mark.parametrize("name", CASES)
def test_sample_statistics_and_r2(name):
    res = _result(name)
    wls = np.atleast_2d(np.asarray(R["cases"][name]["wls_obs"], dtype=float))  # one row per group
    assert wls.shape[0] == len(res.stats)
    for st, want in zip(res.stats, wls):
        np.testing.assert_allclose(st.s, want, atol=1e-6, rtol=1e-6)
    r2s = R["cases"][name]["r2"]
    for g, r2 in enumerate(r2s.values() if isinstance(r2s, dict) else r2s):  # by group label with groups
        got = res.r_squared(g)
        for k, v in r2.items():
            assert got[k] == pytest.approx(v, abs=EST_TOL), k


def test_stage1_gamma_matches_lavaan():
    ords = ["e1", "e2", "e3", "e4"]
    ov = ["e1", "e2", "x1", "e3", "e4"]
    codes, values, levels = encode_mixed(DATA, ov, ords)
    st = mixed_stage1(codes, values, [len(levels[v]) for v in ords], ov, ords)
    np.testing.assert_allclose(st.s, R["stage1"]["wls_obs"], atol=1e-7)
    G = np.asarray(R["stage1"]["gamma"])
    np.testing.assert_allclose(st.gamma, G, atol=1e-6 * np.abs(G).max())


def test_polyserial_matches_lavcor():
    names = R["lavcor"]["names"]
    ords = [v for v in names if v[0] in "el"]
    codes, values, levels = encode_mixed(DATA, names, ords)
    st = mixed_stage1(codes, values, [len(levels[v]) for v in ords], names, ords)
    np.testing.assert_allclose(st.cor, np.asarray(R["lavcor"]["cor"]), atol=1e-6)


def test_continuous_only_is_a_model_error():
    from qimscale.errors import ModelError

    with pytest.raises(ModelError, match="at least one ordered"):
        fit_wlsmv(DATA, "F =~ x1 + x2 + perf", ordered=[])


def test_difference_and_score_tests_match_lavaan():
    # lavTestLRT(free, equal) (satorra.2000) and lavTestScore(equal)$uni with a continuous indicator
    model, o = "F =~ e1 + e2 + x1 + e3 + e4", ["e1", "e2", "e3", "e4"]
    with _no_raise():
        free = fit_wlsmv(DATA, model, ordered=o, group="site")
        eq = fit_wlsmv(DATA, model, ordered=o, group="site", group_equal=["loadings"])
    stat, df = eq.chisq_difference(free)
    assert stat == pytest.approx(R["lrt"]["chisq_diff"], rel=SCALED_TOL)
    assert df == R["lrt"]["df_diff"]
    np.testing.assert_allclose(np.sort(eq.release_tests()["x2"].to_numpy()), R["score_x2"], rtol=SE_RTOL)


def test_cli_partial_ordered_list_fits_the_others_as_continuous(tmp_path):
    # qimscale cfa DATA --model M --ordered a,b,c: the JSON is the library's result
    from click.testing import CliRunner

    from qimscale.cli import main

    case = R["cases"]["continuous_outcome"]
    res = CliRunner().invoke(main, ["cfa", str(REF / "wlsmv_mixed_data.csv"), "--model", case["model"],
                                    "--ordered", ",".join(case["ordered"]), "--json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    fm = out["fit"]
    assert fm["chisq_scaled"] == pytest.approx(case["fit"]["chisq.scaled"], rel=SCALED_TOL)
    assert fm["cfi_robust"] is None  # NA in lavaan with continuous variables too
    got = {(e["lhs"], e["op"], e["rhs"]): e["est"] for e in out["estimates"]}
    for e in pd.DataFrame(case["estimates"]).itertuples():
        if e.op == "~":
            assert got[(e.lhs, e.op, e.rhs)] == pytest.approx(e.est, abs=EST_TOL)


def test_bad_continuous_values_name_row_column_and_value():
    from qimscale.errors import DataError

    d = DATA.copy()
    d["x1"] = d["x1"].astype(object)
    d.loc[4, "x1"] = "12,5"
    with pytest.raises(DataError, match=r"row 6, column 'x1': value '12,5'"):
        fit_wlsmv(d, "F =~ e1 + e2 + x1 + e3 + e4", ordered=["e1", "e2", "e3", "e4"])
    with pytest.raises(DataError, match="no variance"):
        fit_wlsmv(DATA.assign(x1=3.0), "F =~ e1 + e2 + x1 + e3 + e4", ordered=["e1", "e2", "e3", "e4"])


def test_implied_means_and_correlation_residuals_of_continuous_variables():
    res = _result("continuous_outcome")
    R_, tau = res.implied()[0]
    st = res.stats[0]
    # a saturated mean structure: the implied mean of perf is its sample mean, its variance as the model says
    assert tau["perf~1"] == pytest.approx(st.means["perf"], abs=1e-8)
    assert R_.loc["perf", "perf"] > 1.0 and R_.loc["e1", "e1"] == 1.0
    resid = res.residual_correlations()[0]
    assert np.allclose(np.diag(resid), 0.0) and abs(resid.loc["perf", "e1"]) < 0.1
