"""Dropped direct identifiers never reach the problems table, --json or the --strict message."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qimscale.cli import main

QUALTRICS = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "qualtrics_current_matrix_choicetext.csv"


def _with_duplicate_email(tmp_path) -> Path:
    lines = QUALTRICS.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace("person3@example.org", "person2@example.org")
    p = tmp_path / "q.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_duplicate_check_on_an_identifier_withholds_the_value(tmp_path):
    src = _with_duplicate_email(tmp_path)
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["score", str(src), "--id", "RecipientEmail", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    dup = [p for p in summary["problems"] if p["problem"].startswith("duplicate respondent id")]
    assert len(dup) == 1 and dup[0]["row"] == 7 and dup[0]["value"] == "(identifier withheld)"
    for f in tmp_path.glob("s*"):
        assert "example.org" not in f.read_text(encoding="utf-8"), f.name
    assert "example.org" not in res.stdout


def test_strict_message_withholds_the_identifier(tmp_path):
    src = _with_duplicate_email(tmp_path)
    res = CliRunner().invoke(main, ["score", str(src), "--id", "RecipientEmail", "--strict"])
    assert res.exit_code == 1
    assert "example.org" not in res.output


def test_keep_identifiers_shows_the_value(tmp_path):
    src = _with_duplicate_email(tmp_path)
    res = CliRunner().invoke(main, ["score", str(src), "--id", "RecipientEmail", "--keep-identifiers", "--json"])
    assert res.exit_code == 0, res.output
    dup = [p for p in json.loads(res.stdout)["problems"] if p["problem"].startswith("duplicate respondent id")]
    assert dup[0]["value"] == "person2@example.org"
