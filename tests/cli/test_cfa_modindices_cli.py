"""``qimscale cfa --modindices MIN``: the library's modification indices, for WLSMV and ML fits."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.cfa import CFA
from qimscale.cli import main

DATA = Path(__file__).parents[1] / "reference" / "data" / "wlsmv_modindices.csv"
MODEL = "F1 =~ y1 + y2 + y3 + y4 + y5\nF2 =~ y6 + y7 + y8 + y9 + y10"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("estimator, extra", [("WLSMV", ["--ordered", "all", "--missing", "listwise"]),
                                              ("ML", [])])
def test_json_holds_the_library_modification_indices(estimator, extra):
    res = run("cfa", DATA, "--model", MODEL, "--estimator", estimator, *extra, "--modindices", "10", "--json")
    assert res.exit_code == 0, res.output
    got = pd.DataFrame(json.loads(res.stdout)["modification_indices"])
    df = pd.read_csv(DATA)
    kw = {"ordered": "all"} if estimator == "WLSMV" else {}
    want = CFA(MODEL, estimator=estimator, **kw).fit(df).modification_indices(minimum=10)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert len(got) and got.iloc[0][["lhs", "op", "rhs"]].tolist() == ["F1", "=~", "y6"]


def test_text_lists_them_and_json_omits_them_unless_asked():
    res = run("cfa", DATA, "--model", MODEL, "--ordered", "all", "--modindices", "20")
    assert res.exit_code == 0, res.output
    assert "Modification indices (mi >= 20, largest first):" in res.stdout and "F1 =~  y6" in res.stdout
    res = run("cfa", DATA, "--model", MODEL, "--ordered", "all", "--json")
    assert res.exit_code == 0 and "modification_indices" not in json.loads(res.stdout)


def test_negative_minimum_is_bad_usage():
    res = run("cfa", DATA, "--model", MODEL, "--modindices", "-1")
    assert res.exit_code == 2
