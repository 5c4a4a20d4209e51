"""``instrument translate``: --out must be the right kind of file and never one of the inputs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qimscale.cli import main

BUNDLED = Path(__file__).resolve().parents[2] / "instrument" / "qim-competency.yaml"


def _run(*args):
    return CliRunner().invoke(main, ["instrument", "translate", *map(str, args)])


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["inst.yaml", "sheet.csv"])
def test_template_out_must_be_xlsx(tmp_path, name):
    """--out inst.yaml replaced the instrument itself with a workbook."""
    inst = tmp_path / "inst.yaml"
    shutil.copy(BUNDLED, inst)
    before = _digest(inst)
    res = _run("--template", "--lang", "mi", "--instrument", inst, "--out", tmp_path / name)
    assert res.exit_code == 1 and res.output.startswith("Error: ") and ".xlsx" in res.output, res.output
    assert _digest(inst) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.yaml"]


def test_merge_out_must_be_yaml_and_not_the_worksheet(tmp_path):
    """--out sheet.xlsx wrote the instrument's YAML over the worksheet."""
    inst = tmp_path / "inst.yaml"
    shutil.copy(BUNDLED, inst)
    sheet = tmp_path / "mi.xlsx"
    assert _run("--template", "--lang", "mi", "--instrument", inst, "--out", sheet).exit_code == 0
    before = _digest(sheet)
    for out in (sheet, tmp_path / "new.txt"):
        res = _run("--merge", sheet, "--instrument", inst, "--out", out)
        assert res.exit_code == 1 and res.output.startswith("Error: ") and ".yaml" in res.output, res.output
    assert _digest(sheet) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.yaml", "mi.xlsx"]
