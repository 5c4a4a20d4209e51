"""WLSMV fit measures of a saturated model (df = 0) against lavaan."""

import json
import math

import pandas as pd
import pytest

from qimscale.analysis.cfa.wlsmv import fit_wlsmv

from test_wlsmv_stage1 import REF


def test_saturated_fit_measures_match_lavaan():
    ref = json.loads((REF / "wlsmv_saturated.json").read_text())
    d = pd.read_csv(REF / "data" / "wlsmv_ordinal.csv")
    fm = fit_wlsmv(d, ref["model"]).fit
    common = [k for k in ref["fit"] if k.replace(".", "_") in fm]
    assert len(common) >= 15
    for k in common:
        got, want = fm[k.replace(".", "_")], ref["fit"][k]
        if want == "NA":
            assert math.isnan(got), k
        else:
            assert got == pytest.approx(want, rel=1e-5, abs=1e-8), k
