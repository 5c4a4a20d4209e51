"""instrument export into folders that cannot be written or to a suffix that does not suit the format:
one-line ``Error:``, nothing left behind."""

from __future__ import annotations

import os
import tempfile

import pytest
from click.testing import CliRunner

from qimscale.cli import main


def _one_line_error(res):
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: ")
    assert "internal error" not in res.output
    assert res.output.count("\n") == 1, res.output


def test_export_into_read_only_folder(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    res = CliRunner().invoke(main, ["instrument", "export", "--format", "redcap", "--out", str(tmp_path / "r.csv")])
    _one_line_error(res)
    assert list(tmp_path.iterdir()) == []


def test_export_all_folder_cannot_be_created(tmp_path, monkeypatch):
    from pathlib import Path

    def refuse(self, *a, **k):
        raise PermissionError(1, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    res = CliRunner().invoke(main, ["instrument", "export", "--format", "all", "--out", str(tmp_path / "x")])
    _one_line_error(res)


def test_export_all_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    real, calls = os.replace, []

    def fail_fifth(src, dst):
        calls.append(dst)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_fifth)
    out = tmp_path / "x"
    res = CliRunner().invoke(main, ["instrument", "export", "--format", "all", "--out", str(out)])
    _one_line_error(res)
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(("fmt", "name"), [("redcap", "x.xlsx"), ("xlsform", "x.csv"), ("codebook", "x.sav"),
                                           ("html", "x.md")])
def test_export_suffix_must_suit_the_format(tmp_path, fmt, name):
    """--format redcap --out x.xlsx wrote CSV text into a file named .xlsx."""
    res = CliRunner().invoke(main, ["instrument", "export", "--format", fmt, "--out", str(tmp_path / name)])
    _one_line_error(res)
    assert f"--format {fmt} writes" in res.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("fmt", "name"), [("limesurvey", "x.tsv"), ("markdown", "x.txt"), ("html", "x.HTM")])
def test_export_other_usual_suffixes_are_accepted(tmp_path, fmt, name):
    res = CliRunner().invoke(main, ["instrument", "export", "--format", fmt, "--out", str(tmp_path / name)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / name).stat().st_size > 1000


def test_export_to_stdout_with_json_is_a_usage_error():
    """--out - --json printed the CSV, not the one JSON object --json promises."""
    res = CliRunner().invoke(main, ["instrument", "export", "--format", "codebook", "--out", "-", "--json"])
    assert res.exit_code == 2 and res.stdout == ""
