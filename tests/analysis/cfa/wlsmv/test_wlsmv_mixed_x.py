"""WLSMV with ordered items, continuous endogenous variables and covariates against lavaan.

Reference: tests/reference/wlsmv_mixed_x.R (lavaan 0.6-14, ``sem(..., ordered = items, estimator =
"WLSMV")``, ``conditional.x = TRUE``). Cases: a continuous performance score regressed on two
ordinal-measured factors and a covariate, a continuous indicator of a factor regressed on a
covariate, two continuous indicators with two covariates and a direct effect, and pairwise
missingness in an ordered item and a continuous variable, a factor with one ordered and three
continuous indicators, rows with only a continuous value observed (pairwise: kept, as lavaan),
a residual covariance of a continuous and an ordered indicator, and two groups (configural, and with
equal loadings, thresholds, intercepts and regressions). Tolerances: fit measures 1e-4, scaled
statistics 2e-3, estimates and standardized values 1e-4, SEs 1e-3 relative.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from differential_compare import (ESTIMATE_CHECKS, REF_DIR, assert_estimates, assert_fit_measures, assert_r_squared,
                                  lavaan_estimates, load_reference, merge_estimates)

from qimscale.analysis.cfa import sem
from qimscale.analysis.cfa.syntax import parse_model
from qimscale.analysis.cfa.wlsmv_x import fit_wlsmv_x
from qimscale.errors import DataError, ModelError

REF, DATA = load_reference("wlsmv_mixed_x")
CASES = {c["name"]: c for c in REF["cases"]}
ORDERED = [f"y{k}" for k in range(1, 8)] + ["y2m", "y1p", "y2p", "y3p"]


def _fit(c):
    used = set(re.findall(r"\w+", c["model"]))
    return sem(c["model"], DATA, ordered=[v for v in ORDERED if v in used], estimator="WLSMV", missing=c["missing"],
               group=c["group"], group_equal=c["group_equal"] or ())


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    c = CASES[request.param]
    return _fit(c), c


def _gamma(lower, k):
    G = np.zeros((k, k))
    G.T[np.triu_indices(k)] = lower  # R's lower triangle, column by column
    return G + G.T - np.diag(np.diag(G))


def test_sample_statistics_and_gamma(case):
    res, ref = case
    assert len(res.stats) == len(ref["wls_obs"])
    for st, want, lower in zip(res.stats, ref["wls_obs"], ref["gamma"]):
        np.testing.assert_allclose(st.s, want, rtol=1e-6, atol=1e-6)
        G = _gamma(lower, len(want))
        np.testing.assert_allclose(st.gamma, G, atol=1e-6 * np.abs(G).max())


def test_fit_measures(case):
    res, ref = case
    assert_fit_measures(res, ref["fit"], ref["name"])


def test_estimates_ses_and_standardized(case):
    res, ref = case
    # lavaan writes 'c1 ~~ y1' as 'y1 ~~ c1': covariances are compared as unordered pairs
    m = merge_estimates(lavaan_estimates(ref, single_group=res.model.ngroups == 1), res.parameter_estimates(),
                        unordered_covariances=True)
    assert_estimates(m, ref["name"], ESTIMATE_CHECKS)


def test_r_squared(case):
    res, ref = case
    assert_r_squared(res, ref["r2"], ref["name"])  # (lavaan's NA in R² comes with a warning: none here)


def test_result_protocol(case):
    res, ref = case
    d = res.to_dict()
    assert d["covariates"] and d["r2"] and "r2" in res.tables()
    assert "WLSMV" in res.summary()
    assert not ref["warnings"]


def test_only_continuous_endogenous_variables_are_refused():
    with pytest.raises(ModelError, match="ordered"):
        sem("F =~ c1 + c2 + perf\nF ~ years", DATA, ordered=[], estimator="WLSMV")
    with pytest.raises(ModelError, match="at least one ordered"):
        fit_wlsmv_x(DATA, parse_model("F =~ c1 + c2 + perf\nF ~ years"), ordered=[])


def test_continuous_indicator_needs_numbers():
    d = DATA.astype({"c1": object})
    d.loc[3, "c1"] = "high"
    with pytest.raises(DataError, match=r"row 5, column 'c1': value 'high'"):
        sem("F =~ y1 + y2 + y3 + c1\nF ~ years", d, ordered=["y1", "y2", "y3"], estimator="WLSMV")


def test_cli_cfa_continuous_outcome_with_covariate_matches_lavaan(tmp_path):
    from click.testing import CliRunner

    from qimscale.cli import main

    c = CASES["perf_on_factors"]
    model = tmp_path / "m.lav"
    model.write_text(c["model"])
    out = CliRunner().invoke(main, ["cfa", str(REF_DIR / "data" / "wlsmv_mixed_x.csv"), "--model", str(model),
                                    "--ordered", ",".join(f"y{k}" for k in range(1, 8)), "--missing", "listwise",
                                    "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert got["covariates"] == ["years"]
    assert got["fit"]["chisq_scaled"] == pytest.approx(c["fit"]["chisq.scaled"], rel=2e-3)
    assert {r["variable"]: r["r2"] for r in got["r2"]}["perf"] == pytest.approx(c["r2"][0]["perf"], abs=1e-4)
