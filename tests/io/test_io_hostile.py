"""Issue 14: every real export read, every hostile one refused in one clean line.

One test (or a few) per breakage class found by fuzzing and by real files,
each reproducing the original failure: the input that used to crash, hang,
print several lines or write something unsafe.
"""

from __future__ import annotations

import ast
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qimscale.cli import main
from qimscale.errors import DataError
from qimscale.io import read_data, read_survey

SYN = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def _score(*args):
    return CliRunner().invoke(main, ["score", *map(str, args)])


def _one_error(res, *needles):
    """Exit 1, one ``Error:`` line on stderr, nothing on stdout; the line holds every needle."""
    assert res.exit_code == 1, (res.exit_code, res.stderr, res.exception)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert "internal error" not in lines[0] and "Traceback" not in res.output
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def _codes_csv(tmp_path, text="exp_meth_1,exp_meth_2\n4,5\n3,2\n", name="ok.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _workbook_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["exp_meth_1", "exp_meth_2"])
    for i in range(200):
        ws.append([i % 5 + 1, (i + 2) % 5 + 1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _member_offsets(data: bytes, name: str) -> tuple[int, int]:
    """(local header offset, central directory entry offset) of zip member ``name``."""
    local = zipfile.ZipFile(io.BytesIO(data)).getinfo(name).header_offset
    pos = data.find(b"PK\x01\x02")
    while data[pos + 46:pos + 46 + struct.unpack("<H", data[pos + 28:pos + 30])[0]] != name.encode():
        pos = data.find(b"PK\x01\x02", pos + 4)
    return local, pos


# --------------------------------------------------------------------------- 1. internal errors

@pytest.mark.parametrize("where", ["data", "qsf", "yaml"])
def test_deeply_nested_json_qsf_yaml_is_one_error_line(tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "data":
        p = tmp_path / "kobo.json"
        p.write_text(deep)
        res = _score(p, "--json")
    elif where == "qsf":
        p = tmp_path / "survey.qsf"
        p.write_text('{"SurveyElements": ' + deep + "}")
        res = _score(_codes_csv(tmp_path), "--dictionary", p)
    else:
        p = tmp_path / "map.yaml"
        p.write_text("".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "x: 1\n")
        res = _score(_codes_csv(tmp_path), "--map", p)
    _one_error(res, str(p), "nested too deeply")


def test_kobo_json_nested_below_the_parser_limit_is_read_or_refused_cleanly(tmp_path):
    p = tmp_path / "kobo.json"
    p.write_text('[{"grp/exp_meth_1": 4, "_uuid": "a", "deep": ' + '{"a":' * 900 + "1" + "}" * 900 + "}]")
    res = _score(p, "--json")
    assert res.exit_code in (0, 1), res.exception
    if res.exit_code == 1:
        _one_error(res)


def _corrupt_workbook(kind: str) -> bytes:
    data = bytearray(_workbook_bytes())
    local, central = _member_offsets(bytes(data), "xl/worksheets/sheet1.xml")
    if kind == "zlib":  # damaged deflate stream in the sheet
        n = struct.unpack("<H", data[local + 26:local + 28])[0] + struct.unpack("<H", data[local + 28:local + 30])[0]
        start = local + 30 + n
        for i in range(start + 2, start + 12):
            data[i] ^= 0xA5
    elif kind == "method":  # "That compression method is not supported"
        data[local + 8:local + 10] = struct.pack("<H", 99)
        data[central + 10:central + 12] = struct.pack("<H", 99)
    else:  # "offset": the end record points past the central directory -> a negative seek (OSError Errno 22)
        eocd = data.rfind(b"PK\x05\x06")
        cd_offset = struct.unpack("<I", data[eocd + 16:eocd + 20])[0]
        data[eocd + 16:eocd + 20] = struct.pack("<I", cd_offset + 10_000)
    return bytes(data)


@pytest.mark.parametrize("kind", ["zlib", "method", "offset"])
def test_corrupt_xlsx_archive_is_one_error_line(tmp_path, kind):
    p = tmp_path / "export.xlsx"
    p.write_bytes(_corrupt_workbook(kind))
    _one_error(_score(p, "--json"), str(p))


def test_one_flipped_byte_anywhere_in_a_workbook_is_read_or_refused_cleanly(tmp_path):
    data = _workbook_bytes()
    rng = np.random.default_rng(14)
    p = tmp_path / "flipped.xlsx"
    for pos in rng.choice(len(data), size=25, replace=False):
        b = bytearray(data)
        b[pos] ^= 0xFF
        p.write_bytes(bytes(b))
        res = _score(p, "--json")
        assert res.exit_code in (0, 1), (pos, res.exception)
        if res.exit_code == 1:
            _one_error(res)


def test_workbook_that_fails_to_read_is_closed(tmp_path, monkeypatch):
    import openpyxl

    closed = []

    class Sheet:
        title = "s"

        def iter_rows(self, values_only=True):
            raise ValueError("broken row\n  in sheet1.xml\n  line 3")

    class Book:
        worksheets = [Sheet()]

        def close(self):
            closed.append(True)

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: Book())
    p = tmp_path / "x.xlsx"
    p.write_bytes(_workbook_bytes())
    with pytest.raises(DataError) as err:
        read_survey(p)
    assert closed == [True]
    # openpyxl's multi-line text becomes one line
    assert "\n" not in str(err.value) and "broken row in sheet1.xml line 3" in str(err.value)


def test_parquet_with_corrupt_pandas_metadata_is_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for bad in (b"{not json", b"\xff\xfe", b'{"columns": 5}'):
        table = pa.table({"exp_meth_1": [4, 5], "exp_meth_2": [3, 1]}).replace_schema_metadata({b"pandas": bad})
        p = tmp_path / "x.parquet"
        pq.write_table(table, p)
        assert read_data(p)["exp_meth_2"].tolist() == [3, 1]


def test_parquet_with_corrupt_footer_is_one_error_line(tmp_path):
    df = pd.DataFrame({"exp_meth_1": [4, 5], "exp_meth_2": [3, 1]})
    p = tmp_path / "x.parquet"
    df.to_parquet(p)
    b = bytearray(p.read_bytes())
    for i in range(len(b) - 60, len(b) - 10):
        b[i] ^= 0x5A
    p.write_bytes(bytes(b))
    _one_error(_score(p, "--json"), str(p), "Parquet")


def test_parquet_duplicate_column_names_say_so_like_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "dup.parquet"
    pq.write_table(pa.table([[4, 5], [3, 1]], names=["exp_meth_1", "exp_meth_1"]), p)
    _one_error(_score(p, "--json"), "column name 'exp_meth_1' appears twice")


_DESIGNER = ('"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
             '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number",'
             '"Text Validation Min","Text Validation Max",Identifier?,"Branching Logic (Show field only if...)",'
             '"Required Field?","Custom Alignment","Question Number (surveys only)","Matrix Group Name",'
             '"Matrix Ranking?","Field Annotation"')
_API = ("field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,"
        "text_validation_type_or_show_slider_number,text_validation_min,text_validation_max,identifier,"
        "branching_logic,required_field,custom_alignment,question_number,matrix_group_name,matrix_ranking,"
        "field_annotation")


@pytest.mark.parametrize("header,needle", [
    (_DESIGNER.replace('"Field Type"', '"Type"'), "no column 'field_type'"),            # was KeyError
    (_DESIGNER.replace("Identifier?", "Identifier"), "no column 'identifier'"),         # was KeyError
    (_DESIGNER.replace("Identifier?", '"Form Name"'), "column name 'Form Name' appears twice"),
    (_API.replace("field_type", "field_label"), "column name 'field_label' appears twice"),  # was TypeError
])
def test_redcap_dictionary_with_missing_renamed_or_repeated_header(tmp_path, header, needle):
    d = tmp_path / "dictionary.csv"
    d.write_text(header + "\n" + 'exp_meth_1,qim,,radio,Item,"1, a|2, b"' + "," * 12 + "\n")
    _one_error(_score(_codes_csv(tmp_path), "--dictionary", d), str(d), needle)


def test_complete_redcap_dictionary_still_reads(tmp_path):
    d = tmp_path / "dictionary.csv"
    d.write_text(_API + "\n" + 'exp_meth_1,qim,,radio,Item,"1, a|2, b"' + "," * 12 + "\n")
    assert _score(_codes_csv(tmp_path), "--dictionary", d, "--json").exit_code == 0


# --------------------------------------------------------------------------- 2. wide files

def test_wide_file_converts_every_column(tmp_path):
    """The compact conversion builds one table instead of one ``set_column`` per column (quadratic);
    the timing itself is in benchmarks/bench_scoring.py (the 20,000-column row)."""
    cols = 3000
    rng = np.random.default_rng(0)
    vals = rng.integers(1, 300, size=(40, cols))
    p = tmp_path / "wide.csv"
    p.write_text(",".join(f"c{j}" for j in range(cols)) + "\n"
                 + "\n".join(",".join(map(str, r)) for r in vals) + "\n")
    df = read_survey(p, compact=True).data
    assert df.shape == (40, cols)
    assert str(df["c0"].dtype) == "Int16"
    np.testing.assert_array_equal(df.to_numpy(dtype="int64"), vals)


# --------------------------------------------------------------------------- 3. exit code

def test_program_exits_without_interpreter_teardown_and_with_the_commands_code(tmp_path, monkeypatch):
    """``run`` ends the process with ``os._exit`` (no native-library teardown to race pyarrow's threads),
    after the exit handlers and a flush; the code after an ``Error:`` line is 1. The 1,000-run check under
    load is ``python -m tests.fuzz.exit_codes`` (on demand).

    The exit handlers are recorded, not run: running them here would run pytest's own (its temporary
    folder's lock is removed, so a concurrent pytest deletes this session's ``tmp_path``) and those of
    earlier tests' worker pools (loky's waited minutes for its workers in the full suite)."""
    import atexit
    import os
    import sys

    import qimscale.cli as cli

    codes, events = [], []

    class Exited(Exception):
        pass

    def fake_exit(code):
        codes.append(code)
        events.append("exit")
        raise Exited

    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: events.append("handlers"))
    monkeypatch.setattr(sys, "argv", ["qimscale", "score", str(_codes_csv(tmp_path)), "--id", "nope", "--json"])
    with pytest.raises(Exited):
        cli.run()
    assert codes == [1]
    monkeypatch.setattr(sys, "argv", ["qimscale", "--version"])
    with pytest.raises(Exited):
        cli.run()
    assert codes == [1, 0]
    assert events == ["handlers", "exit"] * 2  # the handlers run before each exit


def test_subprocess_error_exit_code_is_one(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    data.write_text("id,exp_meth_1,exp_meth_2\n" + "\n".join(f"{i},{a},{b}" for i, (a, b) in
                                                             enumerate(rng.integers(1, 6, (60_000, 2)), 1)) + "\n")
    p = subprocess.run([sys.executable, "-m", "qimscale", "score", str(data), "--id", "nonexistent", "--json"],
                       capture_output=True, text=True)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.splitlines() == [f"Error: {data}: id column 'nonexistent' is not in the file"]


# --------------------------------------------------------------------------- 4. misleading outcomes

def test_timezone_aware_datetimes_are_written_to_xlsx(tmp_path):
    out = tmp_path / "s.xlsx"
    res = _score(SYN / "odk_central.csv", "--out", out)
    assert res.exit_code == 0, res.stderr
    got = pd.read_excel(out)
    assert got["SubmissionDate"].iloc[0] == "2026-11-05 10:00:33.512000+00:00"
    assert got["start"].iloc[0] == "2026-11-05 08:40:01.101000+00:00"


def test_formula_cells_are_neutralised_in_every_csv_output(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text('id,note,exp_meth_1,=cmd|x\n=1+1,-3,4,@SUM(A1)\n+x,"=HYPERLINK(""a"")",9x,-2.5\n'
                   'x,\t=1,-1,+4\n')
    out = tmp_path / "s.csv"
    res = _score(src, "--out", out)
    assert res.exit_code == 0, res.stderr
    scores = out.read_text()
    assert scores.splitlines()[0].startswith("id,note,'=cmd|x,")
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["id"].tolist() == ["'=1+1", "'+x", "x"]
    assert got["note"].tolist() == ["-3", "'=HYPERLINK(\"a\")", "'\t=1"]
    assert got["'=cmd|x"].tolist() == ["'@SUM(A1)", "-2.5", "+4"]  # numbers stay as they were
    problems = pd.read_csv(tmp_path / "s.problems.csv", dtype=str, keep_default_na=False)
    assert set(problems.loc[problems["row"] != "", "value"]) == {"9x", "-1"}  # '-1' is a number: unchanged
    src.write_text("id,exp_meth_1\n1,=1+1\n2,@x\n")
    assert _score(src, "--out", out).exit_code == 0
    values = pd.read_csv(tmp_path / "s.problems.csv", dtype=str, keep_default_na=False)["value"]
    assert set(values[values != ""]) == {"'=1+1", "'@x"}


def test_header_only_csv_without_final_newline(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"exp_meth_1,exp_meth_2,exp_meth_3")
    _one_error(_score(p, "--json"), "the file has a header but no data rows")


@pytest.mark.parametrize("text,needle", [
    ("column,item\nexp_meth_1,q1\n", "the mapping names column 'exp_meth_1', which is not in the file (are the "
                                      "mapping's two columns swapped?)"),
    ("column,item\nq1,exp_meth_1,extra\n", "row 2 has 3 fields where the header has 2"),
    ("column,item\nq1,exp_meth_1\nq2\n", "row 3 has 1 field where the header has 2"),
    ("col,it\nq1,exp_meth_1\n", "needs the header 'column,item'"),
])
def test_map_csv_swapped_or_ragged_names_the_row(tmp_path, text, needle):
    m = tmp_path / "map.csv"
    m.write_text(text)
    line = _one_error(_score(_codes_csv(tmp_path, "q1,q2\n4,5\n"), "--map", m), needle)
    assert "None" not in line


def test_map_csv_with_columns_in_the_other_order_is_read(tmp_path):
    m = tmp_path / "map.csv"
    m.write_text("item,column\nexp_meth_1,q1\n")
    res = _score(_codes_csv(tmp_path, "q1,q2\n4,5\n"), "--map", m, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["n_rows"] == 1


def test_dates_in_item_columns_are_shown_as_dates_not_reprs(tmp_path):
    p = _codes_csv(tmp_path, "id,exp_meth_1\n1,2024-05-01\n2,2024-05-02T09:30:00+02:00\n")
    line = _one_error(_score(p, "--strict"), "row 2", "'2024-05-01")
    assert "Timestamp(" not in line and "datetime." not in line


def test_long_cell_values_are_cut_in_messages(tmp_path):
    p = _codes_csv(tmp_path, "id,exp_meth_1\n1," + "x" * 2_000_000 + "\n")
    line = _one_error(_score(p, "--strict"), "…' (2000000 characters)")
    assert len(line) < 600
    r = tmp_path / "rn.csv"
    r.write_text('"","exp_meth_1"\n"' + "y" * 3_000_000 + '",4\n"' + "y" * 3_000_000 + '",5\n')
    assert len(_one_error(_score(r), "…' (3000000 characters)", "row 3")) < 600


def test_row_numbers_are_spreadsheet_rows_everywhere(tmp_path):
    p = _codes_csv(tmp_path, "id,exp_meth_1,exp_meth_2\n1,4,5\n2,3\n")
    _one_error(_score(p), "row 3 has 2 fields")
    res = _score(SYN / "surveymonkey.csv", "--json")  # two header rows: the 10th respondent is row 12
    bad = [p for p in json.loads(res.stdout)["problems"] if p["row"] is not None]
    assert [(p["row"], p["value"]) for p in bad] == [(12, "Agreee")]


def test_a_record_longer_than_pyarrows_block_is_read(tmp_path):
    p = _codes_csv(tmp_path, "id,note,exp_meth_1\n1," + "z" * 2_000_000 + ",4\n2,ok,5\n")
    res = _score(p, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["n_rows"] == 2


# --------------------------------------------------------------------------- 5. real files

def test_r_write_csv_row_numbers_are_dropped_with_a_note(tmp_path):
    p = _codes_csv(tmp_path, '"","exp_meth_1","exp_meth_2"\n"1",4,5\n"2",3,3\n')
    s = read_survey(p)
    assert list(s.data.columns) == ["exp_meth_1", "exp_meth_2"]
    assert any("row numbers 1-2" in n and "write.csv" in n for n in s.notes)
    res = _score(p, "--json")
    assert res.exit_code == 0 and "write.csv" in res.stderr


def test_r_write_csv_row_names_become_the_id(tmp_path):
    s = read_survey(_codes_csv(tmp_path, '"","exp_meth_1"\n"ann",4\n"bob",3\n'))
    assert s.data["row_names"].tolist() == ["ann", "bob"] and s.id_columns == ["row_names"]


def test_unnamed_first_column_that_is_not_row_names_is_still_refused(tmp_path):
    _one_error(_score(_codes_csv(tmp_path, ",exp_meth_1\n1,4\n1,5\n")), "column 1 has no name", "row 3 repeats")
    _one_error(_score(_codes_csv(tmp_path, ",exp_meth_1\n1,4\n,5\n")), "column 1 has no name", "row 3 is empty")


def test_odk_central_rows_one_field_short_everywhere_are_read_with_one_note():
    s = read_survey(SYN / "odk_central_short_rows.csv")
    full = read_survey(SYN / "odk_central.csv")
    assert s.format == "odk" and s.data.shape == full.data.shape
    assert s.data["FormVersion"].isna().all()
    notes = [n for n in s.notes if "one field" in n or "fields where the header has" in n]
    assert len(notes) == 1 and "'FormVersion'" in notes[0]
    res = _score(SYN / "odk_central_short_rows.csv", "--json")
    assert res.exit_code == 0 and res.stderr.count("FormVersion") == 1


def test_rows_short_on_only_some_rows_are_an_error(tmp_path):
    lines = (SYN / "odk_central_short_rows.csv").read_text().splitlines()
    full = (SYN / "odk_central.csv").read_text().splitlines()
    p = tmp_path / "mixed.csv"
    p.write_text("\n".join(lines[:3] + full[3:]) + "\n")
    _one_error(_score(p), "row 2 has 68 fields where the header has 69")


def test_odk_central_layout_is_recognised():
    s = read_survey(SYN / "odk_central.csv")
    assert s.format == "odk" and s.id_columns == ["KEY"]
    assert {"SubmitterName", "SubmitterID", "DeviceID"} <= set(s.identifiers)
    assert {"SubmissionDate", "meta-instanceID", "KEY", "ReviewState"} <= set(s.metadata_columns)
    assert s.duration_source == "end - start" and s.duration_seconds.notna().all()
    res = _score(SYN / "odk_central.csv", "--json")
    out = json.loads(res.stdout)
    assert out["identifiers_dropped"] == ["SubmitterID", "SubmitterName", "DeviceID"]
    assert [(p["row"], p["value"]) for p in out["problems"]] == [(6, "7")]


def test_odk_central_repeat_group_file_is_recognised():
    s = read_survey(SYN / "odk_central-ratings.csv")
    assert (s.format, s.variant, s.id_columns) == ("odk", "repeat", ["KEY"])
    assert {"PARENT_KEY", "KEY"} <= set(s.metadata_columns)
    assert s.item_hints["ratings-exp_meth_1"][-1] == "exp_meth_1"


@pytest.mark.parametrize("name", ["surveymonkey.csv", "surveymonkey.xlsx"])
def test_surveymonkey_export(name, tmp_path):
    s = read_survey(SYN / name)
    assert (s.format, s.header_rows, s.id_columns) == ("surveymonkey", 2, ["Respondent ID"])
    assert set(s.identifiers) == {"IP Address", "Email Address", "First Name", "Last Name"}
    assert s.duration_source == "End Date - Start Date" and (s.duration_seconds == 756).all()
    out = tmp_path / "s.csv"
    res = _score(SYN / name, "--json", "--out", out)
    summary = json.loads(res.stdout)
    assert summary["n_rows"] == 12 and summary["n_scored"] == 12
    assert not [p for p in summary["problems"] if p["item"] and "absent" in p["problem"]]
    assert "'=HYPERLINK" in out.read_text()  # the open answer that looks like a formula stays inert


def test_surveymonkey_format_can_be_named():
    assert read_survey(SYN / "surveymonkey.csv", format="surveymonkey").format == "surveymonkey"


# --------------------------------------------------------------------------- the xlsx writer

def test_xlsx_writer_keeps_values_exactly(tmp_path):
    from qimscale.io.writers import write_table

    df = pd.DataFrame({"text": ["=1+1", "a\x01b", "_x0041_", None], "n": pd.array([1, None, -3, 4], dtype="Int8"),
                       "f": [0.1, np.nan, np.inf, 1e-300], "b": [True, False, True, False],
                       "d": pd.to_datetime(["2024-05-01 09:30", None, "1999-12-31 00:00", "2024-02-29 00:00"])})
    p = tmp_path / "x.xlsx"
    write_table(df, p)
    got = pd.read_excel(p)
    # a control character XML cannot hold: Excel's escape (Excel shows the character, openpyxl the escape)
    assert got["text"].tolist()[:3] == ["=1+1", "a_x0001_b", "_x0041_"] and pd.isna(got["text"].iloc[3])
    assert got["n"].tolist()[0] == 1 and np.isnan(got["n"].iloc[1])
    assert got["f"].iloc[0] == 0.1 and float(got["f"].iloc[2]) == np.inf and got["f"].iloc[3] == 1e-300
    assert got["b"].tolist() == [True, False, True, False]
    assert got["d"].iloc[0] == pd.Timestamp("2024-05-01 09:30") and got["d"].iloc[3] == pd.Timestamp("2024-02-29")


def test_xlsx_writer_refuses_what_excel_cannot_hold(tmp_path):
    from qimscale.io.writers import write_table

    with pytest.raises(DataError, match="longer than Excel allows"):
        write_table(pd.DataFrame({"t": ["x" * 40_000]}), tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="do not fit in an Excel sheet"):
        write_table(pd.DataFrame(np.zeros((1, 16_385))), tmp_path / "y.xlsx")
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()


# --------------------------------------------------------------------------- import cycle

def test_io_modules_form_no_import_cycle():
    """Module-level imports inside qimscale.io form no cycle (tables <- surveydata <- platforms <- survey)."""
    root = Path(__file__).resolve().parents[2] / "qimscale" / "io"
    graph = {}
    for f in root.glob("*.py"):
        mod = f"qimscale.io.{f.stem}" if f.stem != "__init__" else "qimscale.io"
        deps = set()
        for node in ast.parse(f.read_text()).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qimscale.io"):
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("qimscale.io")}
        graph[mod] = deps - {mod}
    mods = set(graph) - {"qimscale.io"}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in graph.get(m, ()):
            if d not in mods:
                continue
            assert state.get(d) != "open", " -> ".join(path + [d])
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(mods):
        if m not in state:
            visit(m, [m])
