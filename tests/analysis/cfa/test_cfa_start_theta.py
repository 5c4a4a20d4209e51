"""ML fits whose start values imply a correlation beyond 1, and solutions with an improper residual
covariance matrix, against lavaan 0.6 (``tests/reference/cfa_start_theta.R``).

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
