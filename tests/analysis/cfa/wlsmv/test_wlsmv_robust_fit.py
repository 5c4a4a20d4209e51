"""Robust fit indices of WLSMV fits (Savalei 2021, lavaan's catML) against lavaan
(tests/reference/wlsmv_robust_fit.R).

One group (two factors, also with std.lv and a correlated residual), two factors
in three groups (free and equal loadings), one factor with a binary item in three
groups (free and equal loadings; equal thresholds, where lavaan gives NA),
pairwise deletion, a polychoric correlation at its 0.999 bound (one group; with
two groups a polychoric matrix is not positive definite and lavaan gives NA) and
the ordinal invariance chains of semTools::measEq.syntax (lavaan gives NA from the
thresholds level on). All within 2e-7 of lavaan; compared at abs 1e-4. The one-group, 7-category and
binary models of review3_wlsmv_categories are checked by that test.
"""

from __future__ import annotations

import json
import math
import warnings
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from qimscale.analysis.cfa import cfa
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance

REF_DIR = Path(__file__).parents[3] / "reference"
REF = json.loads((REF_DIR / "wlsmv_robust_fit.json").read_text())
KEYS = ("cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
        "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust")
CASES = [k for k, v in REF.items() if isinstance(v, dict) and "fit" in v]
INV = [(k, lv) for k, v in REF.items() if isinstance(v, dict) and "levels" in v for lv in v["levels"]]


def _check(fm, ref):
    assert fm["df"] == ref["df"] and fm["npar"] == ref["npar"]
    assert fm["chisq"] == pytest.approx(ref["chisq"], rel=1e-5)
    for key in KEYS:
        got, want = fm[key.replace(".", "_")], ref[key]
        if want is None:
            assert math.isnan(got), key
        else:
            assert got == pytest.approx(want, abs=1e-4), key


@pytest.mark.parametrize("name", CASES)
def test_robust_indices_match_lavaan(name):
    r = REF[name]
    data = pd.read_csv(REF_DIR / "data" / r["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cfa(r["model"], data, ordered=r["ordered"], estimator="WLSMV", group=r.get("group"),
                  group_equal=r.get("group_equal") or (), std_lv=bool(r.get("std_lv", False)),
                  missing=r.get("missing", "listwise"))
    _check(res.fit_measures(), r["fit"])


@cache
def _chain(name):
    r = REF[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ordinal_invariance(pd.read_csv(REF_DIR / "data" / r["data"]), r["model"], "group")


@pytest.mark.parametrize("name,level", INV)
def test_invariance_chain_matches_lavaan(name, level):
    _check(_chain(name).fits[level].fit_measures(), REF[name]["levels"][level])


def test_thresholds_equal_give_nan_as_lavaan():
    assert all(REF["three_groups_thresholds"]["fit"][k] is None for k in KEYS)
