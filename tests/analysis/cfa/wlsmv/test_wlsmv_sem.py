"""Ordinal SEM under WLSMV against lavaan (tests/reference/wlsmv_sem.R).

Latent regressions with ``:=`` effects (delta-method SEs), second-order factors
(marker and ``std.lv``), a two-indicator factor (its starts used to make the
Gauss-Newton system singular), a two-group structural model and an
under-identified model (lavaan warns that SEs and the robust test cannot be
computed; qimscale stops with a ModelError naming a parameter).
"""

from __future__ import annotations

import numpy as np
import pytest
from differential_compare import (ESTIMATE_CHECKS, assert_estimates, assert_fit_measures, lavaan_estimates,
                                  load_reference, merge_estimates)

from qimscale.analysis.cfa import sem
from qimscale.errors import ModelError

REF, DATA = load_reference("wlsmv_sem")
CASES = {c["name"]: c for c in REF["cases"]}
CLEAN = [n for n, c in CASES.items() if not c["warnings"]]


def _fit(c):
    return sem(c["model"], DATA, ordered="all", estimator="WLSMV", std_lv=c["std_lv"],
               group=c["group"], group_equal=c["group_equal"] or ())


@pytest.fixture(scope="module", params=CLEAN)
def case(request):
    c = CASES[request.param]
    return _fit(c), c


def test_fit_measures(case):
    res, ref = case
    assert res.ntotal_ == ref["ntotal"]
    assert_fit_measures(res, ref["fit"], ref["name"], scaled=("scal", "shift"))


def test_estimates_ses_and_standardized(case):
    res, ref = case
    m = merge_estimates(lavaan_estimates(ref, single_group=res.model.ngroups == 1), res.parameter_estimates())
    assert_estimates(m, ref["name"], ESTIMATE_CHECKS)


def test_defined_effects_present():
    res = _fit(CASES["paths"])
    pe = res.parameter_estimates().set_index("lhs")
    a, b, c = (pe.query(f"label == '{x}'").est.item() for x in "abc")
    assert pe.loc["ind", "est"] == pytest.approx(c * a)
    assert pe.loc["tot", "est"] == pytest.approx(b + c * a)


def test_not_identified_is_a_clean_error():
    c = CASES["not_identified"]
    assert any("could not" in w.lower() for w in c["warnings"])  # lavaan warns
    with pytest.raises(ModelError, match="not identified.*m1 ~1"):
        _fit(c)


def test_observed_covariate_is_a_numeric_covariate():
    # lavaan's ordered = TRUE leaves the exogenous covariate numeric (conditional.x); checked against
    # lavaan in test_wlsmv_conditional_x.py. Declared ordered, it is a clean error.
    res = sem("F =~ p1 + p2 + p3\nF ~ l1", DATA, ordered="all")
    assert ((res.parameter_estimates().op == "~") & (res.parameter_estimates().rhs == "l1")).sum() == 1
    with pytest.raises(ModelError, match="declared ordered"):
        sem("F =~ p1 + p2 + p3\nF ~ l1", DATA, ordered=["p1", "p2", "p3", "l1"])


def test_mixed_ordered_and_continuous_is_fitted():
    # lavaan fits continuous indicators beside ordered ones (polyserial correlations, variances in the
    # WLS fit); so does qimscale (checked against lavaan in test_wlsmv_mixed.py)
    d = DATA.assign(score=DATA.p1 + 0.25 * DATA.p2)
    res = sem("F =~ p1 + p2 + p3 + score", d, ordered=["p1", "p2", "p3"], estimator="WLSMV")
    assert res.model.continuous == ["score"]


def test_negative_latent_variance_gives_nan_std_without_numpy_warnings():
    import warnings

    res = _fit(CASES["two_indicator"])
    theta = res.theta.copy()
    k = next(r["free"] - 1 for r in res.partable.rows if r["op"] == "~~" and r["lhs"] == r["rhs"] == "f2")
    theta[k] = -0.2  # a Heywood latent variance
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est, std_lv, std_all = res._row_values(theta)
    rows = res.partable.rows
    i = next(n for n, r in enumerate(rows) if r["op"] == "=~" and r["lhs"] == "f2" and r["free"] > 0)
    assert np.isnan(std_all[i]) and est[i] == theta[rows[i]["free"] - 1]
