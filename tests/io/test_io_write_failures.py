"""Output paths that cannot be written, bad --map files: one-line ``Error:``, nothing left behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qimscale.cli import main

CODES = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "codes.csv"


def _unwritable(monkeypatch):
    """Make every temporary file in an output folder fail as in a read-only folder (root ignores chmod)."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(kwargs.get("dir", "")))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)


def _run(args):
    return CliRunner().invoke(main, args)


def _one_line_error(res):
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: ")
    assert "internal error" not in res.output
    assert res.output.count("\n") == 1, res.output


def test_score_into_read_only_folder_is_a_data_error(tmp_path, monkeypatch):
    _unwritable(monkeypatch)
    res = _run(["score", str(CODES), "--out", str(tmp_path / "s.csv")])
    _one_line_error(res)
    assert "cannot write" in res.output
    assert list(tmp_path.iterdir()) == []


def test_score_json_log_write_failure_leaves_nothing(tmp_path, monkeypatch):
    real = Path.write_text

    def fail(self, *a, **k):
        if self.name.endswith(".json"):
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", fail)
    res = _run(["score", str(CODES), "--out", str(tmp_path / "s.csv")])
    _one_line_error(res)
    assert list(tmp_path.iterdir()) == []


def test_score_rename_failure_leaves_nothing(tmp_path, monkeypatch):
    import os

    real, calls = os.replace, []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    res = _run(["score", str(CODES), "--out", str(tmp_path / "s.csv")])
    _one_line_error(res)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("map.csv", b"\xff\xfe\x00column,item\n", ["map.csv", "UTF-8"]),
    ("map.yaml", b"a: [1, 2\n", ["map.yaml", "line 2"]),
    ("map.csv", b"column,item\nexp_meth_1,exp_meth_1\nexp_meth_1,exp_meth_2\n", ["row 3", "exp_meth_1", "twice"]),
])
def test_bad_map_file_is_a_one_line_data_error(tmp_path, name, content, expected):
    """Not UTF-8, a YAML syntax error (was a multi-line message), a column mapped twice (was: last row won)."""
    m = tmp_path / name
    m.write_bytes(content)
    res = _run(["score", str(CODES), "--map", str(m)])
    _one_line_error(res)
    for text in expected:
        assert text in res.output


def test_xlsx_output_keeps_text_starting_with_equals_as_text(tmp_path):
    """openpyxl stored the answer '=1+1' as a formula: Excel showed 2."""
    import openpyxl
    import pandas as pd

    d = pd.read_csv(CODES)
    d.insert(0, "comment", ["=1+1", "=HYPERLINK(\"http://x\")", "-2"] + ["ok"] * (len(d) - 3))
    src = tmp_path / "in.csv"
    d.to_csv(src, index=False)
    res = _run(["score", str(src), "--out", str(tmp_path / "s.xlsx")])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx").active
    assert ws.cell(1, 1).value == "comment"
    assert [(ws.cell(r, 1).value, ws.cell(r, 1).data_type) for r in (2, 3, 4)] == [
        ("=1+1", "s"), ("=HYPERLINK(\"http://x\")", "s"), ("-2", "s")]
    assert pd.read_excel(tmp_path / "s.xlsx")["comment"].tolist()[:3] == ["=1+1", "=HYPERLINK(\"http://x\")", "-2"]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_reserved_column_names_are_renamed_for_spss_and_stata(tmp_path, suffix):
    """A file column named 'in' or 'BY' made the .dta/.sav writer fail (ReadstatError: reserved word)."""
    import json

    import pandas as pd
    import pyreadstat

    d = pd.read_csv(CODES)
    d.insert(0, "in", range(len(d)))
    d.insert(0, "BY", range(len(d)))
    src = tmp_path / "in.csv"
    d.to_csv(src, index=False)
    res = _run(["score", str(src), "--out", str(tmp_path / f"s{suffix}")])
    assert res.exit_code == 0, res.output
    back = (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(str(tmp_path / f"s{suffix}"))[0]
    renamed = json.loads((tmp_path / "s.log.json").read_text(encoding="utf-8"))["outputs"]["renamed_columns"]
    assert back[renamed.get("in", "in")].tolist() == list(range(len(d)))
    assert back[renamed.get("BY", "BY")].tolist() == list(range(len(d)))
    assert ("in" in renamed) == (suffix == ".dta") and ("BY" in renamed) == (suffix == ".sav")
