"""Measurement invariance with FIML against lavaan (tests/reference/review3_invariance_fiml.R).

The two-site nine-item scale of review3_cfa_groups with about 7% MCAR gaps, fitted
configural → metric → scalar → strict by MLR + FIML, by ML + FIML, and by MLR +
FIML with the intercept of x2 released. Checked: the fit measures of each level and
``lavTestLRT`` between successive levels (the Satorra–Bentler 2001 scaled
difference for MLR).

The model's single label (``a*x2 + a*x3``) holds in both groups, also in the
configural model, as in lavaan (which warns about it).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from qimscale.analysis.cfa import measurement_invariance

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review3_invariance_fiml.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_cfa_groups.csv")
MISS = DATA[[f"m{i}" for i in range(1, 10)] + ["site"]].rename(columns={f"m{i}": f"x{i}" for i in range(1, 10)})
CASE_LEVELS = [(c, lv["level"]) for c in ("mlr", "ml", "mlr_partial") for lv in REF[c]["levels"]]


@cache
def chain(case):
    c = REF[case]
    return measurement_invariance(REF["model"], MISS, group="site", estimator=c["estimator"], missing="fiml",
                                  group_partial=c["partial"])


def _ref(case, level):
    return next(lv for lv in REF[case]["levels"] if lv["level"] == level)


@pytest.mark.parametrize("case,level", CASE_LEVELS)
def test_level_fit_measures(case, level):
    row = chain(case).levels.set_index("level").loc[level]
    for key, want in _ref(case, level)["fit"].items():
        k = key.replace(".", "_")
        if k in ("npar", "df"):
            assert row[k] == want, k
        elif k in ("chisq", "aic", "bic"):
            assert row[k] == pytest.approx(want, rel=1e-5), k
        elif "scaled" in k or "robust" in k or "scaling" in k:
            assert row[k] == pytest.approx(want, rel=1e-3, abs=1e-4), k
        else:
            assert row[k] == pytest.approx(want, abs=1e-4), k


@pytest.mark.parametrize("case,level", [c for c in CASE_LEVELS if c[1] != "configural"])
def test_difference_tests(case, level):
    row = chain(case).levels.set_index("level").loc[level]
    lrt = _ref(case, level)["lrt"]
    assert row["df_diff"] == lrt["df_diff"]
    assert row["chisq_diff"] == pytest.approx(lrt["chisq_diff"], rel=1e-5 if case == "ml" else 1e-3)
    assert row["chisq_diff_p"] == pytest.approx(lrt["p"], rel=1e-3, abs=1e-8)
