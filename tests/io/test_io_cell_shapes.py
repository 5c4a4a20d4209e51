"""Input shapes a reader must not drop or choke on: an unnamed trailing column, nested Parquet columns,
malformed .qsf elements."""

from __future__ import annotations

import pytest

from qimscale.errors import DataError
from qimscale.io import read_survey


def test_empty_trailing_column_is_dropped(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,\n1,2,\n3,4,\n", encoding="utf-8")
    assert list(read_survey(p).data.columns) == ["a", "b"]


def test_trailing_column_with_a_value_is_an_error(tmp_path):
    """The value in the unnamed column was dropped silently."""
    p = tmp_path / "d.csv"
    p.write_text("a,b,\n1,2,\n3,4,7\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 3, column 3 has no name but holds the value 7;"):
        read_survey(p)


def test_qualtrics_trailing_column_with_a_value_is_an_error(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('StartDate,EndDate,Q1,\nStart Date,End Date,Question 1,\n'
                 '{"ImportId":"startDate"},{"ImportId":"endDate"},{"ImportId":"QID1"},\n'
                 '2024-01-01,2024-01-01,3,\n2024-01-01,2024-01-01,4,oops\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"row 5, column 4 .* 'oops'"):
        read_survey(p)


def test_parquet_with_a_nested_column_is_an_error(tmp_path):
    """A list column reached pandas.factorize and ended in an internal error (unhashable ndarray)."""
    import pandas as pd

    p = tmp_path / "n.parquet"
    pd.DataFrame({"exp_meth_1": [1, 2], "exp_meth_2": [[1], [2]]}).to_parquet(p)
    with pytest.raises(DataError, match=r"column 'exp_meth_2' holds list<.*not one answer per cell"):
        read_survey(p)


@pytest.mark.parametrize("payload", ['{"SurveyElements": [{"Element": "SQ", "Payload": 5}]}',
                                     '{"SurveyElements": [{"Element": "SQ", "Payload": {"Choices": 5}}]}',
                                     '{"SurveyElements": [7]}'])
def test_qsf_with_a_malformed_element_is_a_data_error(tmp_path, payload):
    """A question payload that is not an object ended in an internal error (AttributeError)."""
    from qimscale.io.definitions import read_qsf

    p = tmp_path / "s.qsf"
    p.write_text(payload, encoding="utf-8")
    with pytest.raises(DataError, match=r"not a Qualtrics .qsf file \(SurveyElements\[0\]"):
        read_qsf(p)
