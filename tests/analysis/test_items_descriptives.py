"""Item descriptives (qimscale items) against psych::describe / describeBy (tests/reference/items_describe.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale._core.result import check_protocol
from qimscale.analysis.items import item_descriptives

REF = Path(__file__).parents[1] / "reference"
DATA = REF / "items_describe_data.csv"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "items_describe.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(DATA)


ITEMS = ["exp_impl_1", "exp_impl_2", "exp_impl_3", "exp_impl_4", "exp_ctx_4", "perf_3"]
STATS = ["n", "mean", "sd", "median", "min", "max", "skew", "kurtosis"]


@pytest.mark.parametrize("skew_type", [1, 2, 3])
def test_matches_psych_describe(data, ref, skew_type):
    res = item_descriptives(data, ITEMS, na_codes=9, ranges=dict.fromkeys(ITEMS, (1, 5)), skew_type=skew_type)
    got = res.table.set_index("item")
    for row in ref[f"type{skew_type}"]:
        for s in STATS:
            assert got.loc[row["item"], s] == pytest.approx(row[s], rel=1e-10, abs=1e-12), (row["item"], s)
        if skew_type != 1:  # describe's data-frame type 1 counts blank rows in n (a psych quirk, not followed)
            assert row["kurtosis"] == pytest.approx(row["describe_kurtosis"], rel=1e-12)


def test_per_group_matches_psych_describe_by(data, ref):
    res = item_descriptives(data, ITEMS, group="grp", na_codes=9, ranges=dict.fromkeys(ITEMS, (1, 5)))
    for lab, rows in ref["by_group"].items():
        got = res.table[res.table["group"] == lab].set_index("item")
        for row in rows:
            for s in STATS:
                assert got.loc[row["item"], s] == pytest.approx(row[s], rel=1e-10, abs=1e-12), (lab, row["item"], s)


def test_frequencies_na_missing_floor_ceiling(data, ref):
    res = item_descriptives(data, ITEMS, na_codes=9, ranges=dict.fromkeys(ITEMS, (1, 5)))
    t = res.table.set_index("item")
    f = res.frequencies
    for it in ITEMS:
        counts = f[f["item"] == it].set_index("category")["n"].to_dict()
        assert counts == {k: int(v) for k, v in ref["freq"][it].items()}
        assert t.loc[it, "n_na"] == ref["n_na"][it] and t.loc[it, "n_missing"] == ref["n_missing"][it]
        assert t.loc[it, "pct_na"] == pytest.approx(100 * ref["n_na"][it] / len(data))
        n = t.loc[it, "n"]
        assert t.loc[it, "floor_pct"] == pytest.approx(100 * ref["freq"][it]["1"] / n)
        assert t.loc[it, "ceiling_pct"] == pytest.approx(100 * ref["freq"][it]["5"] / n)
        assert t.loc[it, "ceiling_effect"] == (t.loc[it, "ceiling_pct"] > 15)
    check_protocol(res)


def test_out_of_range_answer_is_an_error_naming_row_and_column():
    from qimscale.errors import DataError

    df = pd.DataFrame({"a": [1, 2, 7, 9]})
    with pytest.raises(DataError, match="column 'a' data row 3 holds 7"):
        item_descriptives(df, ["a"], na_codes=9, ranges={"a": (1, 5)})


def test_cli_items_uses_instrument_and_counts_na(tmp_path):
    from qimscale.cli import main
    from qimscale.scoring.calibration import honest_responses

    df = honest_responses(n=120, seed=4, na_rate=0.05)
    df["country"] = np.where(np.arange(120) % 2, "NZ", "UK")
    path = tmp_path / "raw.csv"
    df.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["items", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    items = {r["item"] for r in out["items"]}
    assert "exp_impl_1" in items and "perf_1" not in items  # competency scales by default
    row = next(r for r in out["items"] if r["item"] == "exp_impl_1")
    assert row["n_na"] == int((df["exp_impl_1"] == 9).sum()) and row["n"] + row["n_na"] == 120
    assert out["skew_type"] == 3
    res = CliRunner().invoke(main, ["items", str(path), "--group", "country", "--kind", "all"])
    assert res.exit_code == 0, res.output
    assert "perf_1" in res.stdout and "NZ" in res.stdout and "psych::describe type 3" in res.stdout
