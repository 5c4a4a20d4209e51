"""Option values that cannot be used are one-line errors, never silently used: norms rows, --min-seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qimscale.cli import main

CODES = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "codes.csv"


@pytest.mark.parametrize(("rows", "expected"), [
    ("exp_methods,3,abc\n", ["exp_methods", "'abc'"]),  # was an internal error (ValueError)
    ("exp_methods,3,1\nexp_methods,2,1\n", ["exp_methods", "twice"]),  # the last row won silently
])
def test_bad_norms_rows(tmp_path, rows, expected):
    norms = tmp_path / "norms.csv"
    norms.write_text("scale,mean,sd\n" + rows, encoding="utf-8")
    res = CliRunner().invoke(main, ["score", str(CODES), "--norms", str(norms)])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("Error: norms file") and res.output.count("\n") == 1, res.output
    assert "internal error" not in res.output
    for text in expected:
        assert text in res.output


QUALTRICS = CODES.parent / "qualtrics_current_matrix_choicetext.csv"


@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_min_seconds_must_be_a_non_negative_number(value):
    """A negative or NaN threshold flagged nobody, silently."""
    res = CliRunner().invoke(main, ["score", str(QUALTRICS), "--min-seconds", value])
    assert res.exit_code == 2, res.output  # a usage error (the contract's exit 2)
    assert "Invalid value for '--min-seconds': must be a number of seconds >= 0" in res.output, res.output


@pytest.mark.parametrize("value", ["0", "1.5", "nan", "-0.2"])
def test_min_answered_outside_0_1_is_a_usage_error(value):
    res = CliRunner().invoke(main, ["score", str(QUALTRICS), "--min-answered", value])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--min-answered': must be a fraction in (0, 1]" in res.output
