"""Plain tabular readers (CSV/TSV, xlsx, SPSS, Stata, Parquet).

This module is the minimal reader that analysis commands rely on; the
survey-platform readers build on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qimscale.errors import DataError

_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def detect_format(path: str | Path) -> str:
    """Guess a file's format from its suffix (``-`` means CSV on stdin)."""
    if str(path) == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIX_FORMATS[suffix]
    except KeyError:
        raise DataError(
            f"{path}: cannot tell the file format from the suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(_SUFFIX_FORMATS))} or pass --format"
        ) from None


def read_data(path: str | Path, *, format: str | None = None):
    """Read a data file into a :class:`pandas.DataFrame`.

    Parameters
    ----------
    path : str or Path
        The file; ``"-"`` reads CSV from standard input.
    format : {"csv", "tsv", "xlsx", "sav", "dta", "parquet"}, optional
        Overrides detection from the suffix.

    Returns
    -------
    pandas.DataFrame
        One row per respondent, columns as in the file.

    Raises
    ------
    DataError
        If the file is missing, empty, unreadable, or has duplicate column names.
    """
    import pandas as pd

    fmt = format or detect_format(path)
    src = sys.stdin if str(path) == "-" else Path(path)
    if src is not sys.stdin and not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    try:
        if fmt in ("csv", "tsv"):
            df = pd.read_csv(src, sep="\t" if fmt == "tsv" else None, engine="python",
                             encoding_errors="strict")
        elif fmt == "xlsx":
            df = pd.read_excel(src, engine="openpyxl")
        elif fmt == "sav":
            import pyreadstat

            df, _ = pyreadstat.read_sav(str(src))
        elif fmt == "dta":
            import pyreadstat

            df, _ = pyreadstat.read_dta(str(src))
        elif fmt == "parquet":
            df = pd.read_parquet(src)
        else:
            raise DataError(f"{path}: unknown format {fmt!r}")
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except Exception as exc:  # noqa: BLE001 - turned into one-line user error
        raise DataError(f"{path}: cannot be read as {fmt}: {exc}") from None
    if df.shape[0] == 0:
        raise DataError(f"{path}: the file has a header but no data rows")
    return df
