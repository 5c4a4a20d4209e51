"""What a reader found in a file: :class:`SurveyData`, and the helpers the platform adapters share.

This module sits below :mod:`qimscale.io.platforms` and :mod:`qimscale.io.survey`
(both import it; it imports neither), so the readers form no import cycle:
``tables`` (containers) <- ``surveydata`` <- ``platforms`` <- ``survey``.

Row numbers
-----------
Every row number that qimscale reports is the **spreadsheet row**: 1-based,
with header rows counted, so the first data row of a plain CSV is row 2 and of
a current Qualtrics export (3 header rows) row 4. This is the number a
spreadsheet program shows and, when no cell holds a line break, the line
number in a text editor. Files without header rows (SPSS, Stata, Parquet) are
numbered by case, from 1. See :meth:`SurveyData.row_number`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qimscale.errors import DataError
from qimscale._core.formatting import show_value
from qimscale.io.tables import RawTable


@dataclass
class SurveyData:
    """What a reader found in a file.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per record, columns as in the file (header rows removed).
        Only empty cells are missing.
    source : str
        The path as given.
    format : str
        The platform (``qualtrics``, ``redcap``, ``limesurvey``, ``kobo``,
        ``odk``) or, for a plain file, the container (``csv``, ``xlsx``, ...).
    container : str
        How the bytes were stored (``csv``, ``tsv``, ``xlsx``, ``sav``, ``dta``,
        ``parquet``, ``json``).
    header_rows : int
        Rows above the first data row (used for row numbers).
    variant : str
        A platform sub-format, e.g. ``current``, ``legacy`` or ``insights2016``
        (Qualtrics), ``raw`` or ``label`` (REDCap), ``code`` or ``full``
        (LimeSurvey), or ``""``.
    column_labels : dict
        Column -> question text (Qualtrics row 2, SPSS variable labels, ...).
    import_ids : dict
        Column -> Qualtrics ImportId (``QID2_1``).
    value_labels : dict
        Column -> ``{code: label}`` (SPSS/Stata value labels, REDCap choices).
    user_missing : dict
        Column -> user-missing definitions, kept distinct from system-missing:
        a list of codes or ``{"lo": a, "hi": b}`` ranges.
    metadata_columns : list of str
        Platform columns that are not answers (dates, status, ids, ...).
    identifiers : list of str
        Direct identifiers present in the file (dropped from outputs by default).
    id_columns : list of str
        Columns that together identify a record (respondent id; for REDCap the
        record id with event and repeat columns).
    duration_seconds : pandas.Series or None
        Completion time per row, when the platform records it.
    duration_source : str
        Where ``duration_seconds`` came from.
    item_hints : dict
        Column -> candidate item names, most specific first.
    notes : list of str
        Everything the reader did that a user should know.
    encoding, delimiter : str or None
        Detected text encoding and delimiter.
    """

    data: object
    source: str
    format: str
    container: str
    header_rows: int = 1
    variant: str = ""
    column_labels: dict = field(default_factory=dict)
    import_ids: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)
    user_missing: dict = field(default_factory=dict)
    metadata_columns: list = field(default_factory=list)
    identifiers: list = field(default_factory=list)
    id_columns: list = field(default_factory=list)
    duration_seconds: object = None
    duration_source: str = ""
    item_hints: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    def row_number(self, index):
        """Spreadsheet row number(s) for 0-based record position(s) ``index``.

        >>> import pandas as pd
        >>> SurveyData(pd.DataFrame(), "x.csv", "qualtrics", "csv", header_rows=3).row_number(0)
        4
        """
        return index + self.header_rows + 1

    def summary(self) -> dict:
        """A JSON-ready description of the read (no data values)."""
        return {
            "source": self.source, "format": self.format, "variant": self.variant,
            "container": self.container, "n_rows": int(self.data.shape[0]),
            "n_columns": int(self.data.shape[1]), "header_rows": self.header_rows,
            "encoding": self.encoding, "delimiter": self.delimiter,
            "metadata_columns": list(self.metadata_columns), "identifiers": list(self.identifiers),
            "id_columns": list(self.id_columns), "duration_source": self.duration_source,
            "user_missing": {k: v for k, v in self.user_missing.items()}, "notes": list(self.notes),
        }


#: first-column names taken as the respondent id of a plain file (checked for duplicates)
PLAIN_ID_NAMES = ("id", "respondent", "respondent_id", "response_id", "responseid", "record_id",
                  "participant_id", "case_id", "caseid")


def drop_trailing_blank(names: list[str]) -> tuple[list[str], list[str]]:
    """A trailing delimiter on every line gives one unnamed last column; set it aside."""
    if len(names) > 1 and names[-1].strip() == "":
        return names[:-1], ["__trailing_blank__"]
    return names, []


def load_without_trailing_blank(raw: RawTable, n_header: int, names: list[str], dropped: list[str]):
    """Load ``raw`` and drop the unnamed trailing column set aside by :func:`drop_trailing_blank`.

    Raises
    ------
    DataError
        The unnamed column holds a value (it would otherwise be lost silently).
    """
    import pandas as pd

    df = raw.load(n_header, names + dropped)
    if not dropped:
        return df
    col = df[dropped[0]]
    filled = col.notna().to_numpy()
    if not pd.api.types.is_numeric_dtype(col.dtype):
        filled = filled & col.astype("string").str.strip().fillna("").ne("").to_numpy()
    if filled.any():
        first = int(filled.argmax())
        value = col.iloc[first]
        raise DataError(f"{raw.source}: row {first + n_header + 1}, column {len(names) + 1} has no name but holds "
                        f"the value {show_value(value)}; give the column a header or remove the value")
    return df.drop(columns=dropped)



def load_json(path: str | Path, what: str = "JSON"):
    """Parse a JSON file (BOM allowed), raising :class:`DataError` that names ``what`` it should be.

    JSON nested deeper than Python's recursion limit (about 1,000 levels; no
    real export comes close) is refused rather than crashing the parser.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not {what}") from None
    except RecursionError:
        raise DataError(f"{path}: not {what} (its JSON is nested too deeply to be a survey file)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        from qimscale.io._text import one_line

        raise DataError(f"{path}: not {what} (invalid JSON: {one_line(exc)})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def records_from_json(path: str | Path) -> list:
    """Load a JSON export and return its list of records (helper for Kobo/ODK JSON)."""
    obj = load_json(path, "a JSON export")
    if isinstance(obj, dict):
        for key in ("submissions", "results", "data"):
            if isinstance(obj.get(key), list):
                return obj[key]
        raise DataError(f"{path}: JSON without a list of submissions (expected a 'submissions' or "
                        "'results' array)")
    if isinstance(obj, list):
        return obj
    raise DataError(f"{path}: JSON export must be a list of records")
