"""instrument export --format ratings: the content-validity template, filled and read by content-validity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from qimscale.cli import main
from qimscale.instrument import load_instrument
from qimscale.instrument.exporters.ratings import EXPERT_COLUMNS, RELEVANCE_NOTE


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _fill(n_items: int) -> np.ndarray:
    """Ratings 1-4 for 6 experts: mostly relevant, the third item rated low by three experts."""
    R = np.full((n_items, 6), 4)
    R[:, 5] = 3
    R[2, :3] = [1, 2, 2]
    R[4, 0] = 2
    return R


def test_xlsx_template_filled_and_scored(tmp_path):
    out = tmp_path / "ratings.xlsx"
    res = _run("instrument", "export", "--format", "ratings", "--out", out)
    assert res.exit_code == 0, res.output
    inst = load_instrument()
    wb = load_workbook(out)
    ws = wb["ratings"]
    header = [c.value for c in ws[1]]
    assert header == ["item", "scale", "text", *EXPERT_COLUMNS]
    assert all(ws.cell(row=1, column=4 + k).comment.text == RELEVANCE_NOTE for k in range(6))
    assert "1 = not relevant" in RELEVANCE_NOTE and "4 = highly relevant" in RELEVANCE_NOTE
    assert "instructions" in wb.sheetnames and ws.data_validations.dataValidation
    items = [it.id for sc in inst.scales for it in inst.scale_items(sc.id)]
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in body] == items
    assert all(r[3:] == (None,) * 6 for r in body)
    assert body[0][2] == inst.item_text(items[0])
    R = _fill(len(items))
    for i in range(len(items)):
        for j in range(6):
            ws.cell(row=i + 2, column=4 + j).value = int(R[i, j])
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    res = _run("content-validity", filled, "--json")
    assert res.exit_code == 0, res.output
    cv = json.loads(res.stdout)
    assert cv["n_experts"] == 6 and [r["item"] for r in cv["items"]] == items
    icvi = {r["item"]: r["i_cvi"] for r in cv["items"]}
    assert icvi[items[2]] == pytest.approx(3 / 6) and icvi[items[4]] == pytest.approx(5 / 6)
    assert icvi[items[0]] == 1.0
    assert cv["s_cvi_ua"] == pytest.approx((len(items) - 2) / len(items))


def test_csv_template_filled_and_scored(tmp_path):
    out = tmp_path / "ratings.csv"
    assert _run("instrument", "export", "--format", "ratings", "--out", out).exit_code == 0
    t = pd.read_csv(out)
    assert list(t.columns) == ["item", "scale", "text", *EXPERT_COLUMNS] and t[EXPERT_COLUMNS].isna().all().all()
    t[EXPERT_COLUMNS] = _fill(len(t))
    t.to_csv(out, index=False)
    cv = json.loads(_run("content-validity", out, "--json").stdout)
    assert cv["n_experts"] == 6 and cv["items"][2]["i_cvi"] == pytest.approx(0.5)
    assert cv["items"][2]["item"] in cv_revise(cv)


def cv_revise(cv):
    return [r["item"] for r in cv["items"] if r["revise"]]


def test_ratings_suffix_is_checked(tmp_path):
    res = _run("instrument", "export", "--format", "ratings", "--out", tmp_path / "r.txt")
    assert res.exit_code == 1 and ".xlsx or .csv" in res.stderr and not (tmp_path / "r.txt").exists()
