"""``score``: --out never overwrites a file the run reads (data, --map, --norms, --dictionary); text output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from qimscale.cli import main

ROOT = Path(__file__).resolve().parents[2]
CODES = ROOT / "tests" / "data" / "synthetic" / "codes.csv"


def _inputs(tmp_path):
    (tmp_path / "map.csv").write_text("column,item\nexp_meth_1,exp_meth_1\n", encoding="utf-8")
    (tmp_path / "norms.csv").write_text("scale,mean,sd\nexp_methods,3,1\n", encoding="utf-8")
    return {"--map": tmp_path / "map.csv", "--norms": tmp_path / "norms.csv"}


@pytest.mark.parametrize("option", ["--map", "--norms"])
def test_out_onto_an_option_input_is_refused_before_scoring(tmp_path, option):
    """--out map.csv overwrote the mapping file with the scores."""
    files = _inputs(tmp_path)
    target = files[option]
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    res = CliRunner().invoke(main, ["score", str(CODES), option, str(target), "--out", str(target)])
    assert res.exit_code == 1, res.output
    assert "refusing to overwrite the input file" in res.stderr and res.stdout == ""
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before


def test_side_file_onto_an_input_is_refused(tmp_path):
    """scores.problems.csv would overwrite a --norms file of that name."""
    norms = tmp_path / "s.problems.csv"
    norms.write_text("scale,mean,sd\nexp_methods,3,1\n", encoding="utf-8")
    before = norms.read_bytes()
    res = CliRunner().invoke(main, ["score", str(CODES), "--norms", str(norms), "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 1 and "refusing to overwrite the input" in res.stderr
    assert norms.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.problems.csv"]


def test_text_output_of_an_absent_item_shows_no_value(tmp_path):
    """An item absent from the file was listed as "row -, exp_meth_2: None: item absent ..."."""
    src = tmp_path / "d.csv"
    src.write_text("exp_meth_1\n3\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["score", str(src)])
    assert res.exit_code == 0, res.output
    assert "  row -, exp_meth_2: item absent from the file (scale 'exp_methods')" in res.stdout
    assert "None" not in res.stdout
