"""Partial ordinal invariance (WLSMV, two groups) against semTools::measEq.syntax
(tests/reference/review3_wlsmv_partial.R).

Each case releases parameters with ``group_partial`` and carries the release through
every level (configural → thresholds → metric → scalar), as a semTools user does
with ``group.partial``: one, two or three of an item's four thresholds (with a
single equal threshold left its scale factor stays at 1 until the intercepts are
equal too), all of them (its scale factor and intercept then go back to 1 and 0),
an intercept at the scalar level, and a loading at the metric level. Checked: fit measures,
estimates and SEs of every level, and the scaled-shifted difference tests of
``lavTestLRT`` between successive levels.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import measurement_invariance
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

REF_DIR = Path(__file__).parents[3] / "reference"
REF = json.loads((REF_DIR / "review3_wlsmv_partial.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_wlsmv_partial.csv")
EXACT = ("npar", "df", "df_scaled")
REL = ("chisq",)
SCALED = ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "cfi_scaled", "tli_scaled", "rmsea_scaled")
CASE_LEVELS = [(c, lv["level"]) for c, v in REF["cases"].items() for lv in v["levels"]]


@cache
def chain(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ordinal_invariance(DATA, REF["model"], "site", group_partial=REF["cases"][case]["partial"])


def _ref_level(case, level):
    return next(lv for lv in REF["cases"][case]["levels"] if lv["level"] == level)


def assert_fit_matches(fm, ref):
    """fit_measures() of a WLSMV fit against lavaan's fitMeasures (repository tolerances)."""
    for key, want in ref.items():
        k = key.replace(".", "_")
        if k in EXACT:
            assert fm[k] == want, k
        elif k in REL:
            assert fm[k] == pytest.approx(want, rel=1e-5), k
        elif k in SCALED:
            assert fm[k] == pytest.approx(want, rel=1e-3, abs=1e-4), k
        else:
            assert fm[k] == pytest.approx(want, abs=1e-4), k


def assert_estimates_match(pe, ref):
    """Every row of parameter_estimates() against parameterEstimates (est, se)."""
    m = pd.DataFrame(ref).merge(pe, on=["lhs", "op", "rhs", "group"], suffixes=("_r", "_p"), how="outer",
                                indicator=True)
    assert (m._merge == "both").all(), m.loc[m._merge != "both", ["lhs", "op", "rhs", "group", "_merge"]]
    np.testing.assert_allclose(m.est_p, m.est_r, atol=1e-4)
    np.testing.assert_allclose(m.se_p.astype(float), m.se_r.astype(float), atol=1e-4)


def assert_lrt_matches(row, lrt):
    """A row of InvarianceResult.levels against lavTestLRT (scaled-shifted difference)."""
    assert row["df_diff"] == lrt["df_diff"]
    assert row["chisq_diff"] == pytest.approx(lrt["chisq_diff"], rel=1e-3, abs=1e-6)
    if lrt["p"] is not None:
        assert row["chisq_diff_p"] == pytest.approx(lrt["p"], rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_fit_measures(case, level):
    assert_fit_matches(chain(case).fits[level].fit_measures(), _ref_level(case, level)["fit"])


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_estimates_and_se(case, level):
    assert_estimates_match(chain(case).fits[level].parameter_estimates(), _ref_level(case, level)["estimates"])


@pytest.mark.parametrize("case,level", [c for c in CASE_LEVELS if c[1] != "configural"])
def test_difference_tests(case, level):
    assert_lrt_matches(chain(case).levels.set_index("level").loc[level], _ref_level(case, level)["lrt"])


def test_released_intercept_through_measurement_invariance():
    """The generic entry point (what the CLI calls) passes the release on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = measurement_invariance(REF["model"], DATA, group="site", estimator="WLSMV", ordered="all",
                                     group_partial=["y3 ~ 1"])
    lv = res.levels.set_index("level")
    ref = _ref_level("int", "scalar")
    assert lv.loc["scalar", "df"] == ref["fit"]["df"]
    assert lv.loc["scalar", "chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-3)


def test_cli_partial_intercept(tmp_path):
    from click.testing import CliRunner

    from qimscale.cli import main

    path = tmp_path / "d.csv"
    DATA.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["invariance", str(path), "--model", REF["model"], "--group", "site",
                                    "--ordered", "all", "--partial", "y3~1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    scalar = next(r for r in out["levels"] if r["level"] == "scalar")
    assert scalar["df"] == _ref_level("int", "scalar")["fit"]["df"]
