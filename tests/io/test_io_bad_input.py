"""The bad-input corpus: each file ends in one line ``Error: ...`` and exit 1; plus fuzzing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qimscale.cli import main
from qimscale.errors import DataError
from qimscale.io import SurveyData, read_survey
from qimscale.scoring import ScoringSpec, map_columns, validate

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

CASES = {
    "empty.csv": "the file is empty",
    "header_only.csv": "header but no data rows",
    "binary_garbage.csv": "binary data",
    "unterminated_quote.csv": "line 3: a quoted field is never closed",
    "text_named.xlsx": "not an Excel workbook",
    "truncated.xlsx": "truncated or corrupt",
    "zipbomb.xlsx": "zip-bomb guard",
    "duplicate_columns.csv": "column name 'exp_meth_1' appears twice",
    "no_items.csv": "no column matches any item",
    "corrupt.sav": "cannot be read as a SPSS .sav file",
    "short_row.csv": "row 4 has 2 fields where the header has 3 (row text: '3,2')",
}


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.iterdir() if p.suffix != ".py") == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_one_line_error_exit_1(name):
    res = CliRunner().invoke(main, ["score", str(BAD / name), "--json"])
    assert res.exit_code == 1
    assert res.stdout == ""
    err = res.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err
    assert str(BAD / name) in err and CASES[name] in err
    assert "Traceback" not in res.output


def test_bad_input_via_subprocess_has_no_traceback():
    res = subprocess.run([sys.executable, "-m", "qimscale", "score", str(BAD / "zipbomb.xlsx")],
                         capture_output=True, text=True)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: ")


def test_xlsx_absurd_total_size_refused(tmp_path, monkeypatch):
    import qimscale.io.tables as tables

    df = pd.DataFrame({"exp_meth_1": [1, 2]})
    df.to_excel(tmp_path / "ok.xlsx", index=False)
    monkeypatch.setattr(tables, "XLSX_MAX_UNCOMPRESSED", 100)
    with pytest.raises(DataError, match="zip-bomb guard"):
        read_survey(tmp_path / "ok.xlsx")


def test_ragged_rows_are_an_error(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match="row 3 has 3 fields where the header has 2.*every row has 2 fields"):
        read_survey(p)
    q = tmp_path / "q.csv"  # a quoted line break stays in its row: rows are records, not lines
    q.write_text('a,b\n1,"x\ny"\n3\n')
    with pytest.raises(DataError, match="row 3 has 1 field where"):
        read_survey(q)
    b = tmp_path / "b.csv"  # a blank line still counts as a spreadsheet row
    b.write_text("a,b\n\n1,2\n3\n")
    with pytest.raises(DataError, match="row 4 has 1 field where"):
        read_survey(b)


# ------------------------------------------------------------------ fuzzing

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzz_csv_bytes_read_or_data_error(tmp_path, data):
    p = tmp_path / "fuzz.csv"
    p.write_bytes(data)
    try:
        s = read_survey(p)
    except DataError as exc:
        assert str(exc).startswith(str(p))
    else:
        assert s.data.shape[0] >= 1


_cell = st.one_of(st.integers(-3, 12).map(str), st.sampled_from(["Agree", " agree ", "AGREE", "Agre", "Not applicable",
                                                                  "", "4.0", "4.5", "nan", "1e3", "x,y", '"q"']),
                  st.text(max_size=6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_cell, _cell), min_size=1, max_size=15))
def test_fuzz_csv_and_label_mapping_path(tmp_path, rows):
    """Whatever the cells hold, every non-empty cell is a valid code, not applicable, or a listed problem."""
    import csv

    p = tmp_path / "f.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "a", "b"])
        for i, (x, y) in enumerate(rows):
            w.writerow([i, x, y])
    spec = ScoringSpec.simple({"s": ["a", "b"]}, labels={"Agree": 4, "Not applicable": 9}, na_code=9)
    try:
        s = read_survey(p, format="csv")
    except DataError:
        return
    v = validate(s, spec, map_columns(s, spec))
    for item in ("a", "b"):
        codes = v.codes[item].to_numpy()
        assert np.all(np.isnan(codes) | np.isin(codes, [1, 2, 3, 4, 5]))
        raw = s.data[item].astype("string").fillna("").str.strip()
        flagged = set(v.problems.loc[v.problems["item"] == item, "row"].astype(int) - 2)
        for pos, cell in enumerate(raw):
            key = " ".join(cell.split()).casefold()
            try:
                num = float(cell)
            except ValueError:
                num = None
            if cell == "" or key == "not applicable" or num == 9:
                assert np.isnan(codes[pos]) and pos not in flagged
            elif key == "agree":
                assert codes[pos] == 4
            elif num is not None and num in (1, 2, 3, 4, 5):
                assert codes[pos] == num
            else:
                assert np.isnan(codes[pos]) and pos in flagged, (cell, pos)


def test_label_mapping_on_surveydata_directly():
    spec = ScoringSpec.simple({"s": ["a"]}, labels={"Strongly agree": 5})
    s = SurveyData(pd.DataFrame({"a": pd.array(["strongly agree", None, "5"], dtype="string")}), "x", "csv", "csv")
    assert validate(s, spec, map_columns(s, spec)).codes["a"].tolist()[::2] == [5.0, 5.0]
