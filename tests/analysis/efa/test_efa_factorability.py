"""KMO and Bartlett's sphericity test against psych::KMO / psych::cortest.bartlett."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qimscale.analysis.factorability import bartlett_sphericity, factorability, kmo
from qimscale.errors import DataError

REF_DIR = Path(__file__).parents[2] / "reference"
REF = json.loads((REF_DIR / "efa_psych.json").read_text())


@pytest.mark.parametrize("dn", ["d3", "d4m"])
def test_kmo_matches_psych(dn):
    x = pd.read_csv(REF_DIR / "data" / f"efa_{dn}.csv")
    res = kmo(x)
    assert res.overall == pytest.approx(REF[dn]["kmo"]["msa"], abs=1e-10)
    np.testing.assert_allclose(res.items.to_numpy(), REF[dn]["kmo"]["msai"], atol=1e-10)
    assert list(res.items.index) == list(x.columns)


@pytest.mark.parametrize("dn", ["d3", "d4m"])
def test_bartlett_matches_psych(dn):
    x = pd.read_csv(REF_DIR / "data" / f"efa_{dn}.csv")
    ref = REF[dn]["bartlett"]
    res = bartlett_sphericity(x)
    assert res.chisq == pytest.approx(ref["chisq"], rel=1e-10)
    assert res.df == ref["df"]
    assert res.p == pytest.approx(ref["p"], abs=1e-12)
    # same from the correlation matrix with n given
    res2 = bartlett_sphericity(np.array(REF[dn]["r"]), n_obs=len(x))
    assert res2.chisq == pytest.approx(ref["chisq"], rel=1e-10)


def test_factorability_to_dict_keys():
    x = pd.read_csv(REF_DIR / "data" / "efa_d3.csv")
    d = factorability(x).to_dict()
    assert {"kmo", "kmo_items", "bartlett_chisq", "bartlett_df", "bartlett_p"} <= set(d)
    assert list(d["kmo_items"]) == list(x.columns)


def test_bartlett_matrix_needs_n():
    with pytest.raises(DataError, match="n_obs"):
        bartlett_sphericity(np.eye(3))


def test_kmo_singular_matrix_is_an_error():
    x = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 1, 4, 3, 5.0]})
    x["c"] = x["a"] + x["b"]
    with pytest.raises(DataError, match="singular"):
        kmo(x)
