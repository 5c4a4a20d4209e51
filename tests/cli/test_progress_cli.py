"""Progress bars in the CLI: the shared helper, and silence with --json, --no-progress or no terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qimscale.cli import _common, main
from qimscale.cli._common import progress_bar, progress_enabled

REF = Path(__file__).parents[1] / "reference"
D3 = REF / "data" / "efa_d3.csv"
D3_ITEMS = "q1,q2,q3,q4,q5,l1,l2,l3,l4,l5,i1,i2,i3,i4,i5"
HS_DATA = REF / "data" / "cfa_hs1939.csv"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_the_given_stream():
    out = io.StringIO()
    with progress_bar("parallel analysis", True, file=out) as tick:
        tick(2, 5)
        tick(5, 5)
    text = out.getvalue()
    assert "parallel analysis" in text and "/5" in text and "%|" in text


def test_progress_bar_disabled_is_silent_and_callable():
    out = io.StringIO()
    with progress_bar("bootstrap", False, file=out) as tick:
        tick(1, 2)
        tick(2, 2)
    assert out.getvalue() == ""


def test_progress_bar_closes_on_error():
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with progress_bar("x", True, file=out) as tick:
            tick(1, 3)
            raise RuntimeError("boom")
    text = out.getvalue()
    assert "/3" in text and text.endswith("\r")  # drawn, then cleared when the block ended


def test_progress_enabled_rules():
    assert progress_enabled(False, False, stream=FakeTTY())
    assert not progress_enabled(True, False, stream=FakeTTY())  # --json
    assert not progress_enabled(False, True, stream=FakeTTY())  # --no-progress
    assert not progress_enabled(False, False, stream=io.StringIO())  # a pipe or file
    assert not progress_enabled(False, False, stream=object())  # no isatty at all


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_output_has_no_progress_text():
    res = _run("nfactors", D3, "--items", D3_ITEMS, "--n-iter", "5", "--seed", "1", "--json")
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)
    assert res.stderr == ""


@pytest.fixture
def terminal(monkeypatch):
    """Make the commands believe stderr is a terminal (CliRunner's stderr is not one)."""
    real = _common.progress_enabled

    def fake(as_json=False, no_progress=False, stream=None):
        return real(as_json, no_progress, stream=FakeTTY())

    import qimscale.cli.cfa_cmd as cfa_cmd
    import qimscale.cli.efa_cmd as efa_cmd
    import qimscale.cli.reliability_cmd as rel_cmd

    for mod in (efa_cmd, cfa_cmd, rel_cmd):
        monkeypatch.setattr(mod, "progress_enabled", fake)


@pytest.mark.parametrize("args, desc", [
    (("nfactors", D3, "--items", D3_ITEMS, "--n-iter", "5", "--seed", "1"), "parallel analysis"),
    (("efa", D3, "--items", D3_ITEMS, "--n-iter", "5", "--seed", "1"), "parallel analysis"),
    (("reliability", D3, "--items", "q1,q2,q3,q4,q5", "--ci", "bootstrap", "--n-boot", "50", "--seed", "1"),
     "bootstrap"),
    (("cfa", HS_DATA, "--model", HS, "--bootstrap", "3", "--seed", "1"), "bootstrap"),
    (("invariance", HS_DATA, "--model", HS, "--group", "school"), "invariance levels"),
])
def test_bar_on_a_terminal_and_not_with_json_or_no_progress(terminal, args, desc):
    res = _run(*args)
    assert res.exit_code == 0, res.output
    assert desc in res.stderr
    for flag in ("--json", "--no-progress"):
        res = _run(*args, flag)
        assert res.exit_code == 0, res.output
        assert desc not in res.stderr and "%|" not in res.stderr


def test_no_bar_without_a_bootstrap(terminal):
    res = _run("reliability", D3, "--items", "q1,q2,q3,q4,q5")
    assert res.exit_code == 0, res.output
    assert "bootstrap" not in res.stderr
