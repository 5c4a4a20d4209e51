"""validate on continuous items with gaps: the CFA step runs MLR with FIML and lists its modification indices."""

from __future__ import annotations

import numpy as np
import pytest

from qimscale.instrument import load_instrument
from qimscale.io.platform_data import write_platform
from qimscale.scoring import score_file
from qimscale.study.population import simulate_study
from qimscale.study.validate import prepare_study, validate_study


@pytest.fixture(scope="module")
def continuous(tmp_path_factory):
    """300 simulated respondents, the five-point answers made continuous (more than 7 distinct values per
    item, so validate treats the items as continuous) and 3% of them missing completely at random."""
    inst = load_instrument()
    data, _ = simulate_study(300, seed=21, instrument=inst)
    path = write_platform(inst, data, "csv", tmp_path_factory.mktemp("cont") / "sim.csv")
    table = score_file(path, instrument=inst).table
    items = [i for its in prepare_study(table, inst).scales.values() for i in its]
    rng = np.random.default_rng(3)
    X = table[items].astype(float) + rng.uniform(-0.45, 0.45, size=(len(table), len(items)))
    table[items] = X.mask(rng.random(X.shape) < 0.03)
    assert not prepare_study(table, inst).ordinal and table[items].isna().any().any()
    return inst, table


def test_cfa_step_on_continuous_items_with_gaps_has_its_modification_indices(continuous):
    inst, table = continuous
    res = validate_study(table, inst, seed=1, only=["cfa"])
    cfa = res.step("cfa")
    assert cfa.status == "ok", cfa.reason
    assert cfa.values["estimator"] == "MLR"
    mi = cfa.tables_["modification_indices"]
    assert list(mi.columns) == ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]
    assert len(mi) and len(mi) <= 20 and (mi["mi"] >= 10).all() and mi["mi"].is_monotonic_decreasing
    assert not any("Modification indices are not available" in n for n in cfa.notes)


def test_modification_indices_that_fail_leave_the_cfa_step_standing(continuous, monkeypatch):
    from qimscale.analysis.cfa.results import CFAResult
    from qimscale.errors import ModelError

    def refuse(self, **kw):
        raise ModelError("the information matrix is singular")

    monkeypatch.setattr(CFAResult, "modification_indices", refuse)
    inst, table = continuous
    cfa = validate_study(table, inst, seed=1, only=["cfa"]).step("cfa")
    assert cfa.status == "ok", cfa.reason
    assert "modification_indices" not in cfa.tables_ and "loadings" in cfa.tables_
    assert any(n == "Modification indices are not available for this fit: the information matrix is singular"
               for n in cfa.notes)
    assert cfa.values["cfi_robust"] is not None and cfa.values["n"] == len(table)
