"""Read a survey export and say what is in it: :func:`read_survey` and :class:`SurveyData`.

The container (CSV/TSV, xlsx, SPSS, Stata, Parquet, Kobo JSON) is opened by
:mod:`qimscale.io.tables`; this module then recognises the platform that
produced the file from its header rows and column names and hands over to the
platform adapter in :mod:`qimscale.io.platforms`, which fixes the header
(Qualtrics' extra rows, duplicate REDCap ``Complete?`` labels), lists the
metadata columns, direct identifiers and respondent-id columns, derives the
completion time, and proposes item names for each column.

:class:`SurveyData` and the helpers the adapters share live in
:mod:`qimscale.io.surveydata` (re-exported here); row numbers are explained
there.
"""

from __future__ import annotations

from pathlib import Path

from qimscale.errors import DataError
from qimscale.io import platforms
from qimscale.io.surveydata import (PLAIN_ID_NAMES, SurveyData, drop_trailing_blank, load_json,  # noqa: F401
                                     load_without_trailing_blank, records_from_json)
from qimscale.io.tables import CONTAINERS, RawTable, check_unique, detect_format, open_table

#: platform formats accepted by ``--format`` (besides the containers)
PLATFORMS = ("qualtrics", "redcap", "limesurvey", "kobo", "odk", "surveymonkey")
FORMATS = CONTAINERS + PLATFORMS


def detect_platform(head: list[list[str]]) -> str | None:
    """Recognise the survey platform from a file's first records, or ``None``.

    >>> detect_platform([["StartDate", "EndDate", "Q1"], ["Start Date", "End Date", "Q"],
    ...                  ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"QID1"}']])
    'qualtrics'
    >>> detect_platform([["record_id", "redcap_event_name", "q1"]])
    'redcap'
    """
    for name in ("qualtrics", "limesurvey", "surveymonkey", "redcap", "odk", "kobo"):
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
        ``kobo``, ``odk``, ``surveymonkey``) forces that adapter (the container still comes from
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


def read_data(path: str | Path, *, format: str | None = None):  # noqa: A002 - CLI vocabulary
    """Read a data file into a :class:`pandas.DataFrame`.

    Survey-platform exports are recognised and their extra header rows
    (Qualtrics) removed; see :func:`qimscale.io.read_survey` for the metadata.

    Parameters
    ----------
    path : str or Path
        The file; ``"-"`` reads CSV from standard input.
    format : str, optional
        Overrides detection: a container (``csv``, ``tsv``, ``xlsx``, ``sav``,
        ``dta``, ``parquet``) or a platform (``qualtrics``, ``redcap``,
        ``limesurvey``, ``kobo``).

    Returns
    -------
    pandas.DataFrame
        One row per respondent, columns as in the file. In text files, empty
        cells and the usual missing-value markers (``NA`` as R writes it,
        ``N/A``, ``NULL``, ``NaN``, ``#N/A``) are missing, as in R and pandas;
        ``qimscale score`` instead reports such markers (see
        :func:`qimscale.io.read_survey`). SPSS/Stata user-missing codes are kept
        as their codes.

    Raises
    ------
    DataError
        If the file is missing, empty, header-only, binary, unreadable, or has
        duplicate column names.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "x.csv")
    >>> _ = open(p, "w").write("id;l1;l2\\n1;4;5\\n2;3;3\\n")
    >>> read_data(p)["l2"].tolist()
    [5, 3]
    """
    return read_survey(path, format=format, na_markers=True).data


def _plain(raw: RawTable) -> SurveyData:
    names = [str(c) for c in raw.head[0]]
    names, dropped = drop_trailing_blank(names)
    row_names = raw.has_header_rows and len(names) > 1 and not names[0].strip()
    if row_names:  # R's write.csv: an unnamed first column of row names (checked below)
        names[0] = next(n for n in ROW_NAMES if n not in names)
    check_unique(names, raw.source)
    blank = [i + 1 for i, n in enumerate(names) if not n.strip()]
    if blank:
        raise DataError(f"{raw.source}: column {blank[0]} has no name; give every column a header")
    n_header = 1 if raw.has_header_rows else 0
    df = load_without_trailing_blank(raw, n_header, names, dropped)
    notes = []
    if row_names:
        df, note = _r_row_names(df, names[0], raw.source, n_header)
        notes.append(note)
        names = [str(c) for c in df.columns]
    ids = [names[0]] if names[0].strip().casefold() in PLAIN_ID_NAMES + ROW_NAMES else []
    return SurveyData(df, raw.source, raw.container, raw.container, header_rows=n_header,
                      column_labels=dict(raw.column_labels), value_labels=dict(raw.value_labels),
                      user_missing=dict(raw.user_missing), encoding=raw.encoding, delimiter=raw.delimiter,
                      id_columns=ids, notes=notes)


#: the name given to an unnamed first column of row names (R's ``write.csv``), the first one free
ROW_NAMES = ("row_names", "row_names_", "row_names__")


def _r_row_names(df, col: str, source: str, n_header: int):
    """Check the unnamed first column of a plain file as R row names; returns ``(df, note)``.

    R's ``write.csv`` writes the row names as a first column with an empty
    header: the row numbers ``1..n`` by default (dropped: they carry no data),
    or names (kept as the column ``row_names``, the respondent id). Anything
    else (an empty or repeated cell) means the column is not row names: an error.
    """
    import numpy as np
    import pandas as pd

    from qimscale._core.formatting import show_value

    s = df[col]
    text = s.astype("string").str.strip()
    empty = text.isna() | text.eq("")
    if empty.any():
        pos = int(np.flatnonzero(empty.to_numpy(dtype=bool))[0])
        raise DataError(f"{source}: column 1 has no name, and its row {pos + n_header + 1} is empty, so it is not "
                        "a column of row names (as R's write.csv writes); give every column a header")
    dup = text.duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy(dtype=bool))[0])
        raise DataError(f"{source}: column 1 has no name, and its value {show_value(s.iloc[pos])} on row "
                        f"{pos + n_header + 1} repeats, so it is not a column of row names (as R's write.csv "
                        "writes); give every column a header")
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all() and np.array_equal(numbers.to_numpy(dtype=float), np.arange(1, len(s) + 1)):
        return df.drop(columns=[col]), (f"column 1 has no name and holds the row numbers 1-{len(s)} (R's write.csv "
                                        "row names): not read as data")
    return df, (f"column 1 has no name and holds a unique name on every row (R's write.csv row names): read as "
                f"the column {col!r}, the respondent id")


def _add_generic_hints(survey: SurveyData) -> None:
    """Candidate item names for every column not already hinted: the name itself."""
    for col in survey.data.columns:
        survey.item_hints.setdefault(str(col), [str(col)])


