"""Score tests for releasing equality constraints vs lavaan::lavTestScore (lavaan 0.6-14).

References: tests/reference/invariance_score_tests.R (+ .json). lavaan's statistic is
the ordinary (unscaled) one for every estimator, so MLR and FIML-MLR equal ML and
FIML. Tolerances: the statistic is a quadratic form in the gradient at the
constrained estimates. Evaluated at lavaan's own estimates (committed in the JSON)
the formula is checked to 1e-7 relative. At qimscale's estimates the statistics
differ by up to ~1e-4 relative (ML ~2e-5, FIML ~4e-5, WLSMV ~1e-4, largest for the
smallest statistics): both programs stop their optimisers at a tolerance, and
the statistic, N g' J g with the gradient g small at the optimum, magnifies
differences of ~1e-7 in the estimates. There we check |got - ref| <= 2e-4 * max(1, ref).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA
from qimscale.analysis.cfa.score_tests import score_tests
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

HERE = Path(__file__).parents[2] / "reference"
REF = json.loads((HERE / "invariance_score_tests.json").read_text())
EQ = ["loadings", "intercepts"]


def _data(name):
    return pd.read_csv(HERE / "data" / name)


def _fit(case):
    hs_model, ord_model = REF["model_hs"], REF["model_ord"]
    if case in ("ml", "mlr"):
        return CFA(hs_model, group="school", group_equal=EQ, estimator=case.upper()).fit(_data("cfa_hs1939.csv"))
    if case in ("fiml", "fiml_mlr"):
        est = "MLR" if case == "fiml_mlr" else "ML"
        return CFA(hs_model, group="school", group_equal=EQ, estimator=est,
                   missing="fiml").fit(_data("cfa_hs1939_missing.csv"))
    ordd = _data("review3_wlsmv_partial.csv")
    if case == "wlsmv_unequal":
        return ordinal_invariance(ordd.iloc[100:], ord_model, "site", levels=["scalar"]).fits["scalar"]
    level = "thresholds" if case == "wlsmv_thresholds" else "scalar"
    return ordinal_invariance(ordd, ord_model, "site", levels=[level]).fits[level]


def _close(got, ref, tol=2e-4):
    assert abs(got - ref) <= tol * max(1.0, abs(ref)), (got, ref)


def _lavaan_theta(fit, case):
    """lavaan's estimates as the fit's (constrained) parameter vector."""
    est = pd.DataFrame(REF[case]["estimates"])
    key = {(r.lhs, r.op, r.rhs if isinstance(r.rhs, str) else "", int(r.group)): r.est
           for r in est.itertuples()}
    theta = np.full(len(fit.theta_), np.nan)
    for r in fit.partable_.rows:
        k = (r["lhs"], r["op"], r["rhs"] or "", int(r["group"]))
        if r["free"] > 0 and np.isnan(theta[r["free"] - 1]):
            theta[r["free"] - 1] = key[k]
    assert not np.isnan(theta).any()
    return theta


CASES = ["ml", "mlr", "fiml", "fiml_mlr", "wlsmv", "wlsmv_thresholds", "wlsmv_unequal"]


@pytest.fixture(scope="module")
def fits():
    return {case: _fit(case) for case in CASES}


@pytest.fixture(scope="module")
def results(fits):
    return {case: score_tests(fit) for case, fit in fits.items()}


@pytest.mark.parametrize("case", CASES)
def test_score_tests_at_lavaan_estimates(fits, case):
    """The formula alone: evaluated at lavaan's estimates, the statistics agree to 1e-7
    (1e-6 for WLSMV, whose stage-1 thresholds and polychoric correlations each
    program estimates itself)."""
    got = score_tests(fits[case], theta=_lavaan_theta(fits[case], case))
    ref = REF[case]
    tol = 1e-6 if case.startswith("wlsmv") else 1e-7
    _close(got.total["x2"], ref["total"]["x2"], tol)
    uni = got.univariate.set_index(["lhs", "op", "rhs", "group"])
    for row in ref["uni"]:
        _close(uni.loc[(row["lhs"], row["op"], row["rhs"], row["group"]), "x2"], row["x2"], tol)
    for x, r in zip(got.cumulative.x2, ref["cumulative"]):
        _close(x, r["x2"], tol)


@pytest.mark.parametrize("case", CASES)
def test_score_tests_match_lavtestscore(results, case):
    got, ref = results[case], REF[case]
    _close(got.total["x2"], ref["total"]["x2"])
    assert got.total["df"] == ref["total"]["df"]
    uni = got.univariate.set_index(["lhs", "op", "rhs", "group"])
    assert len(uni) == len(ref["uni"])
    for row in ref["uni"]:
        g = uni.loc[(row["lhs"], row["op"], row["rhs"], row["group"])]
        _close(g["x2"], row["x2"])
        assert g["pvalue"] == pytest.approx(row["p"], rel=1e-4, abs=1e-9)
    cum = got.cumulative
    assert list(zip(cum.lhs, cum.op, cum.rhs, cum.group)) == [
        (r["lhs"], r["op"], r["rhs"], r["group"]) for r in ref["cumulative"]]
    for x, r in zip(cum.x2, ref["cumulative"]):
        _close(x, r["x2"])
    assert list(cum.df) == [r["df"] for r in ref["cumulative"]]


def test_univariate_sorted_and_json_ready(results):
    st = results["ml"]
    assert list(st.univariate.x2) == sorted(st.univariate.x2, reverse=True)
    d = st.to_dict()
    assert set(d) == {"total", "univariate", "cumulative"}
    assert d["univariate"][0]["lhs"] == "x3" and d["univariate"][0]["op"] == "~1"


def test_no_constraints_gives_empty_tables():
    fit = CFA(REF["model_hs"], group="school").fit(_data("cfa_hs1939.csv"))
    st = score_tests(fit)
    assert st.total["df"] == 0 and st.univariate.empty and st.cumulative.empty


def test_fiml_sequence_locates_the_scalar_violation():
    """FIML: the sequence's release tests are lavTestScore's for the failing scalar level."""
    from qimscale.analysis.cfa import measurement_invariance

    res = measurement_invariance(REF["model_hs"], _data("cfa_hs1939_missing.csv"), group="school",
                                 missing="fiml", levels=("configural", "metric", "scalar"))
    assert res.highest_level_held == "metric"
    got = res.release_tests.set_index(["lhs", "op", "rhs", "group"])
    assert set(res.release_tests.level) == {"scalar"} and len(got) == len(REF["fiml"]["uni"])
    for row in REF["fiml"]["uni"]:
        _close(got.loc[(row["lhs"], row["op"], row["rhs"], row["group"]), "x2"], row["x2"])
    _close(res.score_tests.total["x2"], REF["fiml"]["total"]["x2"])


def test_downdate_equals_ginv_of_each_bordered_matrix(fits):
    """The fast path (partitioned inverse) gives what ginv of each bordered matrix gives."""
    import qimscale.analysis.cfa.score_tests as st

    fit = fits["ml"]
    fast = score_tests(fit)
    upt, back, R, *_ = st._unconstrained(fit.partable_)
    grad, info = st._gradient_information(fit, upt, np.asarray(fit.theta_)[back])
    slow = st._Bordered(info, R, grad, float(fit.ntotal_))
    slow.B = None  # every test from ginv, as lavaan computes it
    order = [np.flatnonzero([(r["lhs"], r["op"], r["rhs"], r["group"]) == (u.lhs, u.op, u.rhs, u.group)
                             for r in _released(fit)])[0] for u in fast.univariate.itertuples()]
    for i, x2 in zip(order, fast.univariate.x2):
        assert slow.stat([i])[0] == pytest.approx(x2, rel=1e-10, abs=1e-10)
    for r, x2 in enumerate(fast.cumulative.x2, start=1):
        assert slow.stat(order[:r])[0] == pytest.approx(x2, rel=1e-10, abs=1e-10)


def _released(fit):
    from qimscale.analysis.cfa.score_tests import _unconstrained

    return _unconstrained(fit.partable_)[3]


def test_wlsmv_release_tests_are_the_univariate_score_tests(fits, results):
    got = fits["wlsmv"].release_tests()
    pd.testing.assert_frame_equal(got, results["wlsmv"].univariate)
