"""Polychoric correlations of 7-category items in a small sample (N = 120, 22 empty
cells in the first 7 x 7 table, scattered missing values) against psych and lavaan
(tests/reference/review3_polychoric_7cat.R).

Global thresholds: psych (smoothed and raw) within psych's ``optimize`` tolerance
(1e-4), lavaan's ``lavCor`` to 1e-6, thresholds to 1e-10.

Deliberate difference, documented in ``polychoric`` ("... or its corrected margins
exceed 1, so their correlation is NaN as in psych"): on pair-wise thresholds
(``global=FALSE``, psych's choice when the items' top categories differ) psych's
continuity correction makes the cumulative margins of most of these tables pass 1
and ``psych::polychoric`` stops with an error for the whole matrix. qimscale returns
psych's value for every pair psych can estimate on its own, NaN with a warning for
the others, and leaves the matrix unsmoothed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.polychoric import PolychoricWarning, polychoric

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "review3_polychoric_7cat.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_polychoric_7cat.csv")
ALL7 = DATA[[f"p{i}" for i in range(1, 7)]]
TOP_MERGED = DATA[[f"p{i}" for i in range(1, 6)] + ["q6"]]
PSYCH_TOL = 1e-4
LAVAAN_TOL = 1e-6


def run(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PolychoricWarning)
        return polychoric(df, **kw)


def _thresholds(res):
    return np.concatenate([res.thresholds[c] for c in res.corr.columns])


def test_data_are_sparse_seven_category_items():
    assert REF["empty_cells_p1_p2"] == 22
    assert all(sorted(ALL7[c].dropna().unique()) == list(range(1, 8)) for c in ALL7)


@pytest.mark.parametrize("smooth,key", [(True, "psych"), (False, "psych_raw")])
def test_global_thresholds_match_psych(smooth, key):
    res = run(ALL7, smooth=smooth)
    assert res.global_thresholds and not res.smoothed
    np.testing.assert_allclose(res.corr.to_numpy(), REF["all7"][key]["rho"], atol=PSYCH_TOL)
    np.testing.assert_allclose(res.threshold_table().to_numpy(), REF["all7"][key]["tau"], atol=1e-10)


@pytest.mark.parametrize("case,df", [("all7", ALL7), ("top_merged", TOP_MERGED)])
def test_global_thresholds_match_lavaan(case, df):
    res = run(df, correct=0, global_thresholds=True)
    np.testing.assert_allclose(res.corr.to_numpy(), REF[case]["lavaan"]["rho"], atol=LAVAAN_TOL)
    np.testing.assert_allclose(_thresholds(res), REF[case]["lavaan"]["th"], atol=1e-10)


@pytest.mark.parametrize("case,df,kw", [("all7", ALL7, {"global_thresholds": False}), ("top_merged", TOP_MERGED, {})])
def test_pairwise_thresholds_where_psych_fails(case, df, kw):
    assert REF[case]["psych_pairwise_error" if case == "all7" else "psych_error"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = polychoric(df, **kw)
    want = np.array(REF[case]["psych_pairwise_by_pair"], dtype=float)
    got = res.corr.to_numpy()
    assert not res.global_thresholds and not res.smoothed
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], atol=PSYCH_TOL)
    messages = " ".join(str(w.message) for w in caught)
    assert "corrected margins exceed 1" in messages and "global_threshol" in messages
