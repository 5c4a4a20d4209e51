"""Read a survey export and say what is in it: :func:`read_survey` and :class:`SurveyData`.

The container (CSV/TSV, xlsx, SPSS, Stata, Parquet, Kobo JSON) is opened by
:mod:`qimscale.io.tables`; this module then recognises the platform that
produced the file from its header rows and column names and hands over to the
platform adapter in :mod:`qimscale.io.platforms`, which fixes the header
(Qualtrics' extra rows, duplicate REDCap ``Complete?`` labels), lists the
metadata columns, direct identifiers and respondent-id columns, derives the
completion time, and proposes item names for each column.

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
from qimscale.io.tables import CONTAINERS, RawTable, check_unique, detect_format, open_table

#: platform formats accepted by ``--format`` (besides the containers)
PLATFORMS = ("qualtrics", "redcap", "limesurvey", "kobo", "odk")
FORMATS = CONTAINERS + PLATFORMS


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


def detect_platform(head: list[list[str]]) -> str | None:
    """Recognise the survey platform from a file's first records, or ``None``.

    >>> detect_platform([["StartDate", "EndDate", "Q1"], ["Start Date", "End Date", "Q"],
    ...                  ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"QID1"}']])
    'qualtrics'
    >>> detect_platform([["record_id", "redcap_event_name", "q1"]])
    'redcap'
    """
    from qimscale.io import platforms

    for name in ("qualtrics", "limesurvey", "redcap", "odk", "kobo"):
        if platforms.ADAPTERS[name].detect(head):
            return name
    return None


def read_survey(path: str | Path, *, format: str | None = None,  # noqa: A002 - CLI vocabulary
                dictionary: str | Path | None = None, compact: bool = False,
                na_markers: bool = False, int8_hint=None) -> SurveyData:
    """Read a data file or survey-platform export.

    Parameters
    ----------
    path : str or Path
        The file (``-`` reads CSV from standard input).
    format : str, optional
        Overrides auto-detection. A container (``csv``, ``tsv``, ``xlsx``,
        ``sav``, ``dta``, ``parquet``) reads the file plainly, without platform
        interpretation; a platform (``qualtrics``, ``redcap``, ``limesurvey``,
        ``kobo``, ``odk``) forces that adapter (the container still comes from
        the suffix).
    dictionary : str or Path, optional
        A REDCap data dictionary (either header style); gives value labels,
        checkbox choices and the ``Identifier? = y`` fields.
    compact : bool
        Store integer CSV columns in the smallest nullable integer dtype
        (``Int8`` for response codes) to save memory; values are unchanged.
    na_markers : bool
        Also read ``NA``, ``N/A``, ``NULL``, ``NaN`` and ``#N/A`` cells of text
        files as missing (default: only empty cells are missing, so that
        scoring can report such cells).
    int8_hint : callable, optional
        ``column name -> bool``: text columns worth parsing straight into
        8-bit integers (response codes; faster and smaller). Only a hint: a
        column whose cells do not all fit is read as without it.

    Returns
    -------
    SurveyData
        The data and everything the reader learned about it.

    Raises
    ------
    DataError
        For unreadable files (see :func:`qimscale.io.tables.open_table`) and
        duplicate column names the platform does not explain.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "kobo.csv")
    >>> _ = open(p, "w").write('"grp/l1";"grp/l2";"_uuid"\\n"4";"5";"a1"\\n')
    >>> s = read_survey(p)
    >>> s.format, s.id_columns, s.item_hints["grp/l1"]
    ('kobo', ['_uuid'], ['grp/l1', 'l1'])
    """
    from qimscale.io import platforms

    if format is not None and format not in FORMATS:
        raise DataError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if str(path).lower().endswith(".json") and format in (None, "kobo", "odk"):
        survey = platforms.read_kobo_json(path)
    else:
        container = format if format in CONTAINERS else detect_format(path)
        raw = open_table(path, container=container)
        raw.compact = compact
        raw.na_markers = na_markers
        raw.int8_hint = int8_hint
        platform = format if format in PLATFORMS else (None if format in CONTAINERS else detect_platform(raw.head))
        if platform is None:
            survey = _plain(raw)
        else:
            survey = platforms.ADAPTERS[platform].read(raw)
        survey.notes[:0] = raw.notes
    if dictionary is not None:
        platforms.apply_redcap_dictionary(survey, dictionary)
    _add_generic_hints(survey)
    return survey


def _plain(raw: RawTable) -> SurveyData:
    names = [str(c) for c in raw.head[0]]
    names, dropped = _drop_trailing_blank(names)
    check_unique(names, raw.source)
    blank = [i + 1 for i, n in enumerate(names) if not n.strip()]
    if blank:
        raise DataError(f"{raw.source}: column {blank[0]} has no name; give every column a header")
    df = load_without_trailing_blank(raw, 1 if raw.has_header_rows else 0, names, dropped)
    ids = [names[0]] if names[0].strip().casefold() in PLAIN_ID_NAMES else []
    return SurveyData(df, raw.source, raw.container, raw.container,
                      header_rows=1 if raw.has_header_rows else 0,
                      column_labels=dict(raw.column_labels), value_labels=dict(raw.value_labels),
                      user_missing=dict(raw.user_missing), encoding=raw.encoding, delimiter=raw.delimiter,
                      id_columns=ids)


#: first-column names taken as the respondent id of a plain file (checked for duplicates)
PLAIN_ID_NAMES = ("id", "respondent", "respondent_id", "response_id", "responseid", "record_id",
                  "participant_id", "case_id", "caseid")


def _drop_trailing_blank(names: list[str]) -> tuple[list[str], list[str]]:
    """A trailing delimiter on every line gives one unnamed last column; set it aside."""
    if len(names) > 1 and names[-1].strip() == "":
        return names[:-1], ["__trailing_blank__"]
    return names, []


def load_without_trailing_blank(raw: RawTable, n_header: int, names: list[str], dropped: list[str]):
    """Load ``raw`` and drop the unnamed trailing column set aside by :func:`_drop_trailing_blank`.

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
        value = int(value) if isinstance(value, float) and value.is_integer() else value
        raise DataError(f"{raw.source}: row {first + n_header + 1}, column {len(names) + 1} has no name but holds "
                        f"the value {str(value)!r}; give the column a header or remove the value")
    return df.drop(columns=dropped)


def _add_generic_hints(survey: SurveyData) -> None:
    """Candidate item names for every column not already hinted: the name itself."""
    for col in survey.data.columns:
        survey.item_hints.setdefault(str(col), [str(col)])


def load_json(path: str | Path, what: str = "JSON"):
    """Parse a JSON file (BOM allowed), raising :class:`DataError` that names ``what`` it should be."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not {what} (invalid JSON: {exc})") from None


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
