"""Only plain ASCII numbers are read as codes: Python's float() also accepts '0_4', full-width
and other scripts' digits, which turned such cells into valid codes with no problem listed."""

from __future__ import annotations

import pandas as pd
import pytest

from qimscale.scoring import score_file


@pytest.mark.parametrize("cell", ["0_4", "\uff14", "\u0663", "4\u00a0", "1_0"])
def test_non_ascii_or_underscored_numbers_are_problems(cell, tmp_path):
    src = tmp_path / "d.csv"
    rows = ["exp_meth_1,exp_meth_2,exp_meth_3,exp_meth_4,exp_meth_5", f"{cell},3,3,3,3", "2,3,3,3,3"]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = score_file(src, quality=False)
    probs = res.problems[res.problems["column"] == "exp_meth_1"]
    if cell.strip() == "4":  # a no-break space around a number is whitespace, as around a label
        assert len(probs) == 0 and res.table["exp_meth_1"].iloc[0] == 4
        return
    assert len(probs) == 1, res.problems
    assert probs.iloc[0]["row"] == 2 and probs.iloc[0]["value"] == cell
    assert probs.iloc[0]["problem"].startswith("non-numeric text")
    assert pd.isna(res.table["exp_meth_1"].iloc[0])


@pytest.mark.parametrize(("cell", "code"), [("4", 4), (" 4 ", 4), ("+4", 4), ("4.0", 4), ("04", 4), ("4e0", 4)])
def test_plain_numbers_are_still_codes(cell, code, tmp_path):
    src = tmp_path / "d.csv"
    rows = ["exp_meth_1,exp_meth_2,exp_meth_3,exp_meth_4,exp_meth_5", f"\"{cell}\",x,3,3,3", "2,3,3,3,3"]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = score_file(src, quality=False)
    assert (res.problems["column"] == "exp_meth_1").sum() == 0
    assert res.table["exp_meth_1"].iloc[0] == code
