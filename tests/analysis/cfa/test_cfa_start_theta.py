"""ML fits whose start values imply a correlation beyond 1, solutions with an improper residual
covariance matrix (``tests/reference/cfa_start_theta.R``) and an MLR sandwich made singular by a
small group (``tests/reference/mlr_small_group.R``), against lavaan 0.6.

The data were simulated with numpy (one factor, four indicators; in the first file the second
indicator is the first plus 5 % noise, seed 1; in the second the first two share a specific factor,
seed 11) and written with their full precision.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import sem
from qimscale.analysis.cfa.wlsmv import _improper_residual_correlations

REF = Path(__file__).parents[2] / "reference"
CASES = {c["name"]: c for c in json.loads((REF / "cfa_start_theta.json").read_text())["cases"]}
DATA = {"start_collinear": "cfa_start_collinear.csv", "theta_npd": "cfa_theta_npd.csv"}


def _fit(name):
    return sem(CASES[name]["model"], pd.read_csv(REF / "data" / DATA[name]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_lavaan(name):
    ref, res = CASES[name], _fit(name)
    fm = res.fit_measures()
    for key in ("npar", "chisq", "df", "cfi", "rmsea", "srmr"):
        assert fm[key] == pytest.approx(ref["fit"][key], rel=1e-4, abs=1e-7), key
    pe = res.parameter_estimates().set_index(["lhs", "op", "rhs"])
    for row in pd.DataFrame(ref["estimates"]).itertuples():
        ours = pe.loc[(row.lhs, row.op, row.rhs)]
        assert ours["est"] == pytest.approx(row.est, abs=1e-4)
        assert ours["se"] == pytest.approx(row.se, rel=1e-3, abs=1e-6)
        assert ours["std_all"] == pytest.approx(row._6, abs=1e-4)


def test_start_values_beyond_one_are_repaired_not_a_crash():
    """lavaan warns about its own start values and fits; qimscale ended in numpy's LinAlgError."""
    assert "starting values imply a correlation larger than 1" in CASES["start_collinear"]["warnings"][0]
    res = _fit("start_collinear")
    assert res.converged_ and not res.warnings_


def test_improper_residual_covariances_are_reported_as_lavaan_does():
    assert "(theta) is not positive definite" in CASES["theta_npd"]["warnings"][0]
    res = _fit("theta_npd")
    assert any("(theta) is not positive definite" in w for w in res.warnings_)
    assert not _fit("start_collinear").warnings_  # a residual correlation of .997 is proper


def test_wlsmv_names_residual_correlations_beyond_one():
    theta = np.array([[0.0, -0.2, 0.0], [-0.2, 0.0, 0.05], [0.0, 0.05, 0.0]])
    note = _improper_residual_correlations(["y1", "y2", "y3"], theta, np.array([0.1, 0.2, 0.5]))
    assert note == "residual correlation(s) beyond +/-1 (y1 ~~ y2: -1.414)"
    assert _improper_residual_correlations(["y1", "y2", "y3"], theta, np.array([1.0, 1.0, 1.0])) is None
    # a negative residual variance is a Heywood case, reported on its own
    assert _improper_residual_correlations(["y1", "y2", "y3"], theta, np.array([-0.1, 0.2, 0.5])) is None


def test_mlr_warns_when_a_group_has_fewer_cases_than_parameters():
    """A group of 14 cases for 18 parameters makes the sandwich singular; lavaan warns that the vcov
    "does not appear to be positive definite" (``tests/reference/mlr_small_group.R``), and so does
    qimscale, naming the group. The same data under ML, and the larger group alone, give no warning."""
    ref = json.loads((REF / "mlr_small_group.json").read_text())
    assert "does not appear to be positive definite" in ref["warnings"]
    d = pd.read_csv(REF / "data" / "mlr_small_group.csv")
    model = "F =~ y1 + y2 + y3 + y4 + y5 + y6"
    res = sem(model, d, estimator="MLR", group="g")
    assert [w for w in res.warnings_ if "sandwich" in w] == [
        "the robust (sandwich) covariance matrix of the estimates is singular (group 'A': 14 cases for 18 "
        "parameters): robust standard errors and tests are unreliable (lavaan warns that the vcov does not "
        "appear to be positive definite); use fewer parameters per group or estimator ML"]
    assert not [w for w in sem(model, d, estimator="ML", group="g").warnings_ if "sandwich" in w]
    assert not [w for w in sem(model, d[d.g == "B"], estimator="MLR").warnings_ if "sandwich" in w]
