"""The noncentral χ² (difference) test power against R (tests/reference/power_chisq_difference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qimscale.analysis.simulate.power import n_for_power_chisq, power_chisq_noncentral
from qimscale.errors import ModelError

REF = json.loads((Path(__file__).parents[1] / "reference" / "power_chisq_difference.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("row", REF["power"], ids=lambda r: f"ncp{r['ncp']}-df{r['df']}-a{r['alpha']}")
def test_power_chisq_matches_r(row):
    assert power_chisq_noncentral(row["ncp"], row["df"], row["alpha"]) == pytest.approx(row["power"], abs=1e-10)


@pytest.mark.parametrize("row", REF["n_required"], ids=lambda r: f"f{r['f0']}-df{r['df']}-g{r['groups']}-{r['goal']}")
def test_n_for_power_chisq_matches_r(row):
    assert n_for_power_chisq(row["f0"], row["df"], row["goal"], groups=row["groups"]) == row["n"]


def test_power_chisq_edges():
    assert n_for_power_chisq(0.0, 3, 0.8) is None
    assert n_for_power_chisq(1e-9, 3, 0.8, hi=1000) is None
    with pytest.raises(ModelError):
        power_chisq_noncentral(-1.0, 3)
    with pytest.raises(ModelError):
        power_chisq_noncentral(1.0, 0)
