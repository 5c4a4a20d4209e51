"""WLSMV options reached through the CFA API: missing="pairwise" and collapse=."""

import json

import pandas as pd
import pytest

from qimscale.analysis.cfa import CFA, measurement_invariance
from qimscale.analysis.cfa.wlsmv_invariance import ordinal_invariance
from qimscale.errors import ModelError

from test_wlsmv_stage1 import REF, data  # noqa: F401  (shared fixtures)

MODEL = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"


@pytest.fixture(scope="module")
def pairwise():
    ref = json.loads((REF / "wlsmv_pairwise.json").read_text())
    return ref, pd.read_csv(REF / "data" / "wlsmv_pairwise.csv")


def test_cfa_accepts_pairwise_for_wlsmv(pairwise):
    ref, d = pairwise
    res = CFA(MODEL, estimator="WLSMV", ordered="all", missing="pairwise").fit(d)
    for k, v in ref["single"]["fit"].items():
        assert res.fit[k.replace(".", "_")] == pytest.approx(v, rel=1e-5, abs=1e-8), k


def test_pairwise_is_an_error_for_ml(pairwise):
    _, d = pairwise
    with pytest.raises(ModelError, match="only available with estimator 'WLSMV'"):
        CFA(MODEL, estimator="ML", missing="pairwise").fit(d)


def test_invariance_forwards_missing(pairwise):
    # the scalar level is lavaan's group.equal = c("thresholds", "loadings")
    ref, d = pairwise
    res = measurement_invariance(MODEL, d, group="group", estimator="WLSMV", ordered="all",
                                 missing="pairwise", levels=("configural", "scalar"))
    row = res.levels.set_index("level").loc["scalar"]
    for k in ("chisq", "df", "chisq_scaled", "cfi_scaled", "rmsea_scaled", "srmr"):
        assert row[k] == pytest.approx(ref["group"]["fit"][k.replace("_", ".")], rel=1e-5), k


def test_invariance_forwards_collapse(data):
    collapse = {"y1": {5: 4}}
    res = measurement_invariance(MODEL, data, group="group", estimator="WLSMV", ordered="all",
                                 collapse=collapse, levels=("configural",))
    direct = ordinal_invariance(data, MODEL, "group", collapse=collapse, levels=("configural",))
    assert len(res.fits["configural"].stats[0].thresholds[0]) == data.y1.nunique() - 2
    assert res.levels.chisq.iloc[0] == pytest.approx(direct.levels.chisq.iloc[0], rel=1e-12)
    with pytest.raises(ModelError, match="collapse"):
        measurement_invariance(MODEL, data, group="group", collapse=collapse)
