"""The CLI skeleton: version, help, error contract and JSON helper."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from qimscale import __version__
from qimscale.cli import main
from qimscale.cli._common import parse_scale_option, resolve_scales, to_jsonable


def test_version():
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0
    assert __version__ in res.output


def test_help_is_fast_and_imports_no_numerics():
    code = ("import sys, time; t=time.perf_counter(); from qimscale.cli import main;"
            "import click; ctx=click.Context(main); main.get_help(ctx);"
            "bad=[m for m in ('numpy','pandas','scipy') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_command_is_usage_error():
    res = CliRunner().invoke(main, ["no-such-command"])
    assert res.exit_code == 2


def test_to_jsonable_nan_and_numpy():
    obj = {"a": np.float64("nan"), "b": np.arange(3), "c": [1.0, math.inf], "d": np.int64(4)}
    out = json.loads(json.dumps(to_jsonable(obj), allow_nan=False))
    assert out == {"a": None, "b": [0, 1, 2], "c": [1.0, None], "d": 4}


def test_full_precision():
    x = 0.1 + 0.2
    assert json.loads(json.dumps(to_jsonable({"x": x})))["x"] == x


def test_parse_scale_option():
    assert parse_scale_option("s=a,-b") == ("s", ["a", "b"], ["b"])


def test_resolve_scales_missing_column():
    from qimscale.errors import DataError

    with pytest.raises(DataError, match="'zz' not found"):
        resolve_scales(["a", "b"], scales=("s=a,zz",))


def test_scale_reverse_needs_range():
    import pandas as pd
    from qimscale.errors import DataError

    spec = resolve_scales(["a", "b"], scales=("s=a,-b",))[0]
    with pytest.raises(DataError, match="--min and --max"):
        spec.recoded(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    spec.min, spec.max = 1, 5
    assert spec.recoded(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))["b"].tolist() == [3, 2]


def test_multiline_error_keeps_one_error_line_and_context(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("x1,x2,x3\n1,2,3\n2,3,4\n3,4,5\n")
    res = CliRunner().invoke(main, ["cfa", str(csv), "--model", "f =~ x1 + + x3"])
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[0].startswith("Error: model syntax error on line 1")
    assert sum(line.startswith("Error:") for line in lines) == 1
    assert lines[-1].strip() == "^"
    assert "Traceback" not in res.stderr
