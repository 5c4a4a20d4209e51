"""Scale factors (~*~) across groups against lavaan, including a binary item."""

import json

import pandas as pd
import pytest

from qimscale.analysis.cfa import build_partable
from qimscale.analysis.cfa.wlsmv import fit_wlsmv

from test_wlsmv_stage1 import REF

REFDATA = json.loads((REF / "wlsmv_delta_groups.json").read_text())


def _scale_free(group_equal, nth):
    pt = build_partable("F =~ a + b", ngroups=2, meanstructure=True, group_equal=group_equal,
                        ordered=nth)
    return {(r["lhs"], r["group"]): r["free"] > 0 for r in pt.rows if r["op"] == "~*~"}


def test_partable_frees_scale_factors_only_with_equal_thresholds():
    nth = {"a": 3, "b": 1}
    assert not any(_scale_free((), nth).values())
    assert not any(_scale_free(("loadings",), nth).values())
    assert _scale_free(("thresholds",), nth) == {("a", 1): False, ("b", 1): False,
                                                 ("a", 2): True, ("b", 2): True}


@pytest.mark.parametrize("key", ["loadings", "thresholds_loadings"])
def test_fit_matches_lavaan(key):
    ref = REFDATA["fits"][key]
    d = pd.read_csv(REF / "data" / "wlsmv_delta_groups.csv")
    ge = ref["group_equal"] if isinstance(ref["group_equal"], list) else [ref["group_equal"]]
    res = fit_wlsmv(d, REFDATA["model"], group="group", group_equal=ge)
    for k, v in ref["fit"].items():
        assert res.fit[k.replace(".", "_")] == pytest.approx(v, rel=1e-5, abs=1e-8), k
    pe = res.parameter_estimates()
    m = pd.DataFrame(ref["scale"]).merge(pe, on=["lhs", "op", "rhs", "group"], suffixes=("_r", "_p"))
    assert len(m) == len(ref["scale"])
    assert m.est_p.to_numpy() == pytest.approx(m.est_r.to_numpy(), abs=3e-5)
    assert m.se_p.to_numpy() == pytest.approx(m.se_r.to_numpy(), rel=2e-4, abs=1e-7)
