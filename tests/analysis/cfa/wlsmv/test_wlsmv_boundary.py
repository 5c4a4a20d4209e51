"""WLSMV with a polychoric correlation at the boundary against lavaan
(tests/reference/review3_wlsmv_boundary.R).

b6 (binary) and c6 (three categories) split the same latent response, so their
tables have empty off-diagonal cells and the two-step estimate of their polychoric
correlation runs to 1. lavaan's stage 1 bounds each polychoric to [-0.999, 0.999]
and warns that the correlation is "(nearly) 1.0" (above 0.99); qimscale's WLSMV
stage 1 does the same, so thresholds, correlations, Γ, estimates, SEs and tests
agree. (``qimscale.analysis.polychoric.polychoric`` itself is not bounded: psych
does not bound it.)
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
REF = json.loads((REF_DIR / "review3_wlsmv_boundary.json").read_text())
DATA = pd.read_csv(REF_DIR / "data" / "review3_wlsmv_invariance_few.csv")
CASES = {"one_group": None, "two_groups": "group"}


def _fit(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cfa(REF["model"], DATA, ordered=REF["items"], estimator="WLSMV", group=CASES[case])
    return res, [str(w.message) for w in caught]


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return request.param, *_fit(request.param)


def test_boundary_correlation_is_bounded_and_warned(case):
    name, res, messages = case
    ref = REF[name]
    assert len(ref["cor_b6_c6"]) == len(res.stats)
    for st, want in zip(res.stats, (ref["cor_b6_c6"].values() if isinstance(ref["cor_b6_c6"], dict)
                                    else ref["cor_b6_c6"])):
        i, j = st.items.index("b6"), st.items.index("c6")
        assert st.cor[i, j] == pytest.approx(want, abs=1e-12)
    near_one = [m for m in messages if "b6" in m and "c6" in m and "nearly" in m]
    assert len(near_one) == len(res.stats)


def test_fit_and_estimates_match_lavaan(case):
    name, res, _ = case
    ref = REF[name]
    fm = res.fit_measures()
    for key, want in ref["fit"].items():
        k = key.replace(".", "_")
        if k in ("npar", "df"):
            assert fm[k] == want, k
        elif k == "chisq":
            assert fm[k] == pytest.approx(want, rel=1e-5), k
        elif "scal" in k:
            assert fm[k] == pytest.approx(want, rel=1e-3, abs=1e-4), k
        else:
            assert fm[k] == pytest.approx(want, abs=1e-4), k
    rp = pd.DataFrame(ref["estimates"])
    if "group" not in rp:
        rp["group"] = 1
    m = rp.merge(res.parameter_estimates(), on=["lhs", "op", "rhs", "group"], suffixes=("_r", "_p"))
    assert len(m) >= len(rp) - 7 * rp["group"].nunique()  # lavaan's ~*~ rows may be absent
    np.testing.assert_allclose(m.est_p, m.est_r, atol=1e-4)
    np.testing.assert_allclose(m.se_p.astype(float), m.se_r.astype(float), atol=1e-4)
