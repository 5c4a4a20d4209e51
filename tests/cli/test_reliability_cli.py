"""CLI: reliability / omega / corr print exactly what the library returns."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.analysis.correlation import correlation
from qimscale.cli import main

REF_DIR = Path(__file__).parents[1] / "reference"
DATA = str(REF_DIR / "reliability_sim_data.csv")
REF = json.loads((REF_DIR / "reliability_psych.json").read_text())
ALL = ",".join(f"i{j:02d}" for j in range(1, 13))
SCALE = "all=" + ALL.replace("i03", "-i03")


def run(*args):
    res = CliRunner().invoke(main, list(args))
    return res


def test_reliability_json_contract():
    res = run("reliability", DATA, "--scale", SCALE, "--min", "1", "--max", "5", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    sc = out["scales"][0]
    assert sc["scale"] == "all" and sc["k"] == 12 and sc["n"] == 500
    assert sc["alpha"] == pytest.approx(REF["alpha_pairwise_keys"]["total"]["raw_alpha"], abs=1e-12)
    assert sc["alpha_ci"] == pytest.approx([REF["alpha_pairwise_keys"]["feldt"]["lower"],
                                            REF["alpha_pairwise_keys"]["feldt"]["upper"]], abs=1e-9)
    assert [i["item"] for i in sc["items"]][:3] == ["i01", "i02", "i03"]
    assert sc["items"][0]["r_drop"] == pytest.approx(REF["alpha_pairwise_keys"]["item_stats"]["r.drop"][0])


def test_reliability_bootstrap_seeded():
    args = ["reliability", DATA, "--items", "i01,i02,i04", "--ci", "bootstrap", "--n-boot", "200",
            "--seed", "9", "--json"]
    a, b = run(*args), run(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert json.loads(a.stdout)["scales"][0]["ci_method"] == "bca"


def test_omega_json():
    res = run("omega", DATA, "--items", ALL, "--reverse", "i03", "--min", "1", "--max", "5", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["omega_h"] == pytest.approx(REF["omega3"]["omega_h"], abs=1e-6)
    assert out["omega_total"] == pytest.approx(REF["omega3"]["omega_tot"], abs=1e-6)
    assert out["alpha"] == pytest.approx(REF["omega3"]["alpha"], abs=1e-8)


@pytest.mark.parametrize("method", ["pearson", "spearman", "polychoric"])
def test_corr_json_equals_library(method):
    res = run("corr", DATA, "--items", "i01,i02,i03,i04", "--method", method, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    lib = correlation(pd.read_csv(DATA), ["i01", "i02", "i03", "i04"], method=method)
    np.testing.assert_array_equal(np.array(out["matrix"]), lib.matrix)
    assert out["items"] == ["i01", "i02", "i03", "i04"]
    assert ("thresholds" in out) == (method == "polychoric")
    if method == "pearson":
        np.testing.assert_allclose(lib.matrix, pd.read_csv(DATA)[out["items"]].corr().to_numpy(), atol=1e-14)


def test_bad_input_messages(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,b,c,d\n1,2,3,x\n2,3,4,3\n3,4,4,2\n")
    res = run("reliability", str(p), "--items", "a,b,c,d")
    assert res.exit_code == 1
    assert "bad.csv: row 2, column 'd': value 'x' is not a number" in res.stderr
    res = run("reliability", str(p), "--scale", "s=a,-b,c")
    assert res.exit_code == 1 and "--min and --max" in res.stderr
    q = tmp_path / "const.csv"
    q.write_text("a,b,c,k\n1,2,3,4\n2,3,3,4\n3,4,5,4\n4,4,5,4\n,,,\n")
    res = run("reliability", str(q), "--items", "a,b,c,k", "--json")
    assert res.exit_code == 0
    assert "item 'k' has a single observed value" in res.stderr
    assert "answer none of the items" in res.stderr
    assert json.loads(res.stdout)["scales"][0]["k"] == 3
    res = run("omega", str(q), "--items", "a,b", "--n-factors", "1")
    assert res.exit_code == 1 and "at least 3" in res.stderr


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_corr_matches_r_cor_pairwise(method):
    lib = correlation(pd.read_csv(DATA), method=method)
    np.testing.assert_allclose(lib.matrix, np.array(REF[f"cor_{method}"]), atol=1e-12)


def test_reliability_icc_wide_and_long(tmp_path):
    icc_file = str(REF_DIR / "reliability_icc_data.csv")
    res = run("reliability", icc_file, "--icc", "t1,t2,t3", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["icc"] for r in out["icc"]] == pytest.approx(REF["icc"]["ICC"], abs=1e-10)
    long = pd.read_csv(icc_file).assign(id=range(60)).melt(id_vars="id", var_name="occ", value_name="y")
    p = tmp_path / "long.csv"
    long.to_csv(p, index=False)
    res2 = run("reliability", str(p), "--icc-long", "id,occ,y", "--json")
    assert res2.exit_code == 0, res2.output
    assert json.loads(res2.stdout)["icc"] == out["icc"]
    assert run("reliability", icc_file, "--icc", "t1,zz").exit_code == 1
