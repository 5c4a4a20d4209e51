"""CLI options of ``cfa``/``invariance`` for ordinal data: ``--collapse`` and ``--missing pairwise``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.cli.cfa_cmd import _collapse

DATA = Path(__file__).parents[1] / "reference" / "data" / "wlsmv_ordinal.csv"
MODEL = "f1 =~ y1 + y2 + y3 + y4 + y5 + y6"


@pytest.fixture(scope="module")
def empty_cat(tmp_path_factory):
    df = pd.read_csv(DATA)[["y1", "y2", "y3", "y4", "y5", "y6", "group"]]
    df = df[df["group"].isin(["A", "B"])].copy()
    df.loc[(df["group"] == "A") & (df["y4"] == 1), "y4"] = 2  # category 1 of y4 is empty in group A
    path = tmp_path_factory.mktemp("cat") / "d.csv"
    df.to_csv(path, index=False)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_empty_category_error_names_item_and_fix(empty_cat):
    res = run("cfa", empty_cat, "--model", MODEL, "--ordered", "all", "--group", "group")
    assert res.exit_code == 1
    assert "y4" in res.stderr and "--collapse" in res.stderr


def test_collapse_merges_categories_and_is_recorded(empty_cat):
    res = run("cfa", empty_cat, "--model", MODEL, "--ordered", "all", "--group", "group",
              "--collapse", "y4:1=2", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["collapsed"] == {"y4": {"1.0": 2.0}}
    assert "merged" in res.stderr
    n_thr = sum(1 for e in out["estimates"] if e["lhs"] == "y4" and e["op"] == "|" and e["group"] == 1)
    assert n_thr == 3


def test_collapse_in_invariance(empty_cat):
    res = run("invariance", empty_cat, "--model", MODEL, "--ordered", "all", "--group", "group",
              "--collapse", "y4:1=2", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["levels"][0]["level"] == "configural"


def test_collapse_needs_wlsmv_and_good_syntax(empty_cat):
    assert run("cfa", empty_cat, "--model", MODEL, "--collapse", "y4:1=2").exit_code == 2
    assert run("cfa", empty_cat, "--model", MODEL, "--ordered", "all", "--collapse", "y4").exit_code == 2
    assert run("cfa", empty_cat, "--model", MODEL, "--ordered", "all", "--collapse", "y4:a=b").exit_code == 2


def test_collapse_parser():
    assert _collapse(("y4:1=2", "y4:5=4")) == {"y4": {1.0: 2.0, 5.0: 4.0}}


def test_missing_pairwise_reaches_wlsmv(tmp_path):
    df = pd.read_csv(DATA)[["y1", "y2", "y3", "y4", "y5", "y6"]].astype(float)
    rng = np.random.default_rng(1)
    df = df.mask(rng.random(df.shape) < 0.05)
    path = tmp_path / "m.csv"
    df.to_csv(path, index=False)
    res = run("cfa", path, "--model", MODEL, "--ordered", "all", "--missing", "pairwise", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["fit"]["df"] == 9
    res = run("cfa", path, "--model", MODEL, "--missing", "pairwise")  # ML: a usage error
    assert res.exit_code == 2 and "pairwise deletion is for ordinal items (WLSMV)" in res.output
    res = run("cfa", path, "--model", MODEL, "--ordered", "all", "--missing", "fiml")
    assert res.exit_code == 2 and "FIML is for ML/MLR" in res.output
    res = run("cfa", path, "--model", MODEL, "--estimator", "WLSMV")
    assert res.exit_code == 2 and "name them with --ordered" in res.output


def test_bootstrap_with_ordinal_items_is_a_clear_error_not_a_crash():
    """WLSMV fits have no bootstrap: one Error line saying what to use, before any fitting."""
    res = run("cfa", DATA, "--model", MODEL, "--ordered", "all", "--bootstrap", "5")
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: bootstrap is not available for WLSMV")
    assert "robust standard errors" in lines[0] and "ML or MLR" in lines[0]
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr


def test_cfa_json_is_the_library_run(empty_cat):
    """``qimscale cfa --json`` prints ``run_cfa(...).to_dict()`` (merges recorded)."""
    from qimscale._core.jsonable import to_jsonable
    from qimscale.analysis.cfa import run_cfa

    res = run("cfa", empty_cat, "--model", MODEL, "--ordered", "all", "--group", "group",
              "--collapse", "y4:1=2", "--json")
    assert res.exit_code == 0, res.stderr
    # the command's default missing-data handling with WLSMV is pairwise (as Mplus; issue 13)
    lib = run_cfa(pd.read_csv(empty_cat), MODEL, ordered="all", group="group", collapse={"y4": {1.0: 2.0}},
                  missing="pairwise")
    assert json.loads(res.stdout) == json.loads(json.dumps(to_jsonable(lib.to_dict())))
    assert lib.warnings[0] == "categories merged as asked: y4:1=2"  # in --collapse syntax
