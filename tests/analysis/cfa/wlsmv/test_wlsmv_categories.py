"""WLSMV with 7-category and with binary items against lavaan (tests/reference/review3_wlsmv_categories.R).

Two-factor models on simulated data (N = 500): seven categories with a sparse
extreme category (one item has a single response in category 1) and a correlated
residual, the same items with ``std_lv=True``, and eight binary items with an
equality label and a correlated residual, and four of the 7-category items with four
binary items in one model. Checked: every fit measure qimscale
reports, thresholds, estimates, robust SEs, z and the standardized solutions.

lavaan lists the scale factors (``~*~``, fixed at 1 in the delta parameterization);
qimscale does not report those rows.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.cfa import cfa

REF_DIR = Path(__file__).parents[3] / "reference"
REF = json.loads((REF_DIR / "review3_wlsmv_categories.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_wlsmv_categories.csv")
CASES = ["seven", "seven_stdlv", "binary", "mixed"]
EXACT = ("npar", "df", "baseline_df", "ntotal")
REL = ("chisq", "baseline_chisq")
SCALED = ("chisq_scaled", "df_scaled", "chisq_scaling_factor", "chisq_shift_parameter", "pvalue_scaled",
          "baseline_chisq_scaled", "baseline_chisq_scaling_factor", "baseline_chisq_shift_parameter",
          "baseline_df_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled",
          "rmsea_ci_upper_scaled")


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for name in CASES:
        r = REF[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # categories with fewer than 5 responses
            out[name] = cfa(r["model"], DATA, ordered=r["ordered"], estimator="WLSMV", std_lv=r["std_lv"])
    return out


def test_sparse_category_is_in_the_data():
    assert REF["categories"]["y1"]["1"] == 1 and len(REF["categories"]["y1"]) == 7
    assert all(len(REF["categories"][f"b{i}"]) == 2 for i in range(1, 9))


@pytest.mark.parametrize("name", CASES)
def test_fit_measures(fitted, name):
    fm, ref = fitted[name].fit_measures(), REF[name]["fit"]
    checked = 0
    for key, want in ref.items():
        k = key.replace(".", "_")
        if k not in fm:
            continue  # keys qimscale does not report for WLSMV (e.g. nnfi, rni, gfi)
        got = fm[k]
        if want is None:
            assert got is None or np.isnan(got), k
        elif k in EXACT:
            assert got == want, k
        elif k in REL:
            assert got == pytest.approx(want, rel=1e-5), k
        elif k in SCALED:
            assert got == pytest.approx(want, rel=1e-3, abs=1e-4), k
        else:
            assert got == pytest.approx(want, abs=1e-4), k
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("name", CASES)
def test_estimates_se_std(fitted, name):
    rp = pd.DataFrame(REF[name]["estimates"])
    pe = fitted[name].parameter_estimates()
    m = rp.merge(pe, on=["lhs", "op", "rhs"], suffixes=("_r", "_p"), how="outer", indicator=True)
    assert set(m.loc[m._merge != "both", "op"]) <= {"~*~"}
    assert (m._merge != "right_only").all()
    m = m[m._merge == "both"]
    np.testing.assert_allclose(m.est_p, m.est_r, atol=1e-4)
    np.testing.assert_allclose(m.se_p.astype(float), m.se_r.astype(float), atol=1e-4)
    np.testing.assert_allclose(m.std_all.astype(float), m["std.all"].astype(float), atol=1e-4)
    np.testing.assert_allclose(m.std_lv.astype(float), m["std.lv"].astype(float), atol=1e-4)
    th = m[m.op == "|"]
    assert len(th) == len(REF[name]["th"])
    # with free thresholds the model reproduces the sample thresholds
    np.testing.assert_allclose(th.est_p.to_numpy(), th.est_r.to_numpy(), atol=1e-6)
    if name == "binary":
        eq = m[m.label_r == "a"]
        assert len(eq) == 2 and eq.est_p.iloc[0] == pytest.approx(eq.est_p.iloc[1], abs=1e-12)
