"""The factorability / nfactors / efa commands: JSON contract, equality with the library, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from qimscale.cli import main

REF_DIR = Path(__file__).parents[1] / "reference"
D3 = REF_DIR / "data" / "efa_d3.csv"
D3_ITEMS = "q1,q2,q3,q4,q5,l1,l2,l3,l4,l5,i1,i2,i3,i4,i5"


def _run(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    return res


def _json(*args):
    res = _run(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_factorability_json_matches_library():
    from qimscale.analysis.factorability import factorability

    out = _json("factorability", D3, "--items", D3_ITEMS)
    lib = factorability(pd.read_csv(D3)).to_dict()
    assert set(out) >= {"kmo", "kmo_items", "bartlett_chisq", "bartlett_df", "bartlett_p"}
    assert out["kmo"] == lib["kmo"] and out["kmo_items"] == lib["kmo_items"]
    assert out["bartlett_chisq"] == lib["bartlett_chisq"]


def test_nfactors_json_contract():
    out = _json("nfactors", D3, "--items", D3_ITEMS, "--n-iter", "10", "--seed", "3")
    assert out["parallel"] == 3 and out["map"] == 3
    assert len(out["eigenvalues"]) == 15
    again = _json("nfactors", D3, "--items", D3_ITEMS, "--n-iter", "10", "--seed", "3")
    assert again == out


def test_efa_json_matches_library():
    from qimscale.analysis.efa import EFA

    out = _json("efa", D3, "--items", D3_ITEMS, "--n-factors", "3", "--rotation", "promax", "--method", "ml")
    lib = EFA(3, method="ml", rotation="promax").fit(pd.read_csv(D3)).results_.to_dict()
    for key in ("items", "loadings", "phi", "communalities"):
        assert out[key] == lib[key]
    assert np.array(out["loadings"]).shape == (15, 3)


def test_efa_parallel_n_factors():
    out = _json("efa", D3, "--items", D3_ITEMS, "--n-factors", "parallel", "--n-iter", "10", "--seed", "1")
    assert out["n_factors"] == 3 and out["parallel"]["n_factors"] == 3


def test_efa_text_output():
    res = _run("efa", D3, "--items", D3_ITEMS, "--n-factors", "3")
    assert res.exit_code == 0 and "SS loadings" in res.output and "Factor correlations" in res.output


def test_efa_default_instrument_items(tmp_path):
    from qimscale.instrument import load_instrument

    inst = load_instrument(None)
    items = [it.id for sc in inst.scales for it in inst.scale_items(sc.id)]
    items = list(dict.fromkeys(items))
    rng = np.random.default_rng(0)
    f = rng.standard_normal((300, 3))
    load = np.zeros((len(items), 3))
    load[np.arange(len(items)), np.arange(len(items)) % 3] = 0.7
    y = f @ load.T + rng.standard_normal((300, len(items))) * 0.7
    lo, hi = inst.response_range(items[0])
    x = np.clip(np.round(y + (lo + hi) / 2), lo, hi)
    path = tmp_path / "resp.csv"
    pd.DataFrame(x, columns=items).to_csv(path, index=False)
    out = _json("efa", path, "--n-factors", "3")
    # by default the competency sub-scales only (issue 13): not the outcome and exploratory scales
    assert out["items"] == [it.id for sc in inst.select_scales() for it in inst.scale_items(sc.id)]
    assert "perf_1" not in out["items"] and "ext_1" not in out["items"]
    assert _json("efa", path, "--n-factors", "3", "--kind", "all")["items"] == items


def test_bad_usage_exit_2():
    assert _run("efa", D3, "--rotation", "varmax").exit_code == 2
    assert _run("efa", D3, "--n-factors", "zero", "--items", D3_ITEMS).exit_code == 2


def test_data_error_exit_1(tmp_path):
    p = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [3, 1, 2]}).to_csv(p, index=False)
    res = _run("efa", p, "--items", "a,b,c", "--n-factors", "1")
    assert res.exit_code == 1 and "Error:" in res.output and "'b'" in res.output
    res = _run("efa", D3, "--items", "q1,nope", "--n-factors", "1")
    assert res.exit_code == 1 and "nope" in res.output
    res = _run("efa", D3, "--items", "q1,q2,q3", "--n-factors", "3")
    assert res.exit_code == 1 and "n_factors" in res.output
