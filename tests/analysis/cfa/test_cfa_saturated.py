"""Fit measures of a saturated model (df = 0) against lavaan: no division by df."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA

REF = Path(__file__).parents[2] / "reference"
LAV = json.loads((REF / "cfa_saturated.json").read_text())


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_saturated_fit_measures_match_lavaan(missing, estimator):
    d = pd.read_csv(REF / "data" / "cfa_hs1939_missing.csv")
    fm = CFA("F =~ x1 + x2 + x3", estimator=estimator, missing=missing).fit(d).fit_measures()
    ref = LAV[f"{missing}_{estimator}"]
    common = [k for k in ref if k.replace(".", "_") in fm]
    assert len(common) >= 20
    for k in common:
        got, want = fm[k.replace(".", "_")], ref[k]
        if want == "NA":
            assert math.isnan(got), k
        else:
            assert got == pytest.approx(want, rel=1e-5, abs=1e-6), k
