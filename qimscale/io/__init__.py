"""Readers for data files and survey-platform exports; atomic writers.

Readers only read: they never modify the input file and never coerce values
silently. Every problem raises :class:`~qimscale.errors.DataError` naming the
file (and row, column and value where that applies).

- :func:`read_data` -- a plain :class:`pandas.DataFrame` (the analysis commands use this).
- :func:`read_survey` -- a :class:`SurveyData`: the data plus the platform, metadata
  columns, identifiers, value labels, user-missing codes and completion times.
- :func:`write_table` -- atomic writers for csv, xlsx, sav, dta and parquet.
"""

from __future__ import annotations

from qimscale.io.survey import FORMATS, SurveyData, read_data, read_survey

__all__ = ["FORMATS", "SurveyData", "read_data", "read_survey", "write_table"]


def __getattr__(name):
    if name == "write_table":
        from qimscale.io.writers import write_table

        return write_table
    raise AttributeError(name)
