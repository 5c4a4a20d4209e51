"""CLI review 3: defects found using the analysis commands as a researcher would."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def sav_with_user_missing(tmp_path):
    """An SPSS file whose items declare 9 (code) and 97-99 (range) user-missing, as SPSS users do."""
    pyreadstat = pytest.importorskip("pyreadstat")
    rng = np.random.default_rng(7)
    f = rng.normal(size=60)
    df = pd.DataFrame({f"a{j}": np.clip(np.round(3 + f + 0.7 * rng.normal(size=60)), 1, 5) for j in range(1, 5)})
    coded = df.copy()
    coded.loc[[3, 10], "a1"] = 9.0
    coded.loc[5, "a3"] = 98.0
    path = tmp_path / "study.sav"
    pyreadstat.write_sav(coded, str(path), missing_ranges={"a1": [9], "a3": [{"lo": 97, "hi": 99}]})
    clean = df.copy()
    clean.loc[[3, 10], "a1"] = np.nan
    clean.loc[5, "a3"] = np.nan
    csv = tmp_path / "clean.csv"
    clean.to_csv(csv, index=False)
    return path, csv


@pytest.mark.parametrize("cmd", ["corr", "reliability", "factorability"])
def test_spss_user_missing_codes_are_missing_in_analyses(sav_with_user_missing, cmd):
    """SPSS user-missing codes (9 = not applicable, 97-99 = refused) are missing values, as in
    haven::read_sav and pyreadstat by default; analysing them as answers gave silently wrong numbers
    (with --items and no --min/--max nothing caught the 98)."""
    sav, csv = sav_with_user_missing
    items = "a1,a2,a3,a4"
    res = run(cmd, sav, "--items", items, "--json")
    assert res.exit_code == 0, res.stderr
    want = run(cmd, csv, "--items", items, "--json")
    assert json.loads(res.stdout) == json.loads(want.stdout)
    warnings = [ln for ln in res.stderr.splitlines() if "user-missing" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("Warning: ")
    assert "3 value(s)" in warnings[0] and "'a1': 2" in warnings[0] and "'a3': 1" in warnings[0]


def test_spss_user_missing_in_cfa(sav_with_user_missing):
    sav, csv = sav_with_user_missing
    model = "F =~ a1 + a2 + a3 + a4"
    res = run("cfa", sav, "--model", model, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["ntotal"] == json.loads(run("cfa", csv, "--model", model, "--json").stdout)["ntotal"]
