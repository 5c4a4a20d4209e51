"""The CSV shortcuts used for speed never change what is read.

- ``has_quoted_newline`` decides whether pyarrow must allow line breaks inside
  quoted cells (slower chunking); it must find every such break, also across
  the blocks it scans.
- ``int8_hint`` columns are parsed straight into 8-bit integers; a later cell
  that does not fit (a label, 300, a decimal) makes the read fall back to
  inferred types, with the same result as without the hint.
"""

import numpy as np
import pandas as pd
import pytest

from qimscale.io import read_survey
from qimscale.io.tables import has_quoted_newline


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64, 1 << 23])
def test_quoted_newline_scan_across_blocks(block):
    assert has_quoted_newline(b'id,q\n1,"a\nb"\n', block=block)
    assert has_quoted_newline(b'id,q\r\n1,"a\r\nb"\r\n', block=block)
    assert not has_quoted_newline(b'"id","q"\n1,"a ""x"" b"\n2,3\n', block=block)
    assert not has_quoted_newline(b"id,q\n1,2\n", block=block)
    assert has_quoted_newline(b'"i""d","q"\n1,"x""\n"\n', block=block)


def _write(tmp_path, rows, name="x.csv"):
    p = tmp_path / name
    p.write_text("id,a1,a2\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(rows, 1)))
    return p


@pytest.mark.parametrize("late", ["Agree", "300", "2.5", "-129", " 4 "])
def test_int8_hint_falls_back_when_a_later_cell_does_not_fit(tmp_path, late):
    rows = [(1, 2)] * 20 + [(late, 3)] + [(5, "")] * 5
    p = _write(tmp_path, rows)
    plain = read_survey(p, compact=True).data
    hinted = read_survey(p, compact=True, int8_hint=lambda c: c.startswith("a")).data
    pd.testing.assert_frame_equal(hinted, plain)


def test_int8_hint_reads_small_codes_as_int8(tmp_path):
    rng = np.random.default_rng(3)
    rows = [(int(a), "" if m else int(b)) for a, b, m in zip(rng.integers(-128, 128, 500), rng.integers(1, 6, 500),
                                                              rng.random(500) < 0.1)]
    p = _write(tmp_path, rows)
    plain = read_survey(p, compact=True).data
    hinted = read_survey(p, compact=True, int8_hint=lambda c: c.startswith("a")).data
    assert str(hinted["a1"].dtype) == "Int8" and str(hinted["a2"].dtype) == "Int8"
    pd.testing.assert_frame_equal(hinted, plain)


def test_quoted_ascii_file_with_line_breaks_in_cells(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('id,a1,note\n1,3,"two\nlines"\n2,4,plain\n')
    df = read_survey(p, int8_hint=lambda c: c == "a1").data
    assert df["note"].tolist() == ["two\nlines", "plain"]
    assert df["a1"].tolist() == [3, 4]


def test_int8_columns_converted_from_arrow_buffers_equal_pandas_conversion():
    import pyarrow as pa

    from qimscale.io.tables import arrow_to_pandas

    a = pa.chunked_array([pa.array([1, None, 5, -128], type=pa.int8()),
                          pa.array([127, 3, None, 2, 2], type=pa.int8()).slice(1)])  # a chunk with an offset
    b = pa.chunked_array([pa.array([None, None, None, 4, 4, 1, 2, 3], type=pa.int8()).slice(0, 8)])
    c = pa.chunked_array([pa.array([1, 2, 3, 4, 5, 6, 7, 8], type=pa.int8())])  # no validity bitmap
    t = pa.table({"x": ["a", "b", None, "d", "e", "f", "g", "h"], "a": a, "b": b, "c": c,
                  "n": pa.array(range(8), type=pa.int64())})
    got = arrow_to_pandas(t, compact=True)
    want = t.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get)
    assert list(got.columns) == ["x", "a", "b", "c", "n"]
    for col in ("a", "b", "c"):
        assert str(got[col].dtype) == "Int8"
        pd.testing.assert_series_equal(got[col], want[col])
    pd.testing.assert_series_equal(got["x"], want["x"])
    assert got["n"].tolist() == list(range(8)) and str(got["n"].dtype) == "Int8"  # compacted to 8 bits
