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

import pytest
from differential_compare import assert_estimates_match, assert_fit_matches, assert_lrt_matches, load_reference

from qimscale.analysis.cfa import measurement_invariance
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

REF, DATA = load_reference("review3_wlsmv_partial")
CASE_LEVELS = [(c, lv["level"]) for c, v in REF["cases"].items() for lv in v["levels"]]


@cache
def chain(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ordinal_invariance(DATA, REF["model"], "site", group_partial=REF["cases"][case]["partial"])


def _ref_level(case, level):
    return next(lv for lv in REF["cases"][case]["levels"] if lv["level"] == level)


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_fit_measures(case, level):
    assert_fit_matches(chain(case).fits[level].fit_measures(), _ref_level(case, level)["fit"], f"{case} {level}")


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_estimates_and_se(case, level):
    assert_estimates_match(chain(case).fits[level].parameter_estimates(), _ref_level(case, level)["estimates"],
                           f"{case} {level}")


@pytest.mark.parametrize("case,level", [c for c in CASE_LEVELS if c[1] != "configural"])
def test_difference_tests(case, level):
    row = chain(case).levels.set_index("level").loc[level]
    assert_lrt_matches(row, _ref_level(case, level)["lrt"], f"{case} {level}")


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
