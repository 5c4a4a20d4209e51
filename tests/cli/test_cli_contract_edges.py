"""CLI review 3: defects found using the analysis commands as a researcher would."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def sav_with_user_missing(tmp_path):
    """An SPSS file whose items declare 9 (code) and 97-99 (range) user-missing, as SPSS users do."""
    pyreadstat = pytest.importorskip("pyreadstat")
    rng = np.random.default_rng(7)
    f = rng.normal(size=60)
    df = pd.DataFrame({f"a{j}": np.clip(np.round(3 + f + 0.7 * rng.normal(size=60)), 1, 5) for j in range(1, 5)})
    coded = df.copy()
    coded.loc[[3, 10], "a1"] = 9.0
    coded.loc[5, "a3"] = 98.0
    path = tmp_path / "study.sav"
    pyreadstat.write_sav(coded, str(path), missing_ranges={"a1": [9], "a3": [{"lo": 97, "hi": 99}]})
    clean = df.copy()
    clean.loc[[3, 10], "a1"] = np.nan
    clean.loc[5, "a3"] = np.nan
    csv = tmp_path / "clean.csv"
    clean.to_csv(csv, index=False)
    return path, csv


@pytest.mark.parametrize("cmd", ["corr", "reliability", "factorability"])
def test_spss_user_missing_codes_are_missing_in_analyses(sav_with_user_missing, cmd):
    """SPSS user-missing codes (9 = not applicable, 97-99 = refused) are missing values, as in
    haven::read_sav and pyreadstat by default; analysing them as answers gave silently wrong numbers
    (with --items and no --min/--max nothing caught the 98)."""
    sav, csv = sav_with_user_missing
    items = "a1,a2,a3,a4"
    res = run(cmd, sav, "--items", items, "--json")
    assert res.exit_code == 0, res.stderr
    want = run(cmd, csv, "--items", items, "--json")
    assert json.loads(res.stdout) == json.loads(want.stdout)
    warnings = [ln for ln in res.stderr.splitlines() if "user-missing" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("Warning: ")
    assert "3 value(s)" in warnings[0] and "'a1': 2" in warnings[0] and "'a3': 1" in warnings[0]


def test_spss_user_missing_in_cfa(sav_with_user_missing):
    sav, csv = sav_with_user_missing
    model = "F =~ a1 + a2 + a3 + a4"
    res = run("cfa", sav, "--model", model, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["ntotal"] == json.loads(run("cfa", csv, "--model", model, "--json").stdout)["ntotal"]


@pytest.mark.parametrize("cmd", ["corr", "factorability"])
def test_unread_sheets_are_noted_by_analysis_commands(tmp_path, cmd):
    """A workbook with several sheets: the analysis reads the first and says so on stderr, as
    'qimscale score' does (it said nothing, so a user who meant sheet 2 never knew)."""
    rng = np.random.default_rng(1)
    first = pd.DataFrame(rng.integers(1, 6, size=(30, 3)), columns=["a", "b", "c"])
    path = tmp_path / "wave.xlsx"
    with pd.ExcelWriter(path) as xw:
        first.to_excel(xw, sheet_name="wave1", index=False)
        (6 - first).to_excel(xw, sheet_name="wave2", index=False)
    res = run(cmd, path, "--items", "a,b,c", "--json")
    assert res.exit_code == 0, res.stderr
    json.loads(res.stdout)
    notes = [ln for ln in res.stderr.splitlines() if "sheets" in ln]
    assert len(notes) == 1 and notes[0].startswith(f"Note: {path}: ") and "'wave2'" in notes[0]


def test_renamed_duplicate_columns_are_noted():
    """A legacy Qualtrics export repeats 'question_one'; the analysis uses the first and says how the
    others were renamed (question_one__2, ...) instead of choosing one silently."""
    from _samples import sample

    path = str(sample("qualtrics/QualtricsTools_Single_Answer_Matrix_legacy.csv"))
    res = run("corr", path, "--items", "question_one,question_one__2,Q2_2", "--json")
    assert res.exit_code == 0, res.stderr
    assert any(ln.startswith("Note: ") and "'question_one__2'" in ln for ln in res.stderr.splitlines())


def test_failing_run_prints_only_the_error_line(sav_with_user_missing, tmp_path):
    """The notes and user-missing counts of the reader wait for the analysis to succeed: a failing
    run still prints exactly one line, the Error."""
    sav, _ = sav_with_user_missing
    res = run("corr", sav, "--items", "a1,a3,zz")
    assert res.exit_code == 1
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("Error: ")
    res = run("omega", sav, "--items", "a1,a2,a3", "--n-factors", "3")  # fails in the library call
    assert res.exit_code == 1
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("Error: ")


HS = "tests/reference/data/cfa_hs1939.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


@pytest.fixture
def hs_group_codes(tmp_path):
    """Holzinger-Swineford with an integer site code 1/2, once complete and once with a blank code (so the
    column is read as floats, as a .dta always is)."""
    hs = pd.read_csv(HS)[["x1", "x2", "x3", "x4", "x5", "x6"]]
    hs["site"] = np.where(np.arange(len(hs)) % 2 == 0, 1, 2)
    complete, blank = tmp_path / "complete.csv", tmp_path / "blank.csv"
    hs.to_csv(complete, index=False)
    hs.loc[[3, 4], "site"] = np.nan
    hs.to_csv(blank, index=False)
    return complete, blank


@pytest.mark.parametrize("cmd", ["cfa", "invariance"])
def test_integer_group_codes_are_labelled_alike_whatever_the_file_stores(hs_group_codes, cmd):
    """Group 1 is "1" (as lavaan labels it), not "1.0" because a blank cell (or a .dta) made the column float:
    the JSON keys of the same groups changed with the storage type."""
    complete, blank = hs_group_codes
    args = ["--model", HS_MODEL, "--group", "site", "--json"]
    want = json.loads(run(cmd, complete, *args).stdout)["groups"]
    res = run(cmd, blank, *args)
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert want == ["1", "2"] and out["groups"] == want
    if cmd == "cfa":
        assert set(out["reliability_by_group"]) == {"1", "2"}
        assert {e["group"] for e in out["estimates"]} == {1, 2}


@pytest.mark.parametrize("cmd", ["reliability", "corr"])
def test_two_scales_with_one_name_are_a_usage_error(tmp_path, cmd):
    """`--scale a=... --scale a=...` reported one scale: the first was silently dropped."""
    rng = np.random.default_rng(2)
    path = tmp_path / "d.csv"
    pd.DataFrame(rng.integers(1, 6, size=(40, 6)), columns=[f"q{i}" for i in range(1, 7)]).to_csv(path, index=False)
    res = run(cmd, path, "--scale", "a=q1,q2,q3", "--scale", "a=q4,q5,q6")
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "'a'" in res.stderr and "--scale" in res.stderr and res.stdout == ""


@pytest.mark.parametrize("cmd,fmt", [("corr", "xlsx"), ("cfa", "sav"), ("score", "parquet"), ("score", "dta")])
def test_binary_format_on_stdin_is_a_usage_error(cmd, fmt):
    """'-' is CSV/TSV on standard input; with --format xlsx/sav/dta/parquet the run ended in
    'internal error: FileNotFoundError ... '-'' (a bug report request) instead of saying what to do."""
    sel = {"corr": ["--items", "a,b"], "cfa": ["--model", "F =~ a + b + c"], "score": []}[cmd]
    res = run(cmd, "-", "--format", fmt, *sel, input=b"PK\x03\x04 not really a workbook")
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "internal error" not in res.stderr and "standard input" in res.stderr and res.stdout == ""


@pytest.mark.parametrize("cmd", ["cfa", "invariance"])
def test_model_file_with_a_byte_order_mark(tmp_path, cmd):
    """A model file saved by Windows Notepad ('UTF-8 with BOM', CRLF) failed: "'\\ufeffvisual' is not a
    valid variable name"."""
    hs = pd.read_csv(HS)
    hs["site"] = np.where(np.arange(len(hs)) % 2 == 0, "a", "b")
    data = tmp_path / "hs.csv"
    hs.to_csv(data, index=False)
    model = tmp_path / "model.lav"
    model.write_bytes(b"\xef\xbb\xbf" + HS_MODEL.replace("\n", "\r\n").encode() + b"\r\n")
    res = run(cmd, data, "--model", model, "--group", "site", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(run(cmd, data, "--model", HS_MODEL, "--group", "site", "--json").stdout)


def test_model_file_not_utf8_is_a_one_line_error(tmp_path):
    """A UTF-16 model file (PowerShell's '>' redirection) was 'internal error: UnicodeDecodeError'."""
    model = tmp_path / "model.lav"
    model.write_bytes(HS_MODEL.encode("utf-16"))
    res = run("cfa", HS, "--model", model)
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {model}: ") and "UTF-8" in lines[0]
    assert "internal error" not in res.stderr


def test_stata_extended_missing_values_are_missing(tmp_path):
    """Stata's extended missing values (.a 'not applicable', ...) arrive as letters in a number column: the
    analysis stopped with "column 'a1' is not numeric: data row 3 holds 'a'"."""
    pyreadstat = pytest.importorskip("pyreadstat")
    rng = np.random.default_rng(5)
    f = rng.normal(size=50)
    df = pd.DataFrame({f"a{j}": np.clip(np.round(3 + f + 0.7 * rng.normal(size=50)), 1, 5) for j in range(1, 4)})
    coded = df.astype(object)
    coded.loc[[2, 9], "a1"] = "a"
    path = tmp_path / "study.dta"
    pyreadstat.write_dta(coded, str(path), missing_user_values={"a1": ["a"]})
    clean = df.copy()
    clean.loc[[2, 9], "a1"] = np.nan
    csv = tmp_path / "clean.csv"
    clean.to_csv(csv, index=False)
    res = run("corr", path, "--items", "a1,a2,a3", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(run("corr", csv, "--items", "a1,a2,a3", "--json").stdout)
    assert "2 value(s) declared user-missing" in res.stderr


@pytest.mark.parametrize("cmd", ["cfa", "invariance"])
def test_nullable_integer_group_column_with_a_blank(hs_group_codes, tmp_path, cmd):
    """`score --out scores.parquet` stores codes as nullable Int8; a blank group code then made
    `cfa --group` end in 'internal error: TypeError: boolean value of NA is ambiguous'."""
    complete, blank = hs_group_codes
    df = pd.read_csv(blank)
    df["site"] = df["site"].astype("Int8")
    path = tmp_path / "scores.parquet"
    df.to_parquet(path)
    args = ["--model", HS_MODEL, "--group", "site", "--json"]
    res = run(cmd, path, *args)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(run(cmd, blank, *args).stdout)


def test_group_column_that_is_a_model_variable_keeps_the_library_message(hs_group_codes):
    """The group-code conversion must not turn a model variable into text: the library's own error
    ('also a variable of the model') is what the user needs, not 'column is not numeric'."""
    _, blank = hs_group_codes
    df = pd.read_csv(blank)  # 'site' is whole numbers with a blank: the conversion's case
    df["x4"] = df["site"]
    path = blank.parent / "site_in_model.csv"
    df.to_csv(path, index=False)
    res = run("cfa", path, "--model", HS_MODEL, "--group", "x4")
    assert res.exit_code == 1
    assert "also a variable of the model" in res.stderr and len(res.stderr.splitlines()) == 1


def test_invariance_needs_two_groups(hs_group_codes, tmp_path):
    """A group column with one value (data filtered to one site) printed four identical models,
    'Highest level held: strict', exit 0."""
    complete, _ = hs_group_codes
    df = pd.read_csv(complete)
    path = tmp_path / "one_site.csv"
    df[df["site"] == 1].to_csv(path, index=False)
    res = run("invariance", path, "--model", HS_MODEL, "--group", "site")
    assert res.exit_code == 1, res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: ") and "'site'" in lines[0] and res.stdout == ""


def test_item_missing_only_by_spaces_or_case_names_the_column(tmp_path):
    """Header ' q1 ' (spaces from a hand-edited file) or 'Q2': the error listed 'id, q1 , Q2' and left the
    user to spot the difference."""
    path = tmp_path / "sp.csv"
    path.write_text("id, q1 ,Q2,q3\n1,2,3,1\n2,3,4,2\n3,3,3,4\n4,5,4,5\n")
    res = run("corr", path, "--items", "q1,q2,q3")
    assert res.exit_code == 1
    line = res.stderr.strip()
    assert "\n" not in line and "' q1 '" in line and "'Q2'" in line
